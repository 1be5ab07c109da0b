"""Bring a fresh invoice of a tenant into any lifecycle state (SPEC 3), over HTTP only.

A *situation* names a state and, where the state alone does not say enough, how it was
reached: a cancelled invoice remembers whether it was issued or partially paid, and that
decides what revert-cancel and void do. Every invoice made here has one line of 2 x 50.00 at
20 % VAT, so it is payable 120.00 (TRY, the test tenants' base currency); a partially paid one
has 40.00 paid and 80.00 due.

    invoices = Invoices(tenant)
    invoice = await invoices.make("cancelled_from_partially_paid", archived=True)
    response = await act(tenant, "revert_cancel", invoice["id"])

Reusable by any test file: nothing here depends on a particular test.
"""

from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import RowMapping, select
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.core.db import transaction
from invoicing.events.tables import invoice_events
from invoicing.invoices.tables import invoices
from tests.conftest import Tenant

LINE = {"name": "Work", "quantity": "2", "unit_price": "50.00", "vat_rate_percent": "20"}
PAYABLE = "120.00"
PARTIAL = "40.00"  # what a partially paid invoice has paid
REMAINDER = "80.00"  # what it still owes

# situation -> the status it shows
SITUATIONS: dict[str, str] = {
    "draft": "draft",
    "issued": "issued",
    "partially_paid": "partially_paid",
    "paid": "paid",
    "cancelled_from_issued": "cancelled",
    "cancelled_from_partially_paid": "cancelled",
    "void": "void",  # voided straight from issued
    "void_from_cancelled": "void",
    "deleted": "deleted",
}
LIVE_SITUATIONS = [situation for situation, status in SITUATIONS.items() if status != "deleted"]


# What the `credit` action credits: a free 10.00 line at 0 % (any invoice made here can take it).
CREDIT_LINE = {"name": "Goodwill", "quantity": "1", "unit_price": "10.00", "vat_rate_percent": "0"}
# A credit note id no tenant has: `apply_credit` is refused by the lifecycle before the note is read.
NO_CREDIT_NOTE = 2**53 - 1


async def act(
    tenant: Tenant, action: str, invoice_id: int, *, amount: str = "10.00", credit_note_id: int = NO_CREDIT_NOTE
) -> httpx.Response:
    """One lifecycle action over HTTP, sent the way a well-behaved client sends it.

    `credit` issues a credit note of CREDIT_LINE against the invoice; `apply_credit` applies
    `amount` of `credit_note_id`'s customer credit to it (see `spare_credit`)."""
    path = f"/invoices/{invoice_id}"
    match action:
        case "update":
            return await tenant.patch(path, json={"notes": "Changed by a test"})
        case "issue":
            return await tenant.post(f"{path}/issue")
        case "send":
            return await tenant.post(f"{path}/send")
        case "record_payment":
            return await tenant.post(f"{path}/payments", json={"amount": amount, "method": "bank_transfer"})
        case "cancel":
            return await tenant.post(f"{path}/cancel", json={"id": invoice_id})
        case "revert_cancel":
            return await tenant.post(f"{path}/revert-cancel", json={"id": invoice_id})
        case "void":
            return await tenant.post(f"{path}/void")
        case "delete":
            return await tenant.request("DELETE", path)
        case "archive":
            return await tenant.post(f"{path}/archive")
        case "unarchive":
            return await tenant.request("DELETE", f"{path}/archive", params={"id": invoice_id})
        case "credit":
            body = {"lines": [CREDIT_LINE], "reason": "Goodwill", "issue": True}
            return await tenant.post(f"{path}/credit-notes", json=body)
        case "apply_credit":
            body = {"credit_note_id": credit_note_id, "amount": amount}
            return await tenant.post(f"{path}/credit-allocations", json=body)
    raise ValueError(f"unknown action {action!r}")


async def spare_credit(tenant: Tenant, customer_id: int) -> int:
    """A credit note of `customer_id` keeping 100.00 of customer credit (a paid invoice of
    theirs credited by a free 100.00 line at 0 %), for `apply_credit` to draw on."""
    invoice = await Invoices(tenant, customer_id).make("paid")
    line = {"name": "Credit", "quantity": "1", "unit_price": "100.00", "vat_rate_percent": "0"}
    body = {"lines": [line], "reason": "Spare credit", "issue": True}
    response = await tenant.post(f"/invoices/{invoice['id']}/credit-notes", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["data"]["credit_note"]["id"])


SUCCESS_STATUS = {"record_payment": 201, "credit": 201, "apply_credit": 201}  # every other action answers 200


def invoice_of(action: str, response: httpx.Response) -> dict[str, Any]:
    """The invoice in a successful action's envelope (some nest it under `invoice`)."""
    assert response.status_code == SUCCESS_STATUS.get(action, 200), f"{action}: {response.text}"
    body = response.json()
    assert body["success"] == "true"
    data = body["data"]
    return dict(data["invoice"] if "invoice" in data and isinstance(data["invoice"], dict) else data)


async def succeed(tenant: Tenant, action: str, invoice_id: int, *, amount: str = "10.00") -> dict[str, Any]:
    """Runs an action that must succeed; returns the invoice as the response shows it."""
    return invoice_of(action, await act(tenant, action, invoice_id, amount=amount))


@dataclass
class Invoices:
    """Makes invoices of one tenant, all billed to one customer made on first use."""

    tenant: Tenant
    customer_id: int | None = None

    async def draft(self, **fields: Any) -> dict[str, Any]:
        if "customer_id" not in fields:
            if self.customer_id is None:
                self.customer_id = (await self.tenant.create_customer())["id"]
            fields["customer_id"] = self.customer_id
        fields.setdefault("lines", [LINE])
        return await self.tenant.create_draft(**fields)

    async def make(self, situation: str, *, archived: bool = False, **fields: Any) -> dict[str, Any]:
        """A fresh invoice in `situation`, archived if asked; returns it as last shown.

        A deleted invoice cannot be read back, so for it this is the delete response's invoice.
        Archiving happens before deleting (a deleted invoice cannot be archived).
        """
        assert situation in SITUATIONS, f"unknown situation {situation!r}"
        invoice = await self.draft(**fields)
        invoice_id = invoice["id"]
        steps = _STEPS[situation]
        if archived:
            invoice = await succeed(self.tenant, "archive", invoice_id)
        for action, amount in steps:
            invoice = await succeed(self.tenant, action, invoice_id, amount=amount)
        assert invoice["status"] == SITUATIONS[situation], invoice
        assert invoice["is_archived"] is archived
        return invoice


_ISSUE = ("issue", "")
_PAY_PART = ("record_payment", PARTIAL)
_PAY_REST = ("record_payment", REMAINDER)
_CANCEL = ("cancel", "")
_STEPS: dict[str, list[tuple[str, str]]] = {
    "draft": [],
    "issued": [_ISSUE],
    "partially_paid": [_ISSUE, _PAY_PART],
    "paid": [_ISSUE, _PAY_PART, _PAY_REST],
    "cancelled_from_issued": [_ISSUE, _CANCEL],
    "cancelled_from_partially_paid": [_ISSUE, _PAY_PART, _CANCEL],
    "void": [_ISSUE, ("void", "")],
    "void_from_cancelled": [_ISSUE, _CANCEL, ("void", "")],
    "deleted": [("delete", "")],
}


async def invoice_in(tenant: Tenant, situation: str, *, archived: bool = False, **fields: Any) -> dict[str, Any]:
    """One fresh invoice in `situation` (with a customer of its own unless `customer_id` is given)."""
    return await Invoices(tenant).make(situation, archived=archived, **fields)


async def draft(tenant: Tenant, **fields: Any) -> dict[str, Any]:
    return await invoice_in(tenant, "draft", **fields)


async def issued(tenant: Tenant, **fields: Any) -> dict[str, Any]:
    return await invoice_in(tenant, "issued", **fields)


async def partially_paid(tenant: Tenant, **fields: Any) -> dict[str, Any]:
    return await invoice_in(tenant, "partially_paid", **fields)


async def paid(tenant: Tenant, **fields: Any) -> dict[str, Any]:
    return await invoice_in(tenant, "paid", **fields)


async def cancelled(tenant: Tenant, *, from_state: str = "issued", **fields: Any) -> dict[str, Any]:
    """Cancelled from `issued` (the default) or from `partially_paid`."""
    assert from_state in ("issued", "partially_paid")
    return await invoice_in(tenant, f"cancelled_from_{from_state}", **fields)


async def void(tenant: Tenant, **fields: Any) -> dict[str, Any]:
    return await invoice_in(tenant, "void", **fields)


async def deleted(tenant: Tenant, **fields: Any) -> dict[str, Any]:
    return await invoice_in(tenant, "deleted", **fields)


async def archived(tenant: Tenant, situation: str = "issued", **fields: Any) -> dict[str, Any]:
    """An archived invoice in `situation` (any live one)."""
    assert situation in LIVE_SITUATIONS
    return await invoice_in(tenant, situation, archived=True, **fields)


# -- what is stored, deleted invoices included (reads through the API cannot see those) ----------


async def stored_invoice(engine: AsyncEngine, tenant_id: int, invoice_id: int) -> RowMapping:
    """The invoice's row as stored, whatever its status."""
    async with transaction(engine, write=False) as connection:
        statement = select(invoices).where(invoices.c.tenant_id == tenant_id, invoices.c.id == invoice_id)
        return (await connection.execute(statement)).mappings().one()


async def stored_events(engine: AsyncEngine, tenant_id: int, invoice_id: int | None = None) -> list[RowMapping]:
    """The tenant's events (one invoice's if given), in the order they were written."""
    async with transaction(engine, write=False) as connection:
        statement = select(invoice_events).where(invoice_events.c.tenant_id == tenant_id)
        if invoice_id is not None:
            statement = statement.where(invoice_events.c.invoice_id == invoice_id)
        return list((await connection.execute(statement.order_by(invoice_events.c.id))).mappings().all())
