"""The delivery phase (issue 13): webhooks one `invoicing worker` delivers per second, and the
outbox lag under the cancel/revert load. Reported, never asserted (docs/benchmarks.md).

Every bench tenant gets one webhook endpoint for all event types, made through
`POST /api/v1/webhook-endpoints`, pointing at bench/receiver.py: a receiver in its own process
that answers 204 and counts by webhook-id. A cancel or a revert is one event, so one message and
one delivery.

A. Backlog: with no worker running (DELIVERY_IN_SERVER=off), the cancel/revert load leaves a
   backlog; then one `invoicing worker` starts. From its first heartbeat (imports and connections
   done) until the outbox is empty gives deliveries per second, and its CPU time over that span
   (/proc) the CPU per delivery.
B. Lag: the cancel/revert load again with the worker running. Every 0.25 s the harness reads the
   outbox's depth and the age of the oldest message still waiting (what /metrics reports as
   invoicing_outbox_depth and invoicing_outbox_oldest_age_seconds, from the same query), and
   after the load ends, how long the worker takes to empty it.
"""

import asyncio
import json
import os
import secrets
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.databases import BenchDatabase, service_environment
from bench.load import WrkRun
from bench.server import HOST, Background, LocalService, cpu_seconds, start_process, stop_process
from bench.stats import percentile
from invoicing.auth.scopes import TENANT_MANAGE
from invoicing.auth.service import create_token
from invoicing.config import Settings
from invoicing.core.clock import utc_now
from invoicing.core.db import create_engine, transaction
from invoicing.outbox.repository import FAILED, outbox_stats
from invoicing.outbox.tables import outbox_deliveries, outbox_messages, worker_heartbeats

SAMPLE_SECONDS = 0.25  # the lag's sampling interval under load
POLL_SECONDS = 0.05  # how often the harness looks while it waits for something
SETTLE_SECONDS = 0.5  # the outbox unchanged this long after a load: nothing of it is still in flight
START_TIMEOUT = 60.0
DRAIN_TIMEOUT = 300.0


class DeliveryError(RuntimeError):
    pass


def delivery_settings() -> dict[str, str]:
    """What the server and the worker of this phase run with, beside DATABASE_URL."""
    return {
        "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",  # the receiver listens on the loopback
        # The server seals each endpoint's signing secret with it; the worker opens the seals.
        "SECRET_KEY": secrets.token_urlsafe(32),
    }


def server_runs_a_worker(database: BenchDatabase) -> bool:
    """Whether `invoicing serve` on this database delivers inside itself (DELIVERY_IN_SERVER as the
    environment or .env has it; auto: on SQLite, not on PostgreSQL)."""
    return Settings(database_url=database.url).runs_delivery_in_server


@dataclass(frozen=True, slots=True)
class Counts:
    requests: int
    distinct: int  # webhook-ids
    duplicates: int


class Receiver(LocalService):
    """bench/receiver.py in its own process."""

    def endpoint_url(self, tenant_id: int) -> str:
        return f"{self.base_url}/hooks/{tenant_id}"

    def __enter__(self) -> "Receiver":
        command = [sys.executable, "-m", "bench.receiver", "--host", HOST, "--port", str(self.port)]
        process = self.process = start_process(command, dict(os.environ), self.log_path)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                self.counts()
                return self
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    stop_process(process)
                    raise DeliveryError(f"the webhook receiver did not start; see {self.log_path}") from None
                time.sleep(POLL_SECONDS)

    def counts(self) -> Counts:
        with urllib.request.urlopen(f"{self.base_url}/counts", timeout=5) as response:  # noqa: S310 - ours
            figures = json.loads(response.read())
        return Counts(requests=figures["requests"], distinct=figures["distinct"], duplicates=figures["duplicates"])


class DeliveryWorker(Background):
    """One `invoicing worker` process on the bench database: started by `start()` (once its
    backlog is there), stopped on leaving `with`."""

    def __init__(self, database: BenchDatabase, settings: dict[str, str], log_path: Path) -> None:
        super().__init__(log_path)
        self.environment = service_environment(database, **settings)

    def __enter__(self) -> "DeliveryWorker":
        return self

    def start(self) -> None:
        self.process = start_process([sys.executable, "-m", "invoicing", "worker"], self.environment, self.log_path)

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)


async def register_endpoints(database: BenchDatabase, base_url: str, receiver: Receiver, tenants: int) -> None:
    """One endpoint per tenant, all event types, through the API (a `tenant:manage` token each)."""
    engine = create_engine(database.url, pool_size=1)
    try:
        async with transaction(engine, write=True) as connection:
            # The earlier scenarios wrote messages while no endpoint existed: a worker would fan
            # them out into no delivery at all. Marked as fanned out here, so the backlog is this
            # phase's alone.
            await connection.execute(
                outbox_messages.update()
                .where(outbox_messages.c.fanned_out_at.is_(None))
                .values(fanned_out_at=utc_now())
            )
        tokens = []
        for tenant_id in range(1, tenants + 1):
            async with transaction(engine, write=True) as connection:
                issued = await create_token(connection, tenant_id=tenant_id, scopes=(TENANT_MANAGE,), expires_in=None)
            tokens.append(issued.token)
    finally:
        await engine.dispose()
    async with httpx.AsyncClient(base_url=base_url, timeout=30, trust_env=False) as client:
        for tenant_id, token in enumerate(tokens, start=1):
            response = await client.post(
                "/api/v1/webhook-endpoints",
                json={"url": receiver.endpoint_url(tenant_id), "description": "bench receiver"},
                headers={"Authorization": f"Bearer {token}", "X-Tenant": str(tenant_id)},
            )
            if response.status_code != 201:
                raise DeliveryError(f"creating tenant {tenant_id}'s endpoint: {response.status_code} {response.text}")


@dataclass(frozen=True, slots=True)
class Backlog:
    built_by: WrkRun  # the load that left it
    messages: int  # waiting when the worker started (a request wrk gave up on may still add one after)
    delivered: int  # distinct webhook-ids the receiver got: the backlog, whole
    failed: int
    duplicates: int
    seconds: float  # from the worker's first heartbeat until the outbox was empty
    cpu_seconds: float  # the worker's, over the same span

    @property
    def per_second(self) -> float:
        return self.delivered / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_delivery(self) -> float:
        return 1000 * self.cpu_seconds / self.delivered if self.delivered else 0.0


@dataclass(frozen=True, slots=True)
class Before:
    """The outbox and the receiver before the worker starts."""

    messages: int
    received: Counts
    states: dict[str, int]


async def before_worker(database: BenchDatabase, receiver: Receiver) -> Before:
    """Once the backlog has settled: wrk leaves its last requests unanswered when its time is up,
    and the server still commits them (and their messages) a moment later."""
    engine = create_engine(database.url, pool_size=1)
    try:
        depth, settled_for = (await _outbox(engine)).depth, 0.0
        while settled_for < SETTLE_SECONDS:
            await asyncio.sleep(POLL_SECONDS)
            now = (await _outbox(engine)).depth
            depth, settled_for = now, settled_for + POLL_SECONDS if now == depth else 0.0
        return Before(messages=depth, received=receiver.counts(), states=await _states(engine))
    finally:
        await engine.dispose()


async def drain_backlog(
    built_by: WrkRun, before: Before, worker: DeliveryWorker, receiver: Receiver, database: BenchDatabase
) -> Backlog:
    """Pre: the worker has just started on the backlog `before` counted. Post: the outbox is empty."""
    engine = create_engine(database.url, pool_size=1)
    try:

        async def beating() -> bool:
            worker.check_running()
            async with transaction(engine, write=False) as connection:
                beats = await connection.scalar(
                    select(func.count()).select_from(worker_heartbeats).where(worker_heartbeats.c.pid == worker.pid)
                )
            return bool(beats)

        started = await _wait_for(beating, within=START_TIMEOUT, what="the worker's first heartbeat")
        cpu_before = worker.cpu_seconds()
        drained = await _wait_for(_emptied(engine, worker), within=DRAIN_TIMEOUT, what="the backlog delivered")
        cpu_after = worker.cpu_seconds()
        after, states = receiver.counts(), await _states(engine)
    finally:
        await engine.dispose()
    return Backlog(
        built_by=built_by,
        messages=before.messages,
        delivered=after.distinct - before.received.distinct,
        failed=states.get(FAILED, 0) - before.states.get(FAILED, 0),
        duplicates=after.duplicates - before.received.duplicates,
        seconds=drained - started,
        cpu_seconds=cpu_after - cpu_before,
    )


@dataclass(frozen=True, slots=True)
class Lag:
    load: WrkRun  # the cancel/revert load with delivery running
    lag_seconds: list[float]  # one a sample, during the load
    depths: list[int]
    delivered: int
    duplicates: int
    drain_seconds: float  # after the load ended, until the outbox was empty


async def lag_under_load(
    load: Callable[[], WrkRun], worker: Background, receiver: Receiver, database: BenchDatabase
) -> Lag:
    """Runs `load` (blocking: wrk) in a thread and samples the outbox every SAMPLE_SECONDS
    meanwhile, then waits until the outbox is empty. Pre: `worker` runs and delivers (an
    `invoicing worker`, or the server with its own worker inside)."""
    engine = create_engine(database.url, pool_size=1)
    lags: list[float] = []
    depths: list[int] = []
    try:
        before = receiver.counts()
        running = asyncio.ensure_future(asyncio.to_thread(load))
        while not running.done():
            sampled_at = time.monotonic()
            waiting = await _outbox(engine)
            lags.append(waiting.age_seconds)
            depths.append(waiting.depth)
            worker.check_running()
            await asyncio.wait({running}, timeout=max(0.0, SAMPLE_SECONDS - (time.monotonic() - sampled_at)))
        run = await running
        ended = time.monotonic()
        drained = await _wait_for(_emptied(engine, worker), within=DRAIN_TIMEOUT, what="the load's messages delivered")
        after = receiver.counts()
    finally:
        await engine.dispose()
    return Lag(
        load=run,
        lag_seconds=lags,
        depths=depths,
        delivered=after.distinct - before.distinct,
        duplicates=after.duplicates - before.duplicates,
        drain_seconds=drained - ended,
    )


@dataclass(frozen=True, slots=True)
class Waiting:
    depth: int
    age_seconds: float  # of the oldest message still waiting; 0 when none waits


async def _outbox(engine: AsyncEngine) -> Waiting:
    async with transaction(engine, write=False) as connection:
        stats = await outbox_stats(connection)
    age = (utc_now() - stats.oldest).total_seconds() if stats.oldest is not None else 0.0
    return Waiting(depth=stats.depth, age_seconds=max(0.0, age))


def _emptied(engine: AsyncEngine, worker: Background) -> Callable[[], Awaitable[bool]]:
    async def empty() -> bool:
        worker.check_running()
        return (await _outbox(engine)).depth == 0

    return empty


async def _states(engine: AsyncEngine) -> dict[str, int]:
    """Deliveries by state, every tenant's (the harness's connection is the tables' owner)."""
    async with transaction(engine, write=False) as connection:
        rows = await connection.execute(
            select(outbox_deliveries.c.state, func.count()).group_by(outbox_deliveries.c.state)
        )
        return {str(state): int(count) for state, count in rows.tuples()}


async def _wait_for(check: Callable[[], Awaitable[bool]], *, within: float, what: str) -> float:
    """Polls `check` until it holds; the monotonic time it first held."""
    try:
        async with asyncio.timeout(within):
            # Polling: what it waits for is in the database, and nothing there signals it.
            while not await check():  # noqa: ASYNC110
                await asyncio.sleep(POLL_SECONDS)
    except TimeoutError:
        raise DeliveryError(f"no {what} within {within:.0f} s") from None
    return time.monotonic()


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    database: str
    backlog: Backlog
    lag: Lag
    rps_without_endpoints: float | None  # the cancel_revert scenario's peak in this run, no endpoint
    lag_worker: str  # who delivered under the load: "invoicing worker", or "in the server" (SQLite's default)

    @property
    def lag_p50_ms(self) -> float:
        return 1000 * percentile(self.lag.lag_seconds, 50)

    @property
    def lag_p99_ms(self) -> float:
        return 1000 * percentile(self.lag.lag_seconds, 99)

    @property
    def lag_max_ms(self) -> float:
        return 1000 * max(self.lag.lag_seconds, default=0.0)

    def as_json(self) -> dict[str, Any]:
        backlog, lag = self.backlog, self.lag
        return {
            "database": self.database,
            "backlog": {
                "waiting_at_start": backlog.messages,
                "delivered": backlog.delivered,
                "failed": backlog.failed,
                "duplicates": backlog.duplicates,
                "seconds": round(backlog.seconds, 2),
                "per_second": round(backlog.per_second, 1),
                "cpu_ms_per_delivery": round(backlog.cpu_ms_per_delivery, 2),
            },
            "under_load": {
                "worker": self.lag_worker,
                "rps": round(lag.load.rps, 1),
                "rps_without_endpoints": (
                    round(self.rps_without_endpoints, 1) if self.rps_without_endpoints is not None else None
                ),
                "errors": lag.load.errors,
                "delivered": lag.delivered,
                "duplicates": lag.duplicates,
                "samples": len(lag.lag_seconds),
                "lag_p50_ms": round(self.lag_p50_ms, 1),
                "lag_p99_ms": round(self.lag_p99_ms, 1),
                "lag_max_ms": round(self.lag_max_ms, 1),
                "depth_max": max(lag.depths, default=0),
                "drain_seconds": round(lag.drain_seconds, 2),
            },
        }
