"""A decimal sent in any JSON spelling (`1e2`, `1E+2`, `100.0000`, `0.1e1`) is one value in one
plain form wherever it ends up: the stored row, the answer and the event agree, on both databases.

Every decimal field of every write endpoint is sent as a raw JSON number, one field at a time.
"""

import json
import re
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import Tenant, rows_of
from tests.highlevel_support import Location, create_body, item, new_location, payment_body

# JSON spelling -> the plain text it is stored and shown as (the decimals sent are kept).
SPELLINGS = {"1e2": "100", "1E+2": "100", "100.0000": "100.0000", "0.1e1": "1"}
JSON = {"Content-Type": "application/json"}
NUMBER = "<number>"  # where the spelling goes in a body, as raw JSON
HERE = f'"{NUMBER}"'
EXPONENT = re.compile(r"^-?[0-9.]+[eE][+-]?[0-9]+$")
EXPONENT_NUMBER = re.compile(r"[:,\[]\s*-?[0-9.]+[eE]")  # a JSON number (not text) in exponent form
LINE = {"name": "Work", "quantity": "1", "unit_price": "500", "vat_rate_percent": "0", "discount_percent": "0"}


def raw_body(body: Any, spelling: str) -> bytes:
    return json.dumps(body).replace(HERE, spelling).encode()


def exact(value: Any) -> Decimal:
    """A stored or answered decimal, with its exponent (`100` and `100.0000` differ)."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def same_decimal(value: Any, plain: str) -> bool:
    return exact(value).as_tuple() == Decimal(plain).as_tuple() and format(exact(value), "f") == plain


async def assert_nothing_stored_with_an_exponent(engine: AsyncEngine, tenant_id: int) -> None:
    """No stored decimal, and no decimal text in any event, is in exponent form."""
    for table, rows in (await rows_of(engine, tenant_id)).items():
        for row in rows:
            for value in row:
                if isinstance(value, Decimal):
                    assert "E" not in str(value), (table, row)
    async with engine.connect() as connection:
        statement = text("SELECT data FROM invoice_events WHERE tenant_id = :tenant AND data IS NOT NULL")
        for (data,) in await connection.execute(statement, {"tenant": tenant_id}):
            texts = [value for value in json.loads(data).values() if isinstance(value, str)]
            assert not any(EXPONENT.search(value) for value in texts), data


async def stored_line(engine: AsyncEngine, invoice_id: int) -> dict[str, Any]:
    async with engine.connect() as connection:
        statement = text("SELECT * FROM invoice_lines WHERE invoice_id = :invoice ORDER BY position")
        return dict((await connection.execute(statement, {"invoice": invoice_id})).mappings().one())


async def stored_invoice(engine: AsyncEngine, invoice_id: int) -> dict[str, Any]:
    async with engine.connect() as connection:
        statement = text("SELECT * FROM invoices WHERE id = :invoice")
        return dict((await connection.execute(statement, {"invoice": invoice_id})).mappings().one())


async def events(engine: AsyncEngine, invoice_id: int) -> list[dict[str, Any]]:
    async with engine.connect() as connection:
        statement = text("SELECT data FROM invoice_events WHERE invoice_id = :invoice ORDER BY sequence")
        rows = await connection.execute(statement, {"invoice": invoice_id})
        return [json.loads(data) if data else {} for (data,) in rows]


# -- the primary API ---------------------------------------------------------------------------

# The decimal fields of a draft: its lines' and its exchange rate.
DRAFT_FIELDS = ("quantity", "unit_price", "vat_rate_percent", "discount_percent", "exchange_rate")


def draft_body(field: str) -> dict[str, Any]:
    if field == "exchange_rate":
        return {"currency": "EUR", "exchange_rate": NUMBER, "lines": [LINE]}
    return {"currency": "EUR", "exchange_rate": "1", "lines": [{**LINE, field: NUMBER}]}


def shown_draft_value(answer: dict[str, Any], field: str) -> Any:
    return answer[field] if field == "exchange_rate" else answer["lines"][0][field]


@pytest.mark.parametrize("spelling", SPELLINGS)
@pytest.mark.parametrize("field", DRAFT_FIELDS)
async def test_a_decimal_of_a_draft_is_stored_and_shown_in_its_plain_form(
    engine: AsyncEngine, tenant: Tenant, field: str, spelling: str
) -> None:
    plain = SPELLINGS[spelling]
    customer = await tenant.create_customer()
    created = await tenant.post(
        "/invoices", content=raw_body({"customer_id": customer["id"], **draft_body(field)}, spelling), headers=JSON
    )
    assert created.status_code == 201, created.text
    draft = created.json()["data"]
    patched = await tenant.patch(
        f"/invoices/{draft['id']}", content=raw_body(draft_body(field), spelling), headers=JSON
    )
    assert patched.status_code == 200, patched.text

    for answer in (draft, patched.json()["data"], (await tenant.get(f"/invoices/{draft['id']}")).json()["data"]):
        assert shown_draft_value(answer, field) == plain
    row = await (stored_invoice if field == "exchange_rate" else stored_line)(engine, draft["id"])
    assert same_decimal(row[field], plain), row[field]
    await assert_nothing_stored_with_an_exponent(engine, tenant.id)


@pytest.mark.parametrize("spelling", SPELLINGS)
async def test_a_payment_is_stored_shown_and_recorded_in_the_currencys_minor_units(
    engine: AsyncEngine, tenant: Tenant, spelling: str
) -> None:
    minor_units = f"{Decimal(SPELLINGS[spelling]):.2f}"  # TRY: `1e2` is 100.00 everywhere
    invoice = await tenant.issue((await tenant.create_draft(lines=[LINE]))["id"])
    paid = await tenant.post(
        f"/invoices/{invoice['id']}/payments",
        content=raw_body({"amount": NUMBER, "method": "card"}, spelling),
        headers=JSON,
    )
    assert paid.status_code == 201, paid.text

    listed = (await tenant.get(f"/invoices/{invoice['id']}/payments")).json()["data"]
    assert [payment["amount"] for payment in listed] == [minor_units]
    async with engine.connect() as connection:
        statement = text("SELECT amount FROM payments WHERE invoice_id = :invoice")
        stored = (await connection.execute(statement, {"invoice": invoice["id"]})).scalar_one()
    assert same_decimal(stored, minor_units), stored
    recorded = (await tenant.get(f"/invoices/{invoice['id']}/events")).json()["data"][-1]
    assert recorded["data"]["amount"] == minor_units
    assert (await events(engine, invoice["id"]))[-1]["amount"] == minor_units
    await assert_nothing_stored_with_an_exponent(engine, tenant.id)


# -- HighLevel ---------------------------------------------------------------------------------


def exact_json(response: httpx.Response) -> Any:
    return json.loads(response.text, parse_float=Decimal, parse_int=Decimal)


def highlevel_item(field: str) -> dict[str, Any]:
    base = item(amount=500, qty=1, taxes=[{"_id": "t1", "name": "Tax", "rate": 0, "calculation": "exclusive"}])
    if field == "rate":
        base["taxes"][0]["rate"] = NUMBER
    else:
        base[field] = NUMBER
    return base


def shown_item_value(answer: dict[str, Any], field: str) -> Any:
    shown = answer["invoiceItems"][0]
    return shown["taxes"][0]["rate"] if field == "rate" else shown[field]


HIGHLEVEL_ITEM_FIELDS = {"amount": "unit_price", "qty": "quantity", "rate": "vat_rate_percent"}


async def highlevel_invoice_id(engine: AsyncEngine, public_id: str) -> int:
    async with engine.connect() as connection:
        statement = text("SELECT id FROM invoices WHERE public_id = :public_id")
        return int((await connection.execute(statement, {"public_id": public_id})).scalar_one())


async def hl(location: Location, method: str, path: str, body: Any, spelling: str) -> dict[str, Any]:
    response = await location.request(method, path, content=raw_body(body, spelling), headers=JSON)
    assert response.status_code == 200, response.text
    assert not EXPONENT_NUMBER.search(response.text), response.text
    return dict(exact_json(response))


@pytest.mark.parametrize("spelling", SPELLINGS)
@pytest.mark.parametrize("field", HIGHLEVEL_ITEM_FIELDS)
async def test_a_highlevel_item_number_is_stored_and_shown_in_its_plain_form(
    engine: AsyncEngine, client: httpx.AsyncClient, field: str, spelling: str
) -> None:
    plain = SPELLINGS[spelling]
    location = await new_location(engine, client)
    created = await hl(
        location, "POST", "/invoices/", create_body(location.alt_id, items=[highlevel_item(field)]), spelling
    )
    update = {**create_body(location.alt_id), "invoiceItems": [highlevel_item(field)]}
    updated = await hl(location, "PUT", f"/invoices/{created['_id']}", update, spelling)

    for answer in (created, updated):
        assert same_decimal(shown_item_value(answer, field), plain), shown_item_value(answer, field)
    invoice_id = await highlevel_invoice_id(engine, created["_id"])
    assert same_decimal((await stored_line(engine, invoice_id))[HIGHLEVEL_ITEM_FIELDS[field]], plain)
    await assert_nothing_stored_with_an_exponent(engine, location.tenant.id)


@pytest.mark.parametrize("spelling", SPELLINGS)
async def test_a_highlevel_discount_is_stored_and_shown_in_its_plain_form(
    engine: AsyncEngine, client: httpx.AsyncClient, spelling: str
) -> None:
    plain = SPELLINGS[spelling]
    location = await new_location(engine, client)
    discount = {"type": "percentage", "value": NUMBER}
    created = await hl(location, "POST", "/invoices/", create_body(location.alt_id, discount=discount), spelling)
    update = {**create_body(location.alt_id), "invoiceItems": [item()], "discount": discount}
    updated = await hl(location, "PUT", f"/invoices/{created['_id']}", update, spelling)

    for answer in (created, updated):
        assert same_decimal(answer["discount"]["value"], plain), answer["discount"]
    stored = await stored_invoice(engine, await highlevel_invoice_id(engine, created["_id"]))
    details = json.loads(stored["highlevel_details"], parse_float=Decimal, parse_int=Decimal)
    assert same_decimal(details["discount"]["value"], plain), stored["highlevel_details"]
    await assert_nothing_stored_with_an_exponent(engine, location.tenant.id)


@pytest.mark.parametrize("spelling", SPELLINGS)
async def test_a_highlevel_payment_is_recorded_in_the_currencys_minor_units(
    engine: AsyncEngine, client: httpx.AsyncClient, spelling: str
) -> None:
    minor_units = f"{Decimal(SPELLINGS[spelling]):.2f}"  # USD
    location = await new_location(engine, client)
    sent = await location.send((await location.create(items=[item(amount=500, qty=1, taxes=[])]))["_id"])
    body = payment_body(location.alt_id, amount=NUMBER)
    paid = await hl(location, "POST", f"/invoices/{sent['_id']}/record-payment", body, spelling)

    assert same_decimal(paid["invoice"]["amountPaid"], minor_units), paid["invoice"]["amountPaid"]
    invoice_id = await highlevel_invoice_id(engine, sent["_id"])
    assert (await events(engine, invoice_id))[-1]["amount"] == minor_units
    await assert_nothing_stored_with_an_exponent(engine, location.tenant.id)
