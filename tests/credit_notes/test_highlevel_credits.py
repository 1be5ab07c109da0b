"""HighLevel's `total`, `amountPaid`, `amountDue` and `status` follow a credited invoice (issue 12).

HighLevel has no credit notes, so its own figures carry them (docs/highlevel.md): `total` is the
invoice less its live credit notes, `amountPaid` what was paid towards it net of refunds and of
credit kept, plus credit applied from other notes; total = amountPaid + amountDue, and
totalSummary's subTotal - discount + tax = total, at every step.
"""

import json
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import Tenant
from tests.credit_notes.support import StatementLog, allocate, credit, primary_invoice
from tests.highlevel_support import Location, payment_body
from tests.lifecycle_states import Invoices


def exact(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return json.loads(response.text, parse_float=Decimal)


async def highlevel(tenant: Tenant, client: httpx.AsyncClient, invoice: dict[str, Any]) -> dict[str, Any]:
    """The invoice as HighLevel shows it, checked against the primary API's figures."""
    location = Location(tenant, client)
    shown = dict(exact(await location.request("GET", f"/invoices/{invoice['public_id']}", params=location.alt)))
    assert_consistent(shown, await primary_invoice(tenant, invoice["id"]))
    return shown


def assert_consistent(shown: dict[str, Any], primary: dict[str, Any]) -> None:
    total, paid, due = shown["total"], shown["amountPaid"], shown["amountDue"]
    assert str(due) == primary["amount_due"]
    assert total == Decimal(primary["amount_payable"]) - Decimal(primary["amount_credited"])
    assert paid == (
        Decimal(primary["amount_paid"])
        + Decimal(primary["amount_credit_applied"])
        - Decimal(primary["amount_refunded"])
        - Decimal(primary["amount_kept_as_credit"])
    )
    if shown["status"] != "void":
        assert paid + due == total, shown
    summary = shown["totalSummary"]
    assert summary["subTotal"] - summary["discount"] + summary["tax"] == total, summary
    for additive in ("amount_credited", "amount_refunded", "amount_kept_as_credit", "amount_credit_applied"):
        key = "".join(part.capitalize() if index else part for index, part in enumerate(additive.split("_")))
        assert str(shown[key]) == primary[additive], key


def figures(shown: dict[str, Any]) -> tuple[str, str, str, str]:
    return (shown["status"], str(shown["total"]), str(shown["amountPaid"]), str(shown["amountDue"]))


def summary_of(shown: dict[str, Any]) -> tuple[str, str, str]:
    summary = shown["totalSummary"]
    return (str(summary["subTotal"]), str(summary["discount"]), str(summary["tax"]))


async def test_a_credit_before_payment_lowers_the_total_and_what_is_due_and_the_invoice_stays_sent(
    tenant: Tenant, client: httpx.AsyncClient
) -> None:
    invoice = await Invoices(tenant).make("issued")  # 2 x 50.00 at 20 %: 120.00
    await credit(tenant, invoice["id"], [{"invoice_line_id": invoice["lines"][0]["id"], "amount": "30.00"}])

    shown = await highlevel(tenant, client, invoice)

    assert figures(shown) == ("sent", "84.00", "0.00", "84.00")
    assert summary_of(shown) == ("70.00", "0.00", "14.00")
    location = Location(tenant, client)
    path = f"/invoices/{invoice['public_id']}/record-payment"
    paid = exact(await location.request("POST", path, json=payment_body(location.alt_id)))["invoice"]
    assert figures(paid) == ("paid", "84.00", "84.00", "0.00")  # without an amount, what is due is paid
    assert_consistent(paid, await primary_invoice(tenant, invoice["id"]))


async def test_a_partial_credit_of_a_paid_invoice_with_a_refund_leaves_it_paid_for_what_it_now_costs(
    tenant: Tenant, client: httpx.AsyncClient
) -> None:
    invoice = await Invoices(tenant).make("paid")
    refund = {"amount": "50.00", "method": "bank_transfer", "reference": "RF-1"}
    await credit(
        tenant, invoice["id"], [{"invoice_line_id": invoice["lines"][0]["id"], "quantity": "1"}], refund=refund
    )

    shown = await highlevel(tenant, client, invoice)

    # 120.00 paid, 60.00 credited: 50.00 refunded and 10.00 kept as customer credit.
    assert figures(shown) == ("paid", "60.00", "60.00", "0.00")
    assert summary_of(shown) == ("50.00", "0.00", "10.00")
    assert (str(shown["amountCredited"]), str(shown["amountRefunded"]), str(shown["amountKeptAsCredit"])) == (
        "60.00",
        "50.00",
        "10.00",
    )


async def test_credit_kept_from_one_invoice_and_applied_to_the_next_is_counted_as_paid_once(
    tenant: Tenant, client: httpx.AsyncClient
) -> None:
    invoices = Invoices(tenant)
    first = await invoices.make("paid")
    next_one = await invoices.make("issued")
    whole_line = [{"invoice_line_id": first["lines"][0]["id"], "quantity": "2"}]
    note = (await credit(tenant, first["id"], whole_line))["credit_note"]
    await allocate(tenant, next_one["id"], note["id"], "100.00")

    credited, applied = await highlevel(tenant, client, first), await highlevel(tenant, client, next_one)

    assert figures(credited) == ("paid", "0.00", "0.00", "0.00")
    assert figures(applied) == ("partially_paid", "120.00", "100.00", "20.00")
    assert summary_of(applied) == ("100.00", "0.00", "20.00")
    # The customer's 120.00 shows once: 100.00 paid on the next invoice, 20.00 left in the balance.
    balance = (await tenant.get(f"/customers/{invoices.customer_id}/credit-balance")).json()["data"]
    assert balance["balances"][0]["balance"] == "20.00"


async def test_a_discounted_line_credited_by_quantity_takes_its_discount_off_the_summary(
    tenant: Tenant, client: httpx.AsyncClient
) -> None:
    line = {
        "name": "Licences",
        "quantity": "3",
        "unit_price": "33.33",
        "vat_rate_percent": "20",
        "discount_percent": "10",
    }
    invoice = await Invoices(tenant).make("issued", lines=[line])
    before = await highlevel(tenant, client, invoice)
    note = (await credit(tenant, invoice["id"], [{"invoice_line_id": invoice["lines"][0]["id"], "quantity": "1"}]))[
        "credit_note"
    ]
    (credited_line,) = note["lines"]

    shown = await highlevel(tenant, client, invoice)

    gross = Decimal(credited_line["amount_net"]) + Decimal(credited_line["amount_discount"])
    assert shown["totalSummary"]["subTotal"] == before["totalSummary"]["subTotal"] - gross
    assert shown["totalSummary"]["discount"] == before["totalSummary"]["discount"] - Decimal(
        credited_line["amount_discount"]
    )
    assert shown["totalSummary"]["tax"] == before["totalSummary"]["tax"] - Decimal(note["amount_tax_total"])
    assert shown["total"] == before["total"] - Decimal(note["amount_total"])


async def test_an_invoice_with_a_credit_note_cannot_be_voided_through_highlevel(
    tenant: Tenant, client: httpx.AsyncClient
) -> None:
    invoice = await Invoices(tenant).make("issued")
    await credit(tenant, invoice["id"], [{"invoice_line_id": invoice["lines"][0]["id"], "amount": "10.00"}])
    location = Location(tenant, client)

    response = await location.request("POST", f"/invoices/{invoice['public_id']}/void", json=location.alt)

    assert (response.status_code, response.json()) == (
        400,
        {"statusCode": 400, "message": "Can not void an invoice which has credit notes"},
    )
    assert (await primary_invoice(tenant, invoice["id"]))["status"] == "issued"


async def test_a_list_page_reads_its_invoices_credit_notes_in_one_query_and_none_without_any(
    tenant: Tenant, client: httpx.AsyncClient, app_engine: AsyncEngine
) -> None:
    invoices = Invoices(tenant)
    location = Location(tenant, client)
    plain = await invoices.make("issued")
    with StatementLog(app_engine) as log:
        exact(await location.request("GET", "/invoices/", params={**location.alt, "limit": 10, "offset": 0}))
    assert log.reading("credit_note_lines") == []

    credited = [await invoices.make("issued"), await invoices.make("paid")]
    for index, invoice in enumerate(credited, start=1):
        line = [{"invoice_line_id": invoice["lines"][0]["id"], "amount": f"{10 * index}.00"}]
        await credit(tenant, invoice["id"], line)
    with StatementLog(app_engine) as log:
        page = exact(await location.request("GET", "/invoices/", params={**location.alt, "limit": 10, "offset": 0}))

    assert len(log.reading("credit_note_lines")) == 1
    listed = {shown["_id"]: shown for shown in page["invoices"]}
    for invoice in [plain, *credited]:
        assert_consistent(listed[invoice["public_id"]], await primary_invoice(tenant, invoice["id"]))
    assert str(listed[credited[0]["public_id"]]["total"]) == "108.00"
    assert str(listed[credited[1]["public_id"]]["total"]) == "96.00"
