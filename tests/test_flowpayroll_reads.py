"""Reading through the FlowPayroll dialect: one invoice, its line items, and a client's invoices page by page."""

from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import Tenant, new_tenant
from tests.flowpayroll_support import Billed, FlowPayroll, billed, exact_json, pay


async def test_an_invoice_reads_as_the_primary_api_has_it(tenant: Tenant) -> None:
    invoice = await billed(tenant, due_date="2099-01-31", notes="Net 30")
    response = await FlowPayroll.of(tenant).get_invoice(invoice.client_id, invoice.public_id)
    assert response.status_code == 200, response.text
    data = exact_json(response)["content"]["data"]
    primary = (await tenant.get(f"/invoices/{invoice.id}")).json()["data"]
    assert data["invoiceNumber"] == primary["document_number"]
    assert (data["date"], data["dueDate"], data["notes"]) == (primary["issue_date"], "2099-01-31", "Net 30")
    assert data["amount"] == Decimal(primary["amount_payable"])
    assert data["subTotal"] == Decimal(primary["amount_tax_exclusive"])
    assert data["totalTax"] == Decimal(primary["amount_tax_total"])
    assert data["balanceDue"] == Decimal(primary["amount_due"])
    assert (data["currencyCode"], data["status"], data["emailSent"]) == ("TRY", "Issued", False)
    assert data["availableActions"] == primary["available_actions"]
    assert exact_json(response)["message"]["textId"] == "invoice_retrieved"


async def test_line_items_carry_quantities_prices_and_amounts_exactly(tenant: Tenant) -> None:
    invoice = await billed(tenant)
    response = await FlowPayroll.of(tenant).line_items(invoice.client_id, invoice.public_id)
    assert response.status_code == 200, response.text
    items = exact_json(response)["content"]["data"]
    summary = [
        (item["description"], item["quantity"], item["unitAmount"], item["lineAmount"], item["taxAmount"])
        for item in items
    ]
    assert summary == [
        ("Consulting", 3, Decimal("100.00"), Decimal("300.00"), Decimal("60.00")),
        ("Books", 2, Decimal("12.50"), Decimal("25.00"), Decimal("2.50")),
        ("Travel", 1, Decimal("40.00"), Decimal("40.00"), Decimal("8.00")),
    ]
    for item in items:
        assert item["amount"] == item["lineAmount"] + item["taxAmount"]
        assert (item["units"], item["chargeUnits"], item["chargeRate"]) == (
            item["quantity"],
            item["quantity"],
            item["unitAmount"],
        )
        assert (item["invoiceId"], item["clientId"], item["organisationId"]) == (
            invoice.public_id,
            invoice.client_id,
            tenant.public_id,
        )
    lines = (await tenant.get(f"/invoices/{invoice.id}")).json()["data"]["lines"]
    assert len({item["id"] for item in items}) == len(lines) == 3


async def test_subtotal_groups_sum_the_lines_per_tax_rate(tenant: Tenant) -> None:
    invoice = await billed(tenant)
    response = await FlowPayroll.of(tenant).get_invoice(invoice.client_id, invoice.public_id)
    groups = exact_json(response)["content"]["data"]["subtotalGroups"]
    assert groups == [
        {
            "label": "Tax 10%",
            "amount": Decimal("25.00"),
            "taxAmount": Decimal("2.50"),
            "totalAmount": Decimal("27.50"),
            "sortOrder": 1,
        },
        {
            "label": "Tax 20%",
            "amount": Decimal("340.00"),
            "taxAmount": Decimal("68.00"),
            "totalAmount": Decimal("408.00"),
            "sortOrder": 2,
        },
    ]


async def test_amounts_keep_the_currency_minor_units(engine: AsyncEngine, client: httpx.AsyncClient) -> None:
    tenant = await new_tenant(engine, client, currency="JPY")
    invoice = await billed(
        tenant, lines=[{"name": "Tea", "quantity": "3", "unit_price": "150", "vat_rate_percent": "8"}]
    )
    response = await FlowPayroll.of(tenant).get_invoice(invoice.client_id, invoice.public_id)
    assert '"amount":486,' in response.text
    assert exact_json(response)["content"]["data"]["totalTax"] == Decimal("36")


# -- status mapping ----------------------------------------------------------------------------


async def _in_state(tenant: Tenant, state: str, customer: dict[str, Any]) -> Billed:
    invoice = await billed(tenant, issue=state != "draft", customer=customer)
    if state in ("partially_paid", "paid"):
        await pay(tenant, invoice, "100.00" if state == "partially_paid" else "435.50")
    if state == "cancelled":
        assert (await tenant.post(f"/invoices/{invoice.id}/cancel", json={"id": invoice.id})).status_code == 200
    if state == "void":
        assert (await tenant.post(f"/invoices/{invoice.id}/void")).status_code == 200
    return invoice


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ("draft", "Draft"),
        ("issued", "Issued"),
        ("partially_paid", "Issued"),
        ("paid", "Paid"),
        ("cancelled", "Voided"),
        ("void", "Voided"),
    ],
)
async def test_each_state_maps_to_one_of_the_four_flowpayroll_statuses(tenant: Tenant, state: str, status: str) -> None:
    invoice = await _in_state(tenant, state, await tenant.create_customer())
    response = await FlowPayroll.of(tenant).get_invoice(invoice.client_id, invoice.public_id)
    data = exact_json(response)["content"]["data"]
    assert (data["status"], data["lifecycleStatus"]) == (status, state)
    expected_due = {"draft": "435.50", "issued": "435.50", "partially_paid": "335.50"}.get(state, "0.00")
    assert data["balanceDue"] == Decimal(expected_due)


# -- a client's invoices, page by page ---------------------------------------------------------


async def test_pages_walk_through_all_of_the_clients_invoices_and_only_theirs(tenant: Tenant) -> None:
    customer = await tenant.create_customer()
    mine = [await billed(tenant, customer=customer, issue=index % 2 == 0) for index in range(5)]
    await billed(tenant)  # another client's
    await tenant.post(f"/invoices/{mine[1].id}/archive")  # FlowPayroll has no archive: still listed
    flowpayroll = FlowPayroll.of(tenant)
    seen: list[str] = []
    pages: list[tuple[int, bool]] = []
    params: dict[str, str | int] = {"pageSize": 2}
    while True:
        response = await flowpayroll.client_invoices(customer["public_id"], **params)
        assert response.status_code == 200, response.text
        content = response.json()["content"]
        seen += [item["id"] for item in content["data"]]
        assert all(item["clientId"] == customer["public_id"] for item in content["data"])
        metadata = content["metadata"]
        assert metadata["pageSize"] == 2
        pages.append((len(content["data"]), metadata["hasMorePages"]))
        if not metadata["hasMorePages"]:
            assert metadata["paginationToken"] is None
            break
        params = {"pageSize": 2, "paginationToken": metadata["paginationToken"]}
    assert pages == [(2, True), (2, True), (1, False)]
    assert seen == [invoice.public_id for invoice in reversed(mine)]  # newest first


async def test_the_default_page_size_is_50_and_an_empty_client_has_an_empty_page(tenant: Tenant) -> None:
    customer = await tenant.create_customer()
    response = await FlowPayroll.of(tenant).client_invoices(customer["public_id"])
    assert response.status_code == 200, response.text
    content = response.json()["content"]
    assert content["data"] == []
    assert {key: content["metadata"][key] for key in ("pageSize", "hasMorePages", "paginationToken")} == {
        "pageSize": 50,
        "hasMorePages": False,
        "paginationToken": None,
    }


@pytest.mark.parametrize(
    ("params", "reason_id"),
    [
        ({"pageSize": 0}, "invalid_value"),
        ({"pageSize": 201}, "page_size_too_large"),
        ({"pageSize": "ten"}, "invalid_value"),
        ({"paginationToken": "not-a-token"}, "invalid_pagination_token"),
    ],
)
async def test_bad_paging_parameters_are_a_400_naming_the_parameter(
    tenant: Tenant, params: dict[str, str | int], reason_id: str
) -> None:
    customer = await tenant.create_customer()
    response = await FlowPayroll.of(tenant).client_invoices(customer["public_id"], **params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert [(error["field"], error["reasonId"]) for error in body["errors"]] == [(next(iter(params)), reason_id)]
    assert body["message"]["textId"] == "validation_failed"
