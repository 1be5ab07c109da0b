"""The outbox worker: claims due deliveries, delivers them, writes what came of it.

Several workers may run, in one process or on several machines: each pass asks which tenants
have work due (a SECURITY DEFINER scan on PostgreSQL, see migration 0012), then, tenant by
tenant, fans new messages out into deliveries (one per subscribed endpoint, one per e-mail) and
leases due deliveries with `FOR UPDATE SKIP LOCKED`. Deliveries run concurrently, up to
`concurrency`; each result is written in its own short transaction, and no transaction is held
while talking to a receiver or an SMTP server.

At least once: a lease that runs out (its worker was killed) makes the delivery claimable
again; a receiver may therefore see a message twice, always with the same webhook-id. On a
graceful stop the worker claims nothing more, lets what is in flight finish for a grace period,
and gives back the leases of whatever did not.
"""

import asyncio
import json
import logging
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.config import Settings
from invoicing.core.clock import utc_now
from invoicing.core.db import set_tenant, transaction
from invoicing.operations import metrics
from invoicing.outbox import messages
from invoicing.outbox.delivery import Done, attempt_email, attempt_webhook, record_done
from invoicing.outbox.repository import (
    FAILED,
    Attempted,
    Claimed,
    OutboxRepository,
    beat,
    due_tenants,
    stop_beating,
)
from invoicing.outbox.schedule import next_attempt_at

logger = logging.getLogger("invoicing.worker")


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    concurrency: int = 16  # deliveries in flight at once
    tenants_per_pass: int = 50
    lease: timedelta = timedelta(seconds=120)  # longer than any one attempt (10 s HTTP; SMTP's timeouts)
    poll_interval: float = 0.5  # seconds between scans when idle (new work in this process wakes it at once)
    heartbeat_interval: float = 10.0
    shutdown_grace: float = 10.0
    request_timeout: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings) -> "WorkerOptions":
        return cls(
            concurrency=settings.worker_concurrency,
            lease=timedelta(seconds=settings.worker_lease_seconds),
            poll_interval=settings.worker_poll_seconds,
        )


def new_worker_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


class Worker:
    def __init__(
        self,
        engine: AsyncEngine,
        settings: Settings,
        *,
        options: WorkerOptions | None = None,
        clock: Callable[[], datetime] = utc_now,
        http_client: httpx.AsyncClient | None = None,
        worker_id: str | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.options = options or WorkerOptions.from_settings(settings)
        self.clock = clock
        self.worker_id = worker_id or new_worker_id()
        self.started_at = clock()
        self._client = http_client
        self._owns_client = http_client is None
        self._held: dict[int, Claimed] = {}  # delivery id -> the claim this worker leases
        self._wake = asyncio.Event()

    # -- one pass, for tests and for `run` -----------------------------------------------------

    async def run_once(self) -> int:
        """Claims what is due now and delivers it all; the number of attempts made."""
        claimed = await self.claim(self.options.concurrency)
        await asyncio.gather(*(self.deliver(one) for one in claimed))
        return len(claimed)

    async def run_until_idle(self, *, max_passes: int = 1000) -> int:
        """Passes until nothing is due (tests): every attempt due by the clock has been made."""
        made = 0
        for _ in range(max_passes):
            count = await self.run_once()
            if count == 0:
                return made
            made += count
        raise RuntimeError(f"still work due after {max_passes} passes")

    async def claim(self, capacity: int) -> list[Claimed]:
        """Fans out new messages and leases up to `capacity` due deliveries, tenant by tenant."""
        at = self.clock()
        async with transaction(self.engine, write=False) as connection:
            tenants = await due_tenants(connection, at=at, limit=self.options.tenants_per_pass)
        claimed: list[Claimed] = []
        for tenant_id in tenants:
            if len(claimed) >= capacity:
                break
            async with transaction(self.engine, write=True) as connection:
                await set_tenant(connection, tenant_id)
                repository = OutboxRepository(connection, tenant_id)
                await _fan_out(repository, at=at, limit=max(capacity, 50))
                claimed += await repository.claim_due(
                    self.worker_id, at=at, lease_until=at + self.options.lease, limit=capacity - len(claimed)
                )
        for one in claimed:
            self._held[one.delivery_id] = one
        return claimed

    async def deliver(self, claimed: Claimed) -> None:
        """One attempt and its bookkeeping; a fault of ours counts as a failed attempt (so a
        message that always breaks the worker runs out of retries instead of looping)."""
        now = self.clock()
        try:
            done = await self._attempt(claimed, now=now)
        except Exception as error:
            logger.exception(
                "delivery %s of message msg_%s failed in the worker", claimed.delivery_id, claimed.message_public_id
            )
            attempted = Attempted(now, FAILED, None, 0, None, f"worker error: {type(error).__name__}: {error}"[:500])
            due = next_attempt_at(claimed.attempts + 1, failed_at=now)
            done = Done(attempted, "pending" if due is not None else FAILED, due)
        try:
            kept = await record_done(self.engine, claimed, done, worker_id=self.worker_id)
        finally:
            self._held.pop(claimed.delivery_id, None)
        metrics.count_delivery(claimed.kind, done.attempted.outcome)
        if not kept:
            logger.warning("lease of delivery %s was lost before its attempt was recorded", claimed.delivery_id)

    async def _attempt(self, claimed: Claimed, *, now: datetime) -> Done:
        if claimed.kind == messages.EMAIL:
            return await attempt_email(claimed, self.engine, self.settings, now=now)
        return await attempt_webhook(
            claimed, self._http(), self.settings, now=now, seconds=self.options.request_timeout
        )

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            # trust_env=False: no proxy from the environment; the request goes to the address
            # the target check approved, and nowhere else.
            self._client = httpx.AsyncClient(follow_redirects=False, trust_env=False, timeout=10.0)
        return self._client

    # -- running -------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Delivers until `stop` is set, then stops gracefully (see the module's docstring)."""
        messages.new_work_listeners.add(self._wake.set)
        heartbeat = asyncio.create_task(self._beat_until(stop))
        in_flight: set[asyncio.Task[None]] = set()
        try:
            while not stop.is_set():
                free = self.options.concurrency - len(in_flight)
                if free <= 0:
                    await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                    continue
                self._wake.clear()  # new work announced while this claim runs wakes the next wait
                try:
                    claimed = await self.claim(free)
                except Exception:
                    logger.exception("claiming outbox work failed; trying again")
                    claimed = []
                for one in claimed:
                    task = asyncio.create_task(self.deliver(one))
                    in_flight.add(task)
                    task.add_done_callback(in_flight.discard)
                if claimed and len(claimed) == free:
                    continue  # there may be more due at once
                await _first_of(stop.wait(), self._wake.wait(), seconds=self.options.poll_interval)
        finally:
            messages.new_work_listeners.discard(self._wake.set)
            await self._stop(in_flight)
            heartbeat.cancel()
            await asyncio.gather(heartbeat, return_exceptions=True)
            await self._say_goodbye()

    async def _stop(self, in_flight: set[asyncio.Task[None]]) -> None:
        if in_flight:
            _, unfinished = await asyncio.wait(in_flight, timeout=self.options.shutdown_grace)
            for task in unfinished:
                task.cancel()
            await asyncio.gather(*unfinished, return_exceptions=True)
        await self.release_held()
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None

    async def release_held(self) -> None:
        """Gives back every lease still held: another worker may claim those deliveries at once."""
        by_tenant: dict[int, list[int]] = {}
        for claimed in self._held.values():
            by_tenant.setdefault(claimed.tenant_id, []).append(claimed.delivery_id)
        for tenant_id, delivery_ids in by_tenant.items():
            try:
                async with transaction(self.engine, write=True) as connection:
                    await set_tenant(connection, tenant_id)
                    await OutboxRepository(connection, tenant_id).release(self.worker_id, delivery_ids)
            except Exception:
                logger.exception("could not release %d leases; they run out on their own", len(delivery_ids))
        self._held.clear()

    async def beat(self) -> None:
        async with transaction(self.engine, write=True) as connection:
            await beat(
                connection,
                worker_id=self.worker_id,
                hostname=socket.gethostname()[:255],
                pid=os.getpid(),
                started_at=self.started_at,
                at=utc_now(),
            )

    async def _beat_until(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.beat()
            except Exception:
                logger.exception("worker heartbeat failed")
            await _first_of(stop.wait(), seconds=self.options.heartbeat_interval)

    async def _say_goodbye(self) -> None:
        try:
            async with transaction(self.engine, write=True) as connection:
                await stop_beating(connection, self.worker_id)
        except Exception:
            logger.exception("could not remove the worker's heartbeat")


async def _fan_out(repository: OutboxRepository, *, at: datetime, limit: int) -> None:
    """Deliveries for new messages: an e-mail gets one; an event one per enabled endpoint that
    existed when it happened and wants its type."""
    unfanned = await repository.unfanned(limit)
    if not unfanned:
        return
    endpoints = await repository.enabled_endpoints()
    deliveries: list[dict[str, Any]] = []
    for message in unfanned:
        base = {"message_id": message["id"], "message_created_at": message["created_at"]}
        if message["kind"] == messages.EMAIL:
            deliveries.append({**base, "endpoint_id": None})
            continue
        deliveries.extend(
            {**base, "endpoint_id": endpoint["id"]} for endpoint in endpoints if _wants(endpoint, message)
        )
    await repository.fan_out([message["id"] for message in unfanned], deliveries, at=at)


def _wants(endpoint: RowMapping, message: RowMapping) -> bool:
    if endpoint["created_at"] > message["created_at"]:
        return False
    event_types = endpoint["event_types"]
    return event_types is None or message["event_type"] in json.loads(event_types)


async def _first_of(*waits: Any, seconds: float) -> None:
    tasks = [asyncio.ensure_future(wait) for wait in waits]
    try:
        await asyncio.wait(tasks, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
