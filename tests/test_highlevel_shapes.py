"""ACCEPTANCE 2 (HighLevel): every key and JSON type of the DTOs, in every answer, on both databases."""

import json
from decimal import Decimal

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.highlevel_support import (
    create_body,
    item,
    item_problems,
    new_location,
    payment_body,
    send_body,
    shape_problems,
)


async def test_create_get_delete_answer_with_every_key_of_their_dtos(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    location = await new_location(engine, client)
    created = await location.create()
    assert shape_problems(created, "DefaultInvoiceResponseDto") == []
    assert item_problems(created) == []

    got = await location.request("GET", f"/invoices/{created['_id']}", params=location.alt)
    assert got.status_code == 200, got.text
    assert shape_problems(got.json(), "GetInvoiceResponseDto") == []
    assert shape_problems(got.json()["totalSummary"], "TotalSummaryDto") == []

    deleted = await location.request("DELETE", f"/invoices/{created['_id']}", params=location.alt)
    assert deleted.status_code == 200, deleted.text
    assert shape_problems(deleted.json(), "DeleteInvoiceResponseDto") == []
    assert deleted.json()["_id"] == created["_id"]


async def test_void_send_and_payment_answers_have_their_dtos_keys(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    location = await new_location(engine, client)
    voided_one = await location.create()
    sent = await location.request("POST", f"/invoices/{voided_one['_id']}/send", json=send_body(location.alt_id))
    assert sent.status_code == 200, sent.text
    assert shape_problems(sent.json(), "SendInvoicesResponseDto") == []
    assert shape_problems(sent.json()["invoice"], "DefaultInvoiceResponseDto") == []
    voided = await location.request("POST", f"/invoices/{voided_one['_id']}/void", json=location.alt)
    assert voided.status_code == 200, voided.text
    assert shape_problems(voided.json(), "VoidInvoiceResponseDto") == []
    assert voided.json()["status"] == "void"

    paid_one = await location.create()
    await location.send(paid_one["_id"])
    paid = await location.request(
        "POST", f"/invoices/{paid_one['_id']}/record-payment", json=payment_body(location.alt_id, amount=100)
    )
    assert paid.status_code == 200, paid.text
    assert shape_problems(paid.json(), "RecordPaymentResponseDto") == []
    assert paid.json()["success"] is True

    listed = await location.request("GET", "/invoices/", params={**location.alt, "limit": "10", "offset": "0"})
    assert listed.status_code == 200, listed.text
    assert shape_problems(listed.json(), "ListInvoicesResponseDto") == []
    for invoice in listed.json()["invoices"]:
        assert shape_problems(invoice, "GetInvoiceResponseDto") == []


async def test_fields_map_to_highlevel_names_and_values(engine: AsyncEngine, client: httpx.AsyncClient) -> None:
    location = await new_location(engine, client)
    body = create_body(location.alt_id, discount={"type": "percentage", "value": 10})
    created = await location.create(**{key: body[key] for key in ("discount",)})
    assert created["altId"] == location.alt_id
    assert (created["altType"], created["status"], created["liveMode"]) == ("location", "draft", False)
    assert (created["name"], created["title"], created["currency"]) == ("New Invoice", "INVOICE", "USD")
    assert (created["issueDate"], created["dueDate"]) == ("2026-01-05", "2026-01-19")
    assert created["businessDetails"] == body["businessDetails"]
    assert created["contactDetails"]["email"] == "alex@example.com"
    assert created["contactDetails"]["address"] == {"countryCode": "US", "city": "Houston"}
    # 2 x 999.99 = 1999.98, less 10% = 1799.98 (rounded per line), plus 10% tax 180.00.
    assert created["totalSummary"] == {"subTotal": 1999.98, "discount": 200.00, "tax": 180.00}
    assert (created["total"], created["amountDue"], created["amountPaid"]) == (1979.98, 1979.98, 0)
    line = created["invoiceItems"][0]
    assert (line["name"], line["qty"], line["amount"], line["productId"]) == (
        "Macbook Pro",
        2,
        999.99,
        item()["productId"],
    )
    assert line["taxes"] == item()["taxes"]
    assert created["invoiceNumber"] == 0
    assert created["documentNumber"] is None
    assert created["createdAt"].endswith("Z")
    assert len(created["createdAt"]) == len("2023-12-12T09:27:42.355Z")


async def test_amounts_are_json_numbers_written_exactly(engine: AsyncEngine, client: httpx.AsyncClient) -> None:
    location = await new_location(engine, client)
    created = await location.create(items=[item(amount=0.1, qty=3, taxes=[])])
    response = await location.request("GET", f"/invoices/{created['_id']}", params=location.alt)
    exact = json.loads(response.text, parse_float=Decimal)
    assert exact["total"] == Decimal("0.30")
    assert '"total":0.30' in response.text
    assert exact["invoiceItems"][0]["amount"] == Decimal("0.1")


async def test_statuses_follow_spec_6(engine: AsyncEngine, client: httpx.AsyncClient) -> None:
    location = await new_location(engine, client)
    invoice = await location.create()
    assert (await location.send(invoice["_id"]))["status"] == "sent"
    paid = await location.request(
        "POST", f"/invoices/{invoice['_id']}/record-payment", json=payment_body(location.alt_id, amount=1)
    )
    assert paid.json()["invoice"]["status"] == "partially_paid"
    rest = await location.request(
        "POST", f"/invoices/{invoice['_id']}/record-payment", json=payment_body(location.alt_id)
    )
    assert rest.status_code == 200, rest.text
    assert (rest.json()["invoice"]["status"], rest.json()["invoice"]["amountDue"]) == ("paid", 0)
    assert rest.json()["invoice"]["invoiceNumber"] >= 1
    assert rest.json()["invoice"]["documentNumber"].startswith("INV")
