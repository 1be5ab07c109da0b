"""SPEC 3's lifecycle table, cell by cell, against the database: through the service functions
and over HTTP, on SQLite and PostgreSQL.

The expected table is written out here from the SPEC, not read from `invoicing.invoices.lifecycle`.
An allowed cell moves the invoice to the right state and writes exactly one event (whose
sequence is the invoice's new version); a refused cell answers its code and changes no row the
tenant owns. An archive or unarchive that finds the flag already as asked changes nothing.
"""

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.core.context import TenantContext
from invoicing.core.db import transaction
from invoicing.credit_notes import service as credit_service
from invoicing.credit_notes.schemas import AllocationCreate, CreditNoteCreate, FreeCreditLine
from invoicing.invoices import actions
from invoicing.invoices import service as invoice_service
from invoicing.invoices.lifecycle import InvoiceNotFound, LifecycleRefused
from invoicing.invoices.schemas import InvoiceUpdate
from invoicing.invoices.transitions import InvoiceView
from invoicing.payments import service as payment_service
from invoicing.payments.schemas import PaymentCreate
from tests.conftest import Tenant, rows_of
from tests.lifecycle_states import (
    CREDIT_LINE,
    NO_CREDIT_NOTE,
    PARTIAL,
    REMAINDER,
    SITUATIONS,
    Invoices,
    act,
    invoice_of,
    spare_credit,
    stored_events,
    stored_invoice,
)
from tests.spec_lifecycle import ACTIONS as SPEC_ACTIONS
from tests.spec_lifecycle import EVENT_TYPES, INTERNAL_ACTIONS, REFUSAL_CODES, SAME

# The actions called on an invoice (a credit note's refund and void are its own calls).
ACTIONS = [action for action in SPEC_ACTIONS if action not in INTERNAL_ACTIONS]

NOT_FOUND = "invoice_not_found"  # a deleted invoice answers 404 to everything

# The situations of the table: every state, the cancelled one reached both ways.
TABLE_SITUATIONS = [
    "draft",
    "issued",
    "partially_paid",
    "paid",
    "cancelled_from_issued",
    "cancelled_from_partially_paid",
    "void",
    "deleted",
]
LIVE_TABLE_SITUATIONS = TABLE_SITUATIONS[:-1]

# SPEC 3, row by row: the status an allowed action leads to (SAME: unchanged), or the refusal code.
TABLE: dict[str, dict[str, str]] = {
    "update": {
        "draft": SAME,
        "issued": "invoice_not_editable",
        "partially_paid": "invoice_not_editable",
        "paid": "invoice_not_editable",
        "cancelled_from_issued": "invoice_not_editable",
        "cancelled_from_partially_paid": "invoice_not_editable",
        "void": "invoice_not_editable",
    },
    "issue": {
        "draft": "issued",
        "issued": "invoice_not_draft",
        "partially_paid": "invoice_not_draft",
        "paid": "invoice_not_draft",
        "cancelled_from_issued": "invoice_not_draft",
        "cancelled_from_partially_paid": "invoice_not_draft",
        "void": "invoice_not_draft",
    },
    "send": {
        "draft": "issued",  # issued first, in the same change
        "issued": SAME,
        "partially_paid": SAME,
        "paid": SAME,
        "cancelled_from_issued": "invoice_not_sendable",
        "cancelled_from_partially_paid": "invoice_not_sendable",
        "void": "invoice_not_sendable",
    },
    "record_payment": {
        "draft": "invoice_not_payable",
        "issued": "partially_paid",  # pays PAYMENT_AMOUNT["issued"], less than is due
        "partially_paid": "paid",  # pays what is left
        "paid": "invoice_not_payable",
        "cancelled_from_issued": "invoice_not_payable",
        "cancelled_from_partially_paid": "invoice_not_payable",
        "void": "invoice_not_payable",
    },
    "cancel": {
        "draft": "invoice_not_cancellable",
        "issued": "cancelled",
        "partially_paid": "cancelled",
        "paid": "invoice_not_cancellable",
        "cancelled_from_issued": "invoice_already_cancelled",
        "cancelled_from_partially_paid": "invoice_already_cancelled",
        "void": "invoice_not_cancellable",
    },
    "revert_cancel": {
        "draft": "invoice_not_cancelled",
        "issued": "invoice_not_cancelled",
        "partially_paid": "invoice_not_cancelled",
        "paid": "invoice_not_cancelled",
        "cancelled_from_issued": "issued",
        "cancelled_from_partially_paid": "partially_paid",
        "void": "invoice_not_cancelled",
    },
    "void": {
        "draft": "invoice_is_draft",
        "issued": "void",
        "partially_paid": "invoice_has_payments",
        "paid": "invoice_has_payments",
        "cancelled_from_issued": "void",
        "cancelled_from_partially_paid": "invoice_has_payments",
        "void": "invoice_already_void",
    },
    "delete": {
        "draft": "deleted",
        "issued": "invoice_not_draft",
        "partially_paid": "invoice_not_draft",
        "paid": "invoice_not_draft",
        "cancelled_from_issued": "invoice_not_draft",
        "cancelled_from_partially_paid": "invoice_not_draft",
        "void": "invoice_not_draft",
    },
    # Idempotent: allowed whatever the flag is (both starting flags are tried below).
    "archive": dict.fromkeys(LIVE_TABLE_SITUATIONS, SAME),
    "unarchive": dict.fromkeys(LIVE_TABLE_SITUATIONS, SAME),
    # A credit note of 10.00 (lifecycle_states.CREDIT_LINE): off the amount due, or kept as credit.
    "credit": {
        "draft": "invoice_not_creditable",
        "issued": SAME,
        "partially_paid": SAME,
        "paid": SAME,
        "cancelled_from_issued": "invoice_not_creditable",
        "cancelled_from_partially_paid": "invoice_not_creditable",
        "void": "invoice_not_creditable",
    },
    # Customer credit applied as PAYMENT_AMOUNT would be paid.
    "apply_credit": {
        "draft": "invoice_not_payable",
        "issued": "partially_paid",
        "partially_paid": "paid",
        "paid": "invoice_not_payable",
        "cancelled_from_issued": "invoice_not_payable",
        "cancelled_from_partially_paid": "invoice_not_payable",
        "void": "invoice_not_payable",
    },
}
for _row in TABLE.values():
    _row["deleted"] = NOT_FOUND


# What a payment pays in each payable situation (the refused ones try 10.00).
PAYMENT_AMOUNT = {"issued": PARTIAL, "partially_paid": REMAINDER}
FLAG_ACTIONS = {"archive": True, "unarchive": False}  # action -> the flag it leaves


REFUSALS = REFUSAL_CODES | {NOT_FOUND}


def allowed(action: str, situation: str) -> bool:
    return TABLE[action][situation] not in REFUSALS


def status_after(action: str, situation: str) -> str:
    outcome = TABLE[action][situation]
    return SITUATIONS[situation] if outcome == SAME else outcome


def cells() -> list[Any]:
    """Every (situation, action) cell; archive and unarchive once with each starting flag."""
    params = []
    for situation in TABLE_SITUATIONS:
        for action in ACTIONS:
            flags = [False, True] if action in FLAG_ACTIONS and situation != "deleted" else [False]
            for archived in flags:
                suffix = "-archived" if archived else ""
                params.append(pytest.param(situation, action, archived, id=f"{action}-{situation}{suffix}"))
    return params


CELLS = cells()


def test_the_table_names_every_action_and_every_situation() -> None:
    assert list(TABLE) == ACTIONS
    assert all(set(row) == set(TABLE_SITUATIONS) for row in TABLE.values())
    assert set(TABLE_SITUATIONS) | {"void_from_cancelled"} == set(SITUATIONS)
    statuses = set(SITUATIONS.values())
    assert all(outcome in REFUSALS | statuses | {SAME} for row in TABLE.values() for outcome in row.values())
    assert {SITUATIONS[situation] for situation in TABLE_SITUATIONS} == {
        "draft",
        "issued",
        "partially_paid",
        "paid",
        "cancelled",
        "void",
        "deleted",
    }


# -- running one action --------------------------------------------------------------------------


async def run_service(
    engine: AsyncEngine, tenant_id: int, action: str, invoice_id: int, amount: str, credit_note_id: int
) -> InvoiceView:
    """One action through its service function, in its own write transaction."""
    async with transaction(engine, write=True) as connection:
        context = TenantContext(connection, tenant_id, actor="test")
        match action:
            case "update":
                return await invoice_service.update_draft(context, invoice_id, InvoiceUpdate(notes="Changed"))
            case "issue":
                return await invoice_service.issue_invoice(context, invoice_id)
            case "send":
                return await actions.send_invoice(context, invoice_id)
            case "record_payment":
                payment = PaymentCreate(amount=Decimal(amount), method="cash")
                return (await payment_service.record_payment(context, invoice_id, payment)).invoice
            case "cancel":
                return await actions.cancel_invoice(context, invoice_id)
            case "revert_cancel":
                return await actions.revert_cancel(context, invoice_id)
            case "void":
                return await actions.void_invoice(context, invoice_id)
            case "delete":
                return await actions.delete_draft(context, invoice_id)
            case "archive":
                return await actions.archive_invoice(context, invoice_id)
            case "unarchive":
                return await actions.unarchive_invoice(context, invoice_id)
            case "credit":
                request = CreditNoteCreate(lines=[FreeCreditLine(**CREDIT_LINE)], reason="Goodwill", issue=True)
                credited = await credit_service.create_credit_note(context, invoice_id, request)
                assert credited.invoice is not None
                return credited.invoice
            case "apply_credit":
                allocation = AllocationCreate(credit_note_id=credit_note_id, amount=Decimal(amount))
                return (await credit_service.allocate_credit(context, invoice_id, allocation)).invoice
    raise ValueError(f"unknown action {action!r}")


async def run(
    via: str, engine: AsyncEngine, tenant: Tenant, action: str, invoice_id: int, amount: str, credit_note_id: int
) -> tuple[str, Any]:
    """("ok", (status, version) as answered) or ("refused", (http status, code, invoice_status))."""
    if via == "service":
        try:
            view = await run_service(engine, tenant.id, action, invoice_id, amount, credit_note_id)
        except LifecycleRefused as refused:
            return "refused", (409, refused.error_code, refused.current_status.value)
        except InvoiceNotFound as missing:
            return "refused", (404, missing.error_code, None)
        return "ok", (view.invoice["status"], view.invoice["version"])
    response = await act(tenant, action, invoice_id, amount=amount, credit_note_id=credit_note_id)
    if response.status_code in (404, 409):
        assert response.headers["content-type"] == "application/problem+json", response.text
        body = response.json()
        return "refused", (response.status_code, body["code"], body.get("invoice_status"))
    answered = invoice_of(action, response)
    return "ok", (answered["status"], answered["version"])


# -- the table -----------------------------------------------------------------------------------


async def _credit_for(tenant: Tenant, action: str, invoice: dict[str, Any]) -> int:
    """A credit note with customer credit for `apply_credit` to draw on, made before the cell's
    snapshot (so its own rows and events are not the cell's change)."""
    if action != "apply_credit":
        return NO_CREDIT_NOTE
    return await spare_credit(tenant, invoice["customer"]["id"])


@pytest.mark.parametrize("via", ["service", "http"])
@pytest.mark.parametrize(("situation", "action", "archived"), CELLS)
async def test_every_cell_of_the_lifecycle_table_holds_in_the_database(
    engine: AsyncEngine, tenant: Tenant, via: str, situation: str, action: str, archived: bool
) -> None:
    invoice = await Invoices(tenant).make(situation, archived=archived)
    invoice_id = invoice["id"]
    amount = PAYMENT_AMOUNT.get(situation, "10.00")
    credit_note_id = await _credit_for(tenant, action, invoice)
    changes_nothing = not allowed(action, situation) or FLAG_ACTIONS.get(action) == archived
    # The whole snapshot where nothing may change; elsewhere the event count is enough (and cheaper).
    before = await rows_of(engine, tenant.id) if changes_nothing else None
    events_before = await stored_events(engine, tenant.id)
    stored_before = await stored_invoice(engine, tenant.id, invoice_id)

    outcome, detail = await run(via, engine, tenant, action, invoice_id, amount, credit_note_id)

    if not allowed(action, situation):
        code = TABLE[action][situation]
        if code == NOT_FOUND:
            assert (outcome, detail) == ("refused", (404, NOT_FOUND, None))
        else:
            assert (outcome, detail) == ("refused", (409, code, SITUATIONS[situation]))
        assert await rows_of(engine, tenant.id) == before, "a refused action must change nothing"
        return

    expected_status = status_after(action, situation)
    stored_after = await stored_invoice(engine, tenant.id, invoice_id)
    assert (outcome, detail) == ("ok", (expected_status, stored_after["version"]))
    assert stored_after["status"] == expected_status

    if changes_nothing:
        # Archive or unarchive found the flag already as asked: 200, yet not a single row changes
        # (no event, no new version).
        assert await rows_of(engine, tenant.id) == before
        assert stored_after["version"] == stored_before["version"]
        return

    if action in FLAG_ACTIONS:
        assert stored_after["is_archived"] is FLAG_ACTIONS[action]
    assert stored_after["version"] == stored_before["version"] + 1
    events_after = await stored_events(engine, tenant.id)
    assert len(events_after) == len(events_before) + 1, "exactly one event per change"
    event = events_after[-1]
    assert event["invoice_id"] == invoice_id
    assert event["type"] == EVENT_TYPES[action]
    assert event["from_status"] == SITUATIONS[situation]
    assert event["to_status"] == expected_status
    assert event["sequence"] == stored_after["version"]
    if via == "service":
        assert event["actor"] == "test"
    else:  # who acted, and the request it came with (SPEC 2)
        assert event["actor"]
        assert event["request_id"]


# -- available_actions ---------------------------------------------------------------------------


@pytest.mark.parametrize("situation", TABLE_SITUATIONS)
async def test_available_actions_agrees_with_the_lifecycle_table_both_ways(
    engine: AsyncEngine, tenant: Tenant, situation: str
) -> None:
    invoices_ = Invoices(tenant)
    invoice = await invoices_.make(situation)
    if situation != "deleted":
        response = await tenant.get(f"/invoices/{invoice['id']}")
        assert response.status_code == 200, response.text
        invoice = response.json()["data"]
    listed = invoice["available_actions"]
    assert listed == [action for action in ACTIONS if allowed(action, situation)]

    amount = PAYMENT_AMOUNT.get(situation, "10.00")
    for action in listed:  # each one succeeds, on a fresh invoice in the same situation
        fresh = await invoices_.make(situation)
        credit_note_id = await _credit_for(tenant, action, fresh)
        response = await act(tenant, action, fresh["id"], amount=amount, credit_note_id=credit_note_id)
        assert invoice_of(action, response)["status"] == status_after(action, situation), action

    before = await rows_of(engine, tenant.id)
    for action in ACTIONS:  # each unlisted one is refused, and changes nothing
        if action in listed:
            continue
        response = await act(tenant, action, invoice["id"], amount=amount)
        assert response.status_code == (404 if situation == "deleted" else 409), (action, response.text)
        body = response.json()
        assert body["code"] == TABLE[action][situation], action
        assert body.get("invoice_status") == (None if situation == "deleted" else SITUATIONS[situation]), action
    assert await rows_of(engine, tenant.id) == before
