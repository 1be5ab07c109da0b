"""Webhook endpoint tests' helpers: a resolver the test controls, and outbox rows written as
the worker would (the worker itself is not needed to read a delivery log or to check a replay)."""

import dataclasses
import json
import socket
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.core.db import transaction
from invoicing.core.ids import new_public_id
from invoicing.outbox.tables import delivery_attempts, outbox_deliveries, outbox_messages
from tests.conftest import Tenant

PUBLIC_ADDRESS = "93.184.215.14"  # a public address; nothing connects to it in these tests
PUBLIC_URL = "https://hooks.example.com/invoicing"


class FakeResolver:
    """What each host name resolves to; an unknown name does not resolve."""

    def __init__(self) -> None:
        self.answers: dict[str, list[str]] = {"hooks.example.com": [PUBLIC_ADDRESS]}
        self.asked: list[str] = []

    async def lookup(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.answers[host]


def on_lan(tenant: Tenant, lan_client: httpx.AsyncClient) -> Tenant:
    return dataclasses.replace(tenant, client=lan_client)


async def create_endpoint(tenant: Tenant, **fields: Any) -> dict[str, Any]:
    response = await tenant.post("/webhook-endpoints", json={"url": PUBLIC_URL, **fields})
    assert response.status_code == 201, response.text
    return dict(response.json()["data"])


Row = dict[str, Any]


async def insert_row(engine: AsyncEngine, table: Any, **values: Any) -> Row:
    async with transaction(engine, write=True) as connection:
        row = (await connection.execute(insert(table).values(**values).returning(table))).mappings().one()
    return dict(row)


async def add_message(
    engine: AsyncEngine,
    tenant: Tenant,
    *,
    event_type: str = "invoice.issued",
    created_at: datetime,
    fanned_out: bool = True,
    kind: str = "webhook",
) -> Row:
    return await insert_row(
        engine,
        outbox_messages,
        tenant_id=tenant.id,
        public_id=new_public_id(),
        kind=kind,
        event_type=event_type,
        subject_type="invoice",
        subject_id=1,
        payload=json.dumps({"type": event_type, "timestamp": created_at.isoformat(), "data": {}}),
        created_at=created_at,
        fanned_out_at=created_at if fanned_out else None,
    )


async def add_delivery(
    engine: AsyncEngine, tenant: Tenant, message: Row, endpoint_id: int, *, state: str = "delivered", attempts: int = 1
) -> Row:
    done = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    return await insert_row(
        engine,
        outbox_deliveries,
        tenant_id=tenant.id,
        public_id=new_public_id(),
        message_id=message["id"],
        endpoint_id=endpoint_id,
        state=state,
        attempts=attempts,
        next_attempt_at=done,
        leased_by="worker-1",
        leased_until=done,
        last_attempt_at=done,
        last_status=200 if state == "delivered" else 500,
        message_created_at=message["created_at"],
        created_at=message["created_at"],
        completed_at=done if state != "pending" else None,
    )


async def add_attempt(engine: AsyncEngine, tenant: Tenant, delivery: Row, **values: Any) -> Row:
    defaults: Row = {
        "attempt": 1,
        "attempted_at": datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
        "outcome": "delivered",
        "status_code": 200,
        "duration_ms": 42,
        "response_excerpt": "ok",
        "error": None,
    }
    return await insert_row(
        engine,
        delivery_attempts,
        tenant_id=tenant.id,
        public_id=new_public_id(),
        delivery_id=delivery["id"],
        message_id=delivery["message_id"],
        endpoint_id=delivery["endpoint_id"],
        **{**defaults, **values},
    )


async def deliveries_of(engine: AsyncEngine, tenant: Tenant, endpoint_id: int) -> list[Row]:
    async with transaction(engine, write=False) as connection:
        statement = (
            select(outbox_deliveries)
            .where(outbox_deliveries.c.tenant_id == tenant.id, outbox_deliveries.c.endpoint_id == endpoint_id)
            .order_by(outbox_deliveries.c.message_id)
        )
        return [dict(row) for row in (await connection.execute(statement)).mappings()]
