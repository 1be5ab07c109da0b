"""Wires delivery into the app: the worker's readiness check and metrics, and the worker that
runs inside the server when DELIVERY_IN_SERVER says so (SQLite's default)."""

import asyncio
import contextlib
import logging
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import TYPE_CHECKING

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.datastructures import State

from invoicing.config import Settings
from invoicing.core.clock import utc_now
from invoicing.core.db import transaction
from invoicing.operations import metrics
from invoicing.outbox.repository import last_beat, outbox_stats

if TYPE_CHECKING:
    from invoicing.outbox.worker import Worker

HEARTBEAT_FRESH = timedelta(seconds=30)  # three missed beats
logger = logging.getLogger("invoicing.worker")


async def worker_heartbeat_fresh(state: State) -> str | None:
    """Ready only while some worker delivers: without one every message would wait unseen."""
    async with transaction(state.engine, write=False) as connection:
        last = await last_beat(connection)
    if last is None:
        return "no outbox worker is running (start `invoicing worker`, or set DELIVERY_IN_SERVER=on)"
    age = utc_now() - last
    if age > HEARTBEAT_FRESH:
        return f"no outbox worker heartbeat for {age.total_seconds():.0f} s"
    return None


async def sample_outbox(state: State) -> None:
    async with transaction(state.engine, write=False) as connection:
        stats = await outbox_stats(connection)
        last = await last_beat(connection)
    now = utc_now()
    metrics.OUTBOX_DEPTH.set(stats.depth)
    metrics.OUTBOX_OLDEST_AGE.set((now - stats.oldest).total_seconds() if stats.oldest is not None else 0)
    metrics.WORKER_HEARTBEAT_AGE.set((now - last).total_seconds() if last is not None else math.nan)


def install_delivery(app: FastAPI, settings: Settings) -> None:
    """Pre: `install_operations` (it makes the seams this fills)."""
    if settings.readiness_requires_worker:
        app.state.readiness_checks["worker_heartbeat"] = worker_heartbeat_fresh
    app.state.metrics_samplers.append(sample_outbox)


@asynccontextmanager
async def delivery_in_server(engine: AsyncEngine, settings: Settings) -> AsyncIterator["Worker | None"]:
    """The server's own worker for as long as the server runs, if DELIVERY_IN_SERVER says so.

    The worker's module (its HTTP client, the webhook signing) is imported only then: a server
    without a worker inside (PostgreSQL's default) keeps about 5 MB of httpx out of each worker."""
    if not settings.runs_delivery_in_server:
        yield None
        return
    from invoicing.outbox.worker import Worker

    worker = Worker(engine, settings)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop), name="outbox-worker")
    logger.info("outbox worker %s runs inside the server", worker.worker_id)
    try:
        yield worker
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await task
