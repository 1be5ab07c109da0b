"""`invoicing worker` as operators run it: its own process on the test database (on PostgreSQL as
the service's role, under row-level security), delivering what the API's changes queue, serving
its own /metrics, and leaving cleanly on SIGTERM."""

import asyncio
import os
import signal
import subprocess
import sys
import time

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.core.db import transaction
from invoicing.outbox.tables import worker_heartbeats
from tests.conftest import Tenant
from tests.mail.smtp_server import free_port
from tests.operations.support import samples, value
from tests.outbox.receiver import receiver
from tests.outbox.support import add_endpoint


async def _heartbeats(engine: AsyncEngine) -> list[str]:
    async with transaction(engine, write=False) as connection:
        return [row[0] for row in await connection.execute(select(worker_heartbeats.c.worker_id))]


async def test_the_worker_process_delivers_serves_metrics_and_stops_on_sigterm(
    engine: AsyncEngine, database_url: str, tenant: Tenant
) -> None:
    with receiver() as hooks:
        await add_endpoint(engine, tenant, hooks.url, event_types=["invoice.issued"])
        before = set(await _heartbeats(engine))
        port = free_port()
        environment = {
            **os.environ,
            "DATABASE_URL": database_url,
            "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
            "WORKER_POLL_SECONDS": "0.1",
        }
        worker = subprocess.Popen(  # noqa: ASYNC220 (a child process the test owns)
            [sys.executable, "-m", "invoicing", "worker", "--metrics-port", str(port)],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            await tenant.issue((await tenant.create_draft())["id"])
            deadline = time.monotonic() + 30
            while not hooks.received and time.monotonic() < deadline:
                assert worker.poll() is None, worker.stderr.read().decode() if worker.stderr else "exited"
                await asyncio.sleep(0.1)
            assert len(hooks.received) == 1
            async with httpx.AsyncClient() as client:
                page = samples((await client.get(f"http://127.0.0.1:{port}/metrics")).text)
            assert value(page, "invoicing_outbox_deliveries_total", kind="webhook", result="delivered") == 1
            assert set(await _heartbeats(engine)) - before, "the worker beats"
        finally:
            worker.send_signal(signal.SIGTERM)
            returncode = await asyncio.to_thread(worker.wait, 30)
    assert returncode == 0
    assert set(await _heartbeats(engine)) == before  # it said goodbye
