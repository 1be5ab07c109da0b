"""Credit notes and allocations at once (issue 12, acceptance 2), on SQLite and PostgreSQL.

50 credit notes issued together against one invoice, worth more than it: the accepted ones sum
to at most its total, the rest are refused with a limit code, and the accepted ones hold
consecutive, unique numbers. 50 allocations together of one note's credit never overdraw it.
"""

from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.concurrency import all_at_once
from tests.conftest import Tenant, rows_of
from tests.lifecycle_states import Invoices

RACERS = 50


@pytest.mark.parametrize(
    ("line", "fitting", "code"),
    [
        # 7.00 of the line's 100.00 net each (+ 1.40 VAT): the line's net caps them at 14 (98.00).
        ("by_amount", 14, "credit_exceeds_line"),
        # Free lines of 7.00 at 0 %: the invoice's 120.00 caps them at 17 (119.00).
        ("free", 17, "credit_exceeds_invoice"),
    ],
)
async def test_fifty_simultaneous_credit_notes_never_credit_more_than_the_invoice(
    tenant: Tenant, line: str, fitting: int, code: str
) -> None:
    invoice = await Invoices(tenant).make("paid")  # 2 x 50.00 at 20 %: 120.00, paid
    credited = (
        {"invoice_line_id": invoice["lines"][0]["id"], "amount": "7.00"}
        if line == "by_amount"
        else {"name": "Goodwill", "quantity": "1", "unit_price": "7.00", "vat_rate_percent": "0"}
    )
    body = {"lines": [credited], "reason": "Price correction", "issue": True}
    responses = await all_at_once(
        [tenant.post(f"/invoices/{invoice['id']}/credit-notes", json=body) for _ in range(RACERS)]
    )
    accepted = [response.json()["data"]["credit_note"] for response in responses if response.status_code == 201]
    refused = Counter(response.json()["code"] for response in responses if response.status_code != 201)
    assert set(refused) == {code}, refused
    total = sum(Decimal(note["amount_total"]) for note in accepted)
    assert total <= Decimal("120.00")
    assert len(accepted) == fitting, (len(accepted), refused)
    numbers = sorted(int(note["document_number"][-9:]) for note in accepted)
    assert numbers == list(range(1, len(accepted) + 1)), "gapless and unique"
    shown = (await tenant.get(f"/invoices/{invoice['id']}")).json()["data"]
    assert Decimal(shown["amount_credited"]) == total
    assert Decimal(shown["amount_kept_as_credit"]) == total  # paid in full: all of it beyond the due


async def _spare(tenant: Tenant, invoices: Invoices, amount: str) -> dict[str, Any]:
    paid = await invoices.make("paid")
    line = {"name": "Credit", "quantity": "1", "unit_price": amount, "vat_rate_percent": "0"}
    response = await tenant.post(
        f"/invoices/{paid['id']}/credit-notes", json={"lines": [line], "reason": "Kept", "issue": True}
    )
    assert response.status_code == 201, response.text
    return dict(response.json()["data"]["credit_note"])


async def test_fifty_simultaneous_allocations_never_overdraw_one_credit(engine: AsyncEngine, tenant: Tenant) -> None:
    invoices = Invoices(tenant)
    note = await _spare(tenant, invoices, "100.00")  # 100.00 of customer credit
    open_invoices = [await invoices.make("issued") for _ in range(5)]  # 120.00 due each
    calls = [
        tenant.post(
            f"/invoices/{open_invoices[index % 5]['id']}/credit-allocations",
            json={"credit_note_id": note["id"], "amount": "3.00"},
        )
        for index in range(RACERS)
    ]
    responses = await all_at_once(calls)
    statuses = Counter(response.status_code for response in responses)
    refused = Counter(response.json()["code"] for response in responses if response.status_code != 201)
    assert set(refused) <= {"allocation_exceeds_credit"}, refused
    assert statuses[201] == 33, statuses  # 33 x 3.00 = 99.00 <= 100.00 < 34 x 3.00
    after = (await tenant.get(f"/credit-notes/{note['id']}")).json()["data"]
    assert after["amount_allocated"] == "99.00"
    assert after["amount_available"] == "1.00"
    rows = (await rows_of(engine, tenant.id))["credit_allocations"]
    assert len(rows) == 33
    applied = Decimal(0)
    for invoice in open_invoices:
        shown = (await tenant.get(f"/invoices/{invoice['id']}")).json()["data"]
        applied += Decimal(shown["amount_credit_applied"])
        assert Decimal(shown["amount_due"]) == Decimal("120.00") - Decimal(shown["amount_credit_applied"])
    assert applied == Decimal("99.00")
    balance = (await tenant.get(f"/customers/{invoices.customer_id}/credit-balance")).json()["data"]
    assert balance["balances"][0]["balance"] == "1.00"
