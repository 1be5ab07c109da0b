"""Capture the SQL the service sends for one cancel and one revert, with the values it binds.

The app runs in this process against the bench database, and a `before_cursor_execute` listener
on its own engine records every statement of each request. Nothing is copied by hand, so the
ceiling follows the hot path whatever it becomes.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.databases import BenchDatabase
from invoicing.app import create_app
from invoicing.config import Settings

TRANSITIONS = {"cancel": "cancel", "revert": "revert-cancel"}  # direction -> path segment


@dataclass(frozen=True, slots=True)
class Statement:
    sql: str
    parameters: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Request:
    """One transition as the service ran it, and the invoice facts its bound values may name."""

    invoice_id: int
    version_before: int
    statements: list[Statement]

    @property
    def version_after(self) -> int:
        return self.version_before + 1


@dataclass(slots=True)
class Capture:
    """Both directions on two invoices: values that differ between the two name per-invoice facts."""

    requests: dict[str, list[Request]] = field(default_factory=lambda: {direction: [] for direction in TRANSITIONS})


class CaptureError(RuntimeError):
    pass


@contextmanager
def recording(engine: AsyncEngine) -> Iterator[list[Statement]]:
    recorded: list[Statement] = []

    def listener(_conn: Any, _cursor: Any, sql: str, parameters: Any, _context: Any, executemany: bool) -> None:
        if executemany:
            raise CaptureError(f"an executemany in the transition path cannot be replayed by pgbench: {sql}")
        recorded.append(Statement(sql, tuple(parameters or ())))

    event.listen(engine.sync_engine, "before_cursor_execute", listener)
    try:
        yield recorded
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", listener)


async def capture_transitions(database: BenchDatabase, token: str, tenant_id: int, invoice_ids: list[int]) -> Capture:
    """Cancels and reverts each invoice (issued, all of `tenant_id`); the second one is cycled
    once first so that its version differs from the first one's by more than one step."""
    settings = Settings(database_url=database.url, app_database_url=None, rate_limit_per_second=0)
    app = create_app(settings)
    headers = {"Authorization": f"Bearer {token}", "X-Tenant": str(tenant_id)}
    result = Capture()
    async with app.router.lifespan_context(app), _client(app) as client:
        first, second = invoice_ids
        for direction in TRANSITIONS:  # the uncaptured warm-up cycle of the second invoice
            await _transition(client, headers, second, direction)
        for invoice_id in (first, second):
            for direction in TRANSITIONS:
                version = await _version(database, invoice_id)
                with recording(app.state.engine) as statements:
                    await _transition(client, headers, invoice_id, direction)
                result.requests[direction].append(Request(invoice_id, version, list(statements)))
    return result


def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")


async def _transition(client: httpx.AsyncClient, headers: dict[str, str], invoice_id: int, direction: str) -> None:
    path = f"/api/v1/invoices/{invoice_id}/{TRANSITIONS[direction]}"
    response = await client.post(path, json={"id": invoice_id}, headers=headers)
    if response.status_code != 200:
        raise CaptureError(f"POST {path} answered {response.status_code}: {response.text[:300]}")


async def _version(database: BenchDatabase, invoice_id: int) -> int:
    connection = await asyncpg.connect(database.plain_postgres_url)
    try:
        version: int = await connection.fetchval("SELECT version FROM invoices WHERE id = $1", invoice_id)
        return version
    finally:
        await connection.close()
