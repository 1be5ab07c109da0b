"""Issue 10, finding 1: a number in a free-form object is kept as sent, never written out digit
by digit; beyond 1000 digits it is refused, and nothing is stored."""

import json

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.free_form_support import CREATE_FIELDS, JSON, create_raw, stored_state
from tests.highlevel_support import new_location


@pytest.mark.parametrize("number", ["1e1000000", "1e10000000", "1e-1000000", "0e-1000000", "1" + "0" * 1001])
async def test_a_number_beyond_a_thousand_digits_is_refused_and_stores_nothing(
    engine: AsyncEngine, client: httpx.AsyncClient, number: str
) -> None:
    location = await new_location(engine, client)
    await location.create()
    before = await stored_state(engine, location.tenant.id)
    body = create_raw(location, "businessDetails", f'{{"x": {number}}}')
    response = await location.request("POST", "/invoices/", content=body, headers=JSON)
    assert response.status_code == 422, response.text
    assert len(response.content) < 1000
    (problem,) = response.json()["message"]
    assert problem == "businessDetails.x: a number must have at most 1000 digits before and after the point"
    assert await stored_state(engine, location.tenant.id) == before


@pytest.mark.parametrize("field", CREATE_FIELDS)
async def test_a_number_with_a_large_exponent_is_answered_and_stored_as_sent(
    engine: AsyncEngine, client: httpx.AsyncClient, field: str
) -> None:
    location = await new_location(engine, client)
    body = create_raw(location, field, '{"big": 1e999, "tiny": 1e-999, "wide": 123456789012345678901234567890}')
    created = await location.request("POST", "/invoices/", content=body, headers=JSON)
    assert created.status_code == 200, created.text
    assert len(created.content) < 2 * len(body) + 4096
    listed = await location.request("GET", "/invoices/", params={**location.alt, "limit": 10, "offset": 0})
    assert listed.status_code == 200, listed.text
    if field != "sentTo":  # kept, but the invoice object has no place that shows it
        for written in (b"1E+999", b"1E-999", b"123456789012345678901234567890"):
            assert written in created.content
            assert written in listed.content
    async with engine.connect() as connection:
        stored = await connection.scalar(
            text("SELECT highlevel_details FROM invoices WHERE public_id = :id"), {"id": created.json()["_id"]}
        )
    assert len(stored) < len(body)
    assert "1E+999" in stored
    assert json.loads(stored)  # the stored text is JSON another reader can parse


async def test_amounts_are_still_written_plainly(engine: AsyncEngine, client: httpx.AsyncClient) -> None:
    location = await new_location(engine, client)
    body = create_raw(location, "businessDetails", '{"rate": 1e2, "share": 0.000125}')
    created = await location.request("POST", "/invoices/", content=body, headers=JSON)
    assert created.status_code == 200, created.text
    assert b'"rate":100' in created.content
    assert b'"share":0.000125' in created.content
    assert b'"amount":999.99' in created.content
