"""Issue 12, acceptance 4: FlowPayroll's `appliedCredits` and `totalCreditAmount` are the customer
credit an invoice received, exactly as the primary API shows it (golden test).

The scenario: invoice A is paid in full, then credited twice (one unit of consulting, part refunded
and the rest kept as credit; the books, all kept); invoice B of the same customer is part paid,
credited once itself (10.00 off the travel line) and receives both notes' credit. The golden file
is B as FlowPayroll shows it, with ids, numbers and instants named (`$invoice`, `$instant`, ...).
"""

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import Tenant
from tests.credit_notes.support import StatementLog, allocate, credit, primary_invoice
from tests.flowpayroll_support import BASE, Billed, FlowPayroll, billed, exact_json, pay

GOLDEN = Path(__file__).parent.parent / "fixtures" / "flowpayroll" / "credited_invoice.json"
INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def line_id(invoice: dict[str, Any], name: str) -> int:
    return next(int(line["id"]) for line in invoice["lines"] if line["name"] == name)


@dataclass(frozen=True)
class Scenario:
    customer: dict[str, Any]
    first: Billed  # A
    second: Billed  # B
    notes: list[dict[str, Any]]  # A's two credit notes, whose credit B received


async def credited_and_allocated(tenant: Tenant) -> Scenario:
    """A and B as the module docstring says."""
    customer = await tenant.create_customer()
    dates = {"issue_date": "2026-03-01", "due_date": "2026-03-31"}
    first = await billed(tenant, customer=customer, **dates)
    second = await billed(tenant, customer=customer, **dates)
    await pay(tenant, first, "435.50")
    await pay(tenant, second, "200.00")
    lines = await primary_invoice(tenant, first.id)
    consulting = await credit(
        tenant,
        first.id,
        [{"invoice_line_id": line_id(lines, "Consulting"), "quantity": "1"}],
        refund={"amount": "20.00", "method": "bank_transfer", "reference": "RF-7"},
    )
    books = await credit(tenant, first.id, [{"invoice_line_id": line_id(lines, "Books"), "quantity": "2"}])
    notes = [consulting["credit_note"], books["credit_note"]]
    assert [note["amount_kept_as_credit"] for note in notes] == ["100.00", "27.50"]
    travel = line_id(await primary_invoice(tenant, second.id), "Travel")
    await credit(tenant, second.id, [{"invoice_line_id": travel, "amount": "10.00"}])
    await allocate(tenant, second.id, notes[0]["id"], "100.00")
    await allocate(tenant, second.id, notes[1]["id"], "27.50")
    return Scenario(customer=customer, first=first, second=second, notes=notes)


def named(value: Any, names: dict[str, str]) -> Any:
    """`value` with known ids and numbers replaced by their names, instants by `$instant`, signed
    links by `$signed_link`, and amounts as their exact text (`Decimal('97.00')` -> `"97.00"`)."""
    if isinstance(value, dict):
        return {key: named(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [named(item, names) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, str):
        if value in names:
            return names[value]
        if INSTANT.match(value):
            return "$instant"
        if "/downloads/invoices/" in value:
            return "$signed_link"
    return value


def golden() -> Any:
    return named(json.loads(GOLDEN.read_text(encoding="utf-8"), parse_float=Decimal), {})


async def test_a_credited_and_allocated_invoice_reads_through_flowpayroll_as_the_golden_file(tenant: Tenant) -> None:
    scenario = await credited_and_allocated(tenant)
    second, notes = scenario.second, scenario.notes
    names = {
        tenant.public_id: "$organisation",
        second.client_id: "$client",
        second.public_id: "$invoice",
        str(second.number): "$invoice_number",
        f"{second.number}.pdf": "$invoice_number.pdf",
        f"{second.public_id}-pdf": "$invoice-pdf",
        **{note["public_id"]: f"$credit_note_{index}" for index, note in enumerate(notes, start=1)},
        **{note["document_number"]: f"$credit_note_{index}_number" for index, note in enumerate(notes, start=1)},
    }

    response = await FlowPayroll.of(tenant).get_invoice(second.client_id, second.public_id)

    assert response.status_code == 200, response.text
    data = exact_json(response)["content"]["data"]
    # Line items have no id in the primary API's answer: named by their position.
    names.update({item["id"]: f"$line_{item['position']}" for item in data["lineItems"]})
    assert named(data, names) == golden()


async def test_flowpayrolls_credit_figures_are_the_primary_apis_to_the_minor_unit(tenant: Tenant) -> None:
    scenario = await credited_and_allocated(tenant)
    flowpayroll = FlowPayroll.of(tenant)
    for invoice in (scenario.first, scenario.second):
        primary = await primary_invoice(tenant, invoice.id)
        allocations = (await tenant.get(f"/invoices/{invoice.id}/credit-allocations")).json()["data"]
        shown = exact_json(await flowpayroll.get_invoice(invoice.client_id, invoice.public_id))["content"]["data"]

        assert str(shown["totalCreditAmount"]) == primary["amount_credit_applied"]
        assert [(item["creditNoteId"], str(item["amountApplied"])) for item in shown["appliedCredits"]] == [
            (allocation["credit_note_public_id"], allocation["amount"]) for allocation in allocations
        ]
        assert [item["creditNoteNumber"] for item in shown["appliedCredits"]] == [
            allocation["credit_note_number"] for allocation in allocations
        ]
        assert str(shown["balanceDue"]) == primary["amount_due"]
        assert str(shown["amountPaid"]) == primary["amount_paid"]
        assert (str(shown["amountCredited"]), str(shown["amountRefunded"]), str(shown["amountKeptAsCredit"])) == (
            primary["amount_credited"],
            primary["amount_refunded"],
            primary["amount_kept_as_credit"],
        )
        assert str(shown["amount"]) == primary["amount_payable"]
        # The identity docs/flowpayroll.md states, on FlowPayroll's own figures.
        against_due = shown["amountCredited"] - shown["amountRefunded"] - shown["amountKeptAsCredit"]
        assert shown["balanceDue"] == (shown["amount"] - shown["amountPaid"] - against_due - shown["totalCreditAmount"])
    # A gave its credit away and received none; B received it.
    assert primary["amount_credit_applied"] == "127.50"


async def test_the_client_list_shows_each_invoices_own_credits_read_in_one_query(
    tenant: Tenant, app_engine: AsyncEngine
) -> None:
    scenario = await credited_and_allocated(tenant)
    first, second = scenario.first, scenario.second
    third = await billed(tenant, customer=scenario.customer)
    # Nothing is left of A's two notes' credit: a third note of A's makes some for the third invoice.
    travel = line_id(await primary_invoice(tenant, first.id), "Travel")
    extra = await credit(tenant, first.id, [{"invoice_line_id": travel, "quantity": "1"}])
    await allocate(tenant, third.id, extra["credit_note"]["id"], "48.00")

    with StatementLog(app_engine) as log:
        response = await FlowPayroll.of(tenant).client_invoices(second.client_id)

    assert response.status_code == 200, response.text
    listed = {item["id"]: item for item in exact_json(response)["content"]["data"]}
    assert [
        (item["creditNoteId"], str(item["amountApplied"])) for item in listed[third.public_id]["appliedCredits"]
    ] == [(extra["credit_note"]["public_id"], "48.00")]
    assert str(listed[third.public_id]["totalCreditAmount"]) == "48.00"
    assert str(listed[second.public_id]["totalCreditAmount"]) == "127.50"
    assert len(listed[second.public_id]["appliedCredits"]) == 2
    assert (listed[first.public_id]["appliedCredits"], str(listed[first.public_id]["totalCreditAmount"])) == (
        [],
        "0.00",
    )
    assert len(log.reading("credit_allocations")) == 1


async def test_a_page_without_credit_reads_no_allocations(tenant: Tenant, app_engine: AsyncEngine) -> None:
    invoice = await billed(tenant)
    with StatementLog(app_engine) as log:
        listed = await FlowPayroll.of(tenant).client_invoices(invoice.client_id)
        read = await FlowPayroll.of(tenant).get_invoice(invoice.client_id, invoice.public_id)
    assert (listed.status_code, read.status_code) == (200, 200)
    assert str(exact_json(read)["content"]["data"]["totalCreditAmount"]) == "0.00"
    assert log.reading("credit_allocations") == []


async def test_an_invoice_with_a_credit_note_cannot_be_voided_through_flowpayroll(tenant: Tenant) -> None:
    invoice = await billed(tenant)
    travel = line_id(await primary_invoice(tenant, invoice.id), "Travel")
    await credit(tenant, invoice.id, [{"invoice_line_id": travel, "amount": "10.00"}])

    response = await FlowPayroll.of(tenant).void(invoice.client_id, invoice.public_id)

    assert response.status_code == 400, response.text
    (refusal,) = response.json()["errors"]
    assert (refusal["field"], refusal["reasonId"]) == ("status", "invoice_has_credit_notes")
    assert (await primary_invoice(tenant, invoice.id))["status"] == "issued"


async def test_the_openapi_document_names_exactly_the_keys_of_an_applied_credit(tenant: Tenant) -> None:
    scenario = await credited_and_allocated(tenant)
    second = scenario.second
    data = exact_json(await FlowPayroll.of(tenant).get_invoice(second.client_id, second.public_id))["content"]["data"]
    document = (await tenant.client.get(f"{BASE}/openapi.json")).json()
    applied = document["components"]["schemas"]["AppliedCredit"]
    assert set(applied["properties"]) == set(data["appliedCredits"][0])
    assert applied["properties"]["amountApplied"]["type"] == "number"
