"""Credit notes and allocations made over the primary API, for the tests of what other surfaces
(the dialects) show of them. No tests here."""

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import Tenant


async def credit(
    tenant: Tenant, invoice_id: int, lines: list[dict[str, Any]], *, refund: dict[str, str] | None = None
) -> dict[str, Any]:
    """An issued credit note against `invoice_id`; returns `{credit_note, invoice}` as answered."""
    body: dict[str, Any] = {"lines": lines, "reason": "Credited by a test", "issue": True}
    if refund is not None:
        body["refund"] = refund
    response = await tenant.post(f"/invoices/{invoice_id}/credit-notes", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json()["data"])


async def allocate(tenant: Tenant, invoice_id: int, credit_note_id: int, amount: str) -> dict[str, Any]:
    """Customer credit of `credit_note_id` applied to `invoice_id`; returns `{allocation, credit_note, invoice}`."""
    response = await tenant.post(
        f"/invoices/{invoice_id}/credit-allocations", json={"credit_note_id": credit_note_id, "amount": amount}
    )
    assert response.status_code == 201, response.text
    return dict(response.json()["data"])


async def primary_invoice(tenant: Tenant, invoice_id: int) -> dict[str, Any]:
    response = await tenant.get(f"/invoices/{invoice_id}")
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


class StatementLog:
    """The SQL statements the app sends while in a `with` block: to count the queries a page makes."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.statements: list[str] = []

    def _record(self, conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(statement)

    def __enter__(self) -> "StatementLog":
        event.listen(self.engine.sync_engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine.sync_engine, "before_cursor_execute", self._record)

    def reading(self, table: str) -> list[str]:
        """The statements that read `table` (a FROM or JOIN of it)."""
        return [
            statement
            for statement in self.statements
            if statement.lstrip().upper().startswith("SELECT") and f" {table}" in statement.replace("\n", " ")
        ]
