"""Issue 10, finding 2: nesting past `max_json_depth` and lone surrogates are a 4xx naming the
field, in every dialect; what was stored before the bounds still renders."""

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.config import Settings
from invoicing.highlevel.mapping import FREE_FORM_BYTES_CEILING, FREE_FORM_DEPTH_CEILING
from tests.conftest import Tenant
from tests.free_form_support import CREATE_FIELDS, JSON, create_raw, nested, raw_body, stored_state
from tests.highlevel_support import new_location, payment_body, send_body


@pytest.mark.parametrize("depth", [33, 253, 300, 900])
@pytest.mark.parametrize("field", CREATE_FIELDS)
async def test_a_free_form_field_nested_too_deep_is_refused_naming_it(
    engine: AsyncEngine, client: httpx.AsyncClient, settings: Settings, field: str, depth: int
) -> None:
    assert settings.max_json_depth == 32
    location = await new_location(engine, client)
    await location.create()
    before = await stored_state(engine, location.tenant.id)
    response = await location.request(
        "POST", "/invoices/", content=create_raw(location, field, nested(depth)), headers=JSON
    )
    assert response.status_code == 422, response.text
    (problem,) = response.json()["message"]
    assert problem.startswith(field)
    assert "nested deeper than 32 levels" in problem
    assert await stored_state(engine, location.tenant.id) == before


async def test_nesting_within_the_bound_is_stored_and_renders_everywhere(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    location = await new_location(engine, client)
    body = create_raw(location, "businessDetails", nested(30))
    created = await location.request("POST", "/invoices/", content=body, headers=JSON)
    assert created.status_code == 200, created.text
    invoice_id = created.json()["_id"]
    listed = await location.request("GET", "/invoices/", params={**location.alt, "limit": 10, "offset": 0})
    assert listed.status_code == 200, listed.text
    sent = await location.request("POST", f"/invoices/{invoice_id}/send", json=send_body(location.alt_id))
    assert sent.status_code == 200, sent.text


@pytest.mark.parametrize("raw", ['{"x": "\\ud800"}', '{"\\udfff": 1}', '{"x": ["a\\udbff"]}'])
@pytest.mark.parametrize("field", CREATE_FIELDS)
async def test_a_lone_surrogate_is_refused_naming_the_field(
    engine: AsyncEngine, client: httpx.AsyncClient, field: str, raw: str
) -> None:
    location = await new_location(engine, client)
    before = await stored_state(engine, location.tenant.id)
    response = await location.request("POST", "/invoices/", content=create_raw(location, field, raw), headers=JSON)
    assert response.status_code == 422, response.text
    (problem,) = response.json()["message"]
    assert problem.startswith(field)
    assert "lone surrogate" in problem
    assert await stored_state(engine, location.tenant.id) == before


async def test_a_paired_surrogate_escape_is_text_like_any_other(engine: AsyncEngine, client: httpx.AsyncClient) -> None:
    location = await new_location(engine, client)
    body = create_raw(location, "businessDetails", '{"x": "\\ud83d\\ude00"}')
    created = await location.request("POST", "/invoices/", content=body, headers=JSON)
    assert created.status_code == 200, created.text
    assert created.json()["businessDetails"] == {"x": "\U0001f600"}


@pytest.mark.parametrize("field", ["card", "cheque"])
async def test_the_payments_free_form_objects_are_bounded_too(
    engine: AsyncEngine, client: httpx.AsyncClient, field: str
) -> None:
    location = await new_location(engine, client)
    invoice = await location.send((await location.create())["_id"])
    before = await stored_state(engine, location.tenant.id)
    for raw in (nested(300), '{"x": "\\ud800"}', '{"x": 1e1000000}'):
        body = raw_body(payment_body(location.alt_id), field, raw)
        response = await location.request(
            "POST", f"/invoices/{invoice['_id']}/record-payment", content=body, headers=JSON
        )
        assert response.status_code == 422, response.text
    assert await stored_state(engine, location.tenant.id) == before


async def test_the_primary_api_refuses_deep_surrogate_or_huge_number_bodies_with_422_naming_the_field(
    tenant: Tenant,
) -> None:
    # FlowPayroll's dialect takes no JSON body (void has none), so the primary API is the other reader.
    for raw, field in ((nested(300), "x" + ".x" * 31), ('{"name": "\\ud800"}', "name"), ('{"x": 1e1000000}', "x")):
        response = await tenant.request("POST", "/customers", content=raw.encode(), headers=JSON)
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "validation_failed"
        assert list(response.json()["errors"]) == [field]


@pytest.mark.parametrize(
    "stored",
    [
        '{"businessDetails": ' + nested(253) + "}",
        '{"businessDetails": {"x": 1' + "0" * 1_000_000 + "}}",
        '{"contact": {"id": "CONTACT", "customFields": [' + nested(253) + "]}}",
    ],
)
async def test_fields_stored_before_the_bounds_do_not_break_reads_lists_or_send(
    engine: AsyncEngine, client: httpx.AsyncClient, stored: str
) -> None:
    location = await new_location(engine, client)
    invoice = await location.create()
    contact_id = invoice["contactDetails"]["id"]
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE invoices SET highlevel_details = :details WHERE public_id = :id"),
            {"details": stored.replace("CONTACT", contact_id), "id": invoice["_id"]},
        )
    got = await location.request("GET", f"/invoices/{invoice['_id']}", params=location.alt)
    assert got.status_code == 200, got.text
    assert len(got.content) < 10_000
    listed = await location.request("GET", "/invoices/", params={**location.alt, "limit": 10, "offset": 0})
    assert listed.status_code == 200, listed.text
    assert len(listed.content) < 10_000
    sent = await location.request("POST", f"/invoices/{invoice['_id']}/send", json=send_body(location.alt_id))
    assert sent.status_code == 200, sent.text


async def test_each_free_form_field_is_bounded_in_size(
    engine: AsyncEngine, client: httpx.AsyncClient, settings: Settings
) -> None:
    location = await new_location(engine, client)
    before = await stored_state(engine, location.tenant.id)
    big = '{"x": "' + "a" * settings.max_free_form_bytes + '"}'
    for field in CREATE_FIELDS:
        response = await location.request("POST", "/invoices/", content=create_raw(location, field, big), headers=JSON)
        assert response.status_code == 422, response.text
        assert response.json()["message"] == [f"{field} must be at most {settings.max_free_form_bytes} bytes as JSON"]
    assert await stored_state(engine, location.tenant.id) == before


async def test_a_surrogate_encoded_as_utf8_bytes_is_malformed_json(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    location = await new_location(engine, client)
    before = await stored_state(engine, location.tenant.id)
    body = create_raw(location, "businessDetails", '{"x": "SURROGATE"}').replace(b"SURROGATE", b"\xed\xa0\x80")
    response = await location.request("POST", "/invoices/", content=body, headers=JSON)
    assert (response.status_code, response.json()["message"]) == (400, "The request body is not valid JSON")
    assert await stored_state(engine, location.tenant.id) == before


def test_the_read_guard_covers_every_value_the_settings_allow() -> None:
    fields = Settings.model_fields
    assert _bounds(fields["max_json_depth"].metadata)["le"] == FREE_FORM_DEPTH_CEILING
    assert _bounds(fields["max_free_form_bytes"].metadata)["le"] == FREE_FORM_BYTES_CEILING


def _bounds(metadata: list[object]) -> dict[str, object]:
    return {name: getattr(rule, name) for rule in metadata for name in ("ge", "le") if hasattr(rule, name)}
