"""Endpoints and outbox rows for the delivery tests, made and read the way the worker sees them."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks import Webhook

from invoicing.config import Settings
from invoicing.core.db import transaction
from invoicing.core.ids import new_public_id
from invoicing.credit_notes.tables import credit_note_events
from invoicing.events.tables import invoice_events
from invoicing.outbox.tables import delivery_attempts, outbox_deliveries, outbox_messages
from invoicing.outbox.worker import Worker, WorkerOptions
from invoicing.webhooks.secrets import new_secret, seal
from invoicing.webhooks.tables import webhook_endpoints
from tests.conftest import Tenant


class FakeClock:
    """The worker's clock, moved by the test; it starts at the real now (the messages' times)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


async def add_endpoint(
    engine: AsyncEngine,
    tenant: Tenant,
    url: str,
    *,
    event_types: list[str] | None = None,
    secret: str | None = None,
    created_at: datetime | None = None,
) -> tuple[int, str]:
    """An enabled endpoint of `tenant`, by default created a second in the past (so it existed
    before the events the test makes next); (its id, its secret)."""
    secret = secret or new_secret()
    created = created_at or datetime.now(UTC) - timedelta(seconds=1)
    async with transaction(engine, write=True) as connection:
        result = await connection.execute(
            webhook_endpoints.insert()
            .values(
                tenant_id=tenant.id,
                public_id=new_public_id(),
                url=url,
                event_types=json.dumps(event_types) if event_types is not None else None,
                enabled=True,
                secret_sealed=seal(secret),
                version=1,
                created_at=created,
                updated_at=created,
            )
            .returning(webhook_endpoints.c.id)
        )
        return int(result.scalar_one()), secret


def worker_for(engine: AsyncEngine, clock: FakeClock | None = None, **settings: Any) -> Worker:
    configured = Settings(webhook_allow_private_networks=True, **settings)
    options = WorkerOptions(concurrency=8, lease=timedelta(seconds=60), poll_interval=0.05, heartbeat_interval=0.2)
    return Worker(engine, configured, options=options, clock=clock or FakeClock())


def verified(secret: str, body: bytes, headers: dict[str, str]) -> Any:
    """The payload, if its signature verifies with the standardwebhooks package (else it raises)."""
    return Webhook(secret).verify(body, headers)


async def messages_of(engine: AsyncEngine, tenant: Tenant) -> list[dict[str, Any]]:
    async with transaction(engine, write=False) as connection:
        rows = await connection.execute(
            select(outbox_messages).where(outbox_messages.c.tenant_id == tenant.id).order_by(outbox_messages.c.id)
        )
        return [dict(row) for row in rows.mappings()]


async def deliveries_of(engine: AsyncEngine, tenant: Tenant) -> list[dict[str, Any]]:
    async with transaction(engine, write=False) as connection:
        rows = await connection.execute(
            select(outbox_deliveries).where(outbox_deliveries.c.tenant_id == tenant.id).order_by(outbox_deliveries.c.id)
        )
        return [dict(row) for row in rows.mappings()]


async def attempts_of(engine: AsyncEngine, tenant: Tenant) -> list[dict[str, Any]]:
    async with transaction(engine, write=False) as connection:
        rows = await connection.execute(
            select(delivery_attempts).where(delivery_attempts.c.tenant_id == tenant.id).order_by(delivery_attempts.c.id)
        )
        return [dict(row) for row in rows.mappings()]


async def settle_earlier_work(engine: AsyncEngine) -> None:
    """Marks every message and delivery already in the shared test database as dealt with, so a
    test's worker delivers only what the test itself makes (other tests' tenants have sent
    invoices, whose e-mails would otherwise be this worker's to send)."""
    now = datetime.now(UTC)
    async with transaction(engine, write=True) as connection:
        await connection.execute(
            outbox_messages.update().where(outbox_messages.c.fanned_out_at.is_(None)).values(fanned_out_at=now)
        )
        await connection.execute(
            outbox_deliveries.update()
            .where(outbox_deliveries.c.state == "pending")
            .values(state="failed", completed_at=now, last_error="settled by the test set-up")
        )


async def event_types_of(engine: AsyncEngine, tenant: Tenant, subject_type: str, subject_id: int) -> list[str]:
    """A subject's events, oldest first, read from its events table (a deleted draft's too)."""
    table, key = (
        (invoice_events, invoice_events.c.invoice_id)
        if subject_type == "invoice"
        else (credit_note_events, credit_note_events.c.credit_note_id)
    )
    async with transaction(engine, write=False) as connection:
        rows = await connection.execute(
            select(table.c.type).where(table.c.tenant_id == tenant.id, key == subject_id).order_by(table.c.sequence)
        )
        return [row[0] for row in rows]
