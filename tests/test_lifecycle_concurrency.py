"""ACCEPTANCE 4: concurrent lifecycle changes on one invoice, on PostgreSQL and on SQLite.

Every request of a race is in flight at once (`asyncio.gather` over the in-process client; the
engine's pool lets 40 PostgreSQL or 20 SQLite transactions run together, the rest queue for a
connection). The invoice's lock makes them take turns: 50 cancels give one 200 and 49 refusals
with one event; 50 payments that together exceed the total never overpay. Mixed races end in a
state the event log replays to. A 5xx, or an exception out of the app, fails with its details.
"""

import random
from collections import Counter
from collections.abc import Awaitable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.concurrency import all_at_once
from tests.conftest import Tenant

RACERS = 50
TOTAL = Decimal("100.00")

# The lifecycle rules the replay holds every event to (SPEC 3), written out independently of src/.
ALLOWED_FROM = {
    "invoice.cancelled": {"issued", "partially_paid"},
    "invoice.cancel_reverted": {"cancelled"},
    "invoice.payment_recorded": {"issued", "partially_paid"},
    "invoice.voided": {"issued", "cancelled"},
}
REFUSALS = {
    "cancel": {(409, "invoice_already_cancelled"), (409, "invoice_not_cancellable")},
    "revert_cancel": {(409, "invoice_not_cancelled")},
    "payment": {(409, "invoice_not_payable"), (422, "overpayment")},
    "void": {(409, "invoice_already_void"), (409, "invoice_has_payments")},
}
SUCCESS = {"cancel": 200, "revert_cancel": 200, "payment": 201, "void": 200}
EVENT_OF = {
    "cancel": "invoice.cancelled",
    "revert_cancel": "invoice.cancel_reverted",
    "payment": "invoice.payment_recorded",
    "void": "invoice.voided",
}


async def _issued(tenant: Tenant, total: Decimal = TOTAL) -> dict[str, Any]:
    line = {"name": "Work", "quantity": "1", "unit_price": str(total), "vat_rate_percent": "0"}
    draft = await tenant.create_draft(lines=[line])
    issued = await tenant.issue(draft["id"])
    assert Decimal(issued["amount_payable"]) == total
    return issued


def _code(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, str(response.json().get("code"))


async def _invoice(tenant: Tenant, invoice_id: int) -> dict[str, Any]:
    response = await tenant.get(f"/invoices/{invoice_id}")
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


async def _events(tenant: Tenant, invoice_id: int) -> list[dict[str, Any]]:
    response = await tenant.get(f"/invoices/{invoice_id}/events")
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


async def _payments(tenant: Tenant, invoice_id: int) -> list[dict[str, Any]]:
    response = await tenant.get(f"/invoices/{invoice_id}/payments")
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def _assert_log_is_contiguous(events: list[dict[str, Any]], invoice: dict[str, Any]) -> None:
    assert [event["sequence"] for event in events] == list(range(1, len(events) + 1))
    assert invoice["version"] == events[-1]["sequence"]


def _replay(events: list[dict[str, Any]], total: Decimal) -> tuple[str, Decimal]:
    """Replays the log from its first event: each event starts where the last one ended and obeys
    the lifecycle rules. Returns the status and the amount paid the log leads to."""
    status: str | None = None
    paid = Decimal(0)
    cancelled_from: list[str] = []
    for event in events:
        where = f"event {event['sequence']} ({event['type']} {event['from_status']} -> {event['to_status']})"
        assert event["from_status"] == status, f"{where}: the previous event ended at {status}"
        kind = event["type"]
        if kind in ALLOWED_FROM:
            assert status in ALLOWED_FROM[kind], f"{where}: not allowed from {status}"
        if kind == "invoice.payment_recorded":
            paid += Decimal(event["data"]["amount"])
            assert paid <= total, f"{where}: overpaid ({paid} > {total})"
            assert event["to_status"] == ("paid" if paid == total else "partially_paid"), where
        elif kind == "invoice.cancelled":
            cancelled_from.append(status or "")
            assert event["to_status"] == "cancelled", where
        elif kind == "invoice.cancel_reverted":
            assert event["to_status"] == cancelled_from[-1], f"{where}: was {cancelled_from[-1]} before the cancel"
        elif kind == "invoice.voided":
            assert paid == 0, f"{where}: voided with {paid} paid"
            assert event["to_status"] == "void", where
        status = event["to_status"]
    assert status is not None
    return status, paid


# -- 50 cancels ----------------------------------------------------------------------------------


async def test_fifty_simultaneous_cancels_give_one_success_and_one_event(tenant: Tenant) -> None:
    issued = await _issued(tenant)
    invoice_id = issued["id"]
    before = await _events(tenant, invoice_id)

    responses = await all_at_once(
        [tenant.post(f"/invoices/{invoice_id}/cancel", json={"id": invoice_id}) for _ in range(RACERS)]
    )

    assert Counter(response.status_code for response in responses) == {200: 1, 409: RACERS - 1}
    refusals = [response.json() for response in responses if response.status_code == 409]
    assert {(body["code"], body["invoice_status"], body["success"]) for body in refusals} == {
        ("invoice_already_cancelled", "cancelled", "false")
    }
    winner = next(response for response in responses if response.status_code == 200).json()["data"]["invoice"]
    assert (winner["status"], winner["version"]) == ("cancelled", issued["version"] + 1)

    invoice = await _invoice(tenant, invoice_id)
    assert (invoice["status"], invoice["is_cancelled"]) == ("cancelled", True)
    assert invoice["version"] == issued["version"] + 1  # bumped once
    events = await _events(tenant, invoice_id)
    assert events[: len(before)] == before
    assert [event["type"] for event in events[len(before) :]] == ["invoice.cancelled"]
    assert (events[-1]["from_status"], events[-1]["to_status"]) == ("issued", "cancelled")
    _assert_log_is_contiguous(events, invoice)


# -- 50 payments ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "amounts",
    [
        pytest.param(["3.00"] * RACERS, id="50x3.00-remainder-left"),
        pytest.param(["4.00"] * RACERS, id="50x4.00-exactly-paid"),
        pytest.param(["7.77", "12.34", "3.00", "25.50", "0.99"] * (RACERS // 5), id="mixed-amounts"),
    ],
)
async def test_fifty_simultaneous_payments_never_overpay(tenant: Tenant, amounts: list[str]) -> None:
    assert len(amounts) == RACERS
    assert sum(map(Decimal, amounts)) > TOTAL
    issued = await _issued(tenant)
    invoice_id = issued["id"]
    before = await _events(tenant, invoice_id)

    responses = await all_at_once(
        [tenant.post(f"/invoices/{invoice_id}/payments", json={"amount": a, "method": "cash"}) for a in amounts]
    )

    accepted = [response.json()["data"] for response in responses if response.status_code == 201]
    accepted_sum = sum((Decimal(data["payment"]["amount"]) for data in accepted), Decimal(0))
    assert accepted, "no payment was accepted"
    assert accepted_sum <= TOTAL
    refused = Counter(_code(response) for response in responses if response.status_code != 201)
    assert set(refused) <= REFUSALS["payment"], refused

    invoice = await _invoice(tenant, invoice_id)
    assert Decimal(invoice["amount_paid"]) == accepted_sum
    assert Decimal(invoice["amount_due"]) == TOTAL - accepted_sum
    assert (invoice["status"] == "paid") == (accepted_sum == TOTAL)
    assert invoice["status"] in ("paid", "partially_paid")
    if refused[(409, "invoice_not_payable")]:
        assert invoice["status"] == "paid"  # only a paid invoice refuses payments outright
    if invoice["status"] == "partially_paid":  # what is left is less than every refused amount
        due = TOTAL - accepted_sum
        refused_amounts = [Decimal(a) for a, r in zip(amounts, responses, strict=True) if r.status_code != 201]
        assert all(amount > due for amount in refused_amounts)
    if len(set(amounts)) == 1:  # equal payments: how many fit is fixed, whatever the order
        assert len(accepted) == int(TOTAL // Decimal(amounts[0]))

    payments = await _payments(tenant, invoice_id)
    assert len(payments) == len(accepted)
    assert sum(Decimal(payment["amount"]) for payment in payments) == accepted_sum
    assert {payment["id"] for payment in payments} == {data["payment"]["id"] for data in accepted}

    # Each accepted payment saw the one before it: versions follow each other, amounts add up.
    running = Decimal(0)
    for step, data in enumerate(sorted(accepted, key=lambda data: data["invoice"]["version"]), start=1):
        running += Decimal(data["payment"]["amount"])
        assert data["invoice"]["version"] == issued["version"] + step
        assert Decimal(data["invoice"]["amount_paid"]) == running

    events = await _events(tenant, invoice_id)
    assert events[: len(before)] == before
    assert [event["type"] for event in events[len(before) :]] == ["invoice.payment_recorded"] * len(accepted)
    assert len(events) == len(before) + len(accepted)
    _assert_log_is_contiguous(events, invoice)
    assert _replay(events, TOTAL) == (invoice["status"], accepted_sum)


# -- mixed races ---------------------------------------------------------------------------------


def _call(tenant: Tenant, action: str, invoice_id: int, amount: str) -> Awaitable[httpx.Response]:
    if action == "payment":
        return tenant.post(f"/invoices/{invoice_id}/payments", json={"amount": amount, "method": "card"})
    if action == "void":
        return tenant.post(f"/invoices/{invoice_id}/void")
    path = "cancel" if action == "cancel" else "revert-cancel"
    return tenant.post(f"/invoices/{invoice_id}/{path}", json={"id": invoice_id})


async def _mixedall_at_once(tenant: Tenant, plan: Counter[str], *, seed: int, amount: str) -> None:
    issued = await _issued(tenant)
    invoice_id = issued["id"]
    before = await _events(tenant, invoice_id)
    actions = [action for action, count in sorted(plan.items()) for _ in range(count)]
    random.Random(seed).shuffle(actions)

    responses = await all_at_once([_call(tenant, action, invoice_id, amount) for action in actions])

    succeeded: Counter[str] = Counter()
    for action, response in zip(actions, responses, strict=True):
        if response.status_code == SUCCESS[action]:
            succeeded[action] += 1
        else:
            assert _code(response) in REFUSALS[action], f"{action}: {response.status_code} {response.text}"

    invoice = await _invoice(tenant, invoice_id)
    events = await _events(tenant, invoice_id)
    assert events[: len(before)] == before
    new_types = Counter(event["type"] for event in events[len(before) :])
    assert new_types == Counter({EVENT_OF[action]: count for action, count in succeeded.items()})
    _assert_log_is_contiguous(events, invoice)
    assert invoice["version"] == issued["version"] + sum(succeeded.values())

    status, paid = _replay(events, TOTAL)
    assert invoice["status"] == status, f"final {invoice['status']}, the log replays to {status}"
    assert Decimal(invoice["amount_paid"]) == paid == succeeded["payment"] * Decimal(amount)
    payments = await _payments(tenant, invoice_id)
    assert sum((Decimal(payment["amount"]) for payment in payments), Decimal(0)) == paid
    assert invoice["is_cancelled"] == (status == "cancelled")
    if "revert_cancel" not in plan:
        assert succeeded["cancel"] <= 1
    assert succeeded["void"] <= 1
    if succeeded["void"]:
        assert (status, paid) == ("void", Decimal(0))


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_cancels_payments_and_voids_at_once_end_where_the_event_log_says(tenant: Tenant, seed: int) -> None:
    await _mixedall_at_once(tenant, Counter(cancel=20, payment=20, void=10), seed=seed, amount="10.00")


@pytest.mark.parametrize("seed", [1, 2])
async def test_cancels_reverts_payments_and_voids_at_once_end_where_the_event_log_says(
    tenant: Tenant, seed: int
) -> None:
    plan = Counter(cancel=15, revert_cancel=15, payment=15, void=5)
    await _mixedall_at_once(tenant, plan, seed=seed, amount="12.50")
