"""The OpenAPI document and the server agree: what the schema allows is accepted, what it forbids is refused.

Pure checks of the field types that publish their own rule (core.wire_types), and HTTP checks
of the places where the server used to accept more, or less, than its document said.
"""

import re
from decimal import Decimal
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from invoicing.app import create_app
from invoicing.core.conditional import parse_if_match
from invoicing.core.errors import BadRequest
from invoicing.core.wire_types import MAX_ID, BodyId, CalendarDate
from invoicing.invoices.schemas import Percent, Quantity, UnitPrice
from tests.conftest import Tenant

QUANTITY = TypeAdapter(Quantity)
QUANTITY_TEXT = QUANTITY.json_schema()["anyOf"][1]["pattern"]


@pytest.mark.parametrize("text", ["1", "0.5", "12.345678", "999999999.999999", "1000000000", "1000000000.000"])
def test_a_plain_decimal_string_the_pattern_allows_is_accepted(text: str) -> None:
    assert re.search(QUANTITY_TEXT, text)
    assert QUANTITY.validate_python(text) == Decimal(text)


@pytest.mark.parametrize(
    "text",
    ["0", "0.000", "1e3", "1_000", "١٢", "+5", " 5", "5.", ".5", "05", "1.0000001", "1000000000.1", "", "-1"],
)
def test_a_decimal_string_the_pattern_forbids_is_refused(text: str) -> None:
    assert not re.search(QUANTITY_TEXT, text)
    with pytest.raises(ValidationError):
        QUANTITY.validate_python(text)


def test_decimal_numbers_keep_to_the_published_bounds_and_scale() -> None:
    number = TypeAdapter(UnitPrice).json_schema()["anyOf"][0]
    assert number == {"type": "number", "multipleOf": 0.0001, "maximum": 10**12, "minimum": 0}
    assert TypeAdapter(UnitPrice).validate_python(Decimal("1000000000000")) == Decimal(10**12)
    for refused in (Decimal("1000000000000.0001"), Decimal("0.00001"), Decimal("-1"), True):
        with pytest.raises(ValidationError):
            TypeAdapter(UnitPrice).validate_python(refused)


def test_percent_runs_from_0_to_100_as_number_or_text() -> None:
    percent = TypeAdapter(Percent)
    for accepted in ("0", "100", "100.0000", "99.9999", Decimal(18)):
        assert percent.validate_python(accepted) == Decimal(accepted)
    for refused in ("100.0001", "101", Decimal("100.0001")):
        with pytest.raises(ValidationError):
            percent.validate_python(refused)


def test_a_body_id_is_a_json_integer_never_a_string_or_boolean() -> None:
    body_id = TypeAdapter(BodyId)
    assert body_id.validate_python(7) == 7
    assert body_id.validate_python(Decimal("7.0")) == 7  # JSON Schema: 7.0 is an integer
    for refused in ("7", True, Decimal("7.5"), 0, MAX_ID + 1):
        with pytest.raises(ValidationError):
            body_id.validate_python(refused)


def test_a_calendar_date_is_only_the_text_yyyy_mm_dd() -> None:
    calendar_date = TypeAdapter(CalendarDate)
    assert str(calendar_date.validate_python("2026-02-28")) == "2026-02-28"
    for refused in (0, 1_700_000_000, "2026-02-28T00:00:00", "20260228", "2026-02-30"):
        with pytest.raises(ValidationError):
            calendar_date.validate_python(refused)


def test_if_match_tags_may_hold_commas_inside_their_quotes() -> None:
    condition = parse_if_match('"v1,2", W/"v3", "v4"')
    assert condition is not None
    assert condition.tags == frozenset({'"v1,2"', '"v4"'})  # weak tags never match strongly
    for malformed in ('"v1",,"v2"', "v1", '"v1" "v2"', '"v"1"'):
        with pytest.raises(BadRequest):
            parse_if_match(malformed)


def test_the_document_requires_x_tenant_and_states_the_configured_page_size() -> None:
    document = create_app().openapi()
    operation = document["paths"]["/api/v1/invoices"]["get"]
    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
    assert parameters["X-Tenant"]["required"] is True
    assert parameters["X-Tenant"]["schema"] == {"type": "integer", "minimum": 1, "maximum": MAX_ID, "title": "X-Tenant"}
    limit = next(part for part in parameters["limit"]["schema"]["anyOf"] if part.get("type") == "integer")
    assert limit["maximum"] == 200
    assert "Idempotency-Key" not in parameters
    assert "If-Match" not in parameters


def test_the_document_requires_the_seed_id_body_of_cancel() -> None:
    body = create_app().openapi()["paths"]["/api/v1/invoices/{invoice_id}/cancel"]["post"]["requestBody"]
    assert body["required"] is True
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/InvoiceIdBody"}


async def test_405_names_every_method_the_path_takes(tenant: Tenant) -> None:
    response = await tenant.request("GET", "/invoices/1/archive")
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, POST"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"currency": "eur"}, 422),  # the published enum holds upper-case codes only
        ({"issue_date": 0}, 422),  # not a Unix time
        ({"customer_id": "1"}, 422),
        ({"lines": [{"name": " ", "quantity": "1", "unit_price": "1", "vat_rate_percent": "0"}]}, 422),
        ({"lines": [{"name": "x", "quantity": "1e3", "unit_price": "1", "vat_rate_percent": "0"}]}, 422),
        ({"lines": [{"name": "x", "quantity": 1000, "unit_price": "1.5", "vat_rate_percent": 18}]}, 201),
    ],
)
async def test_invoice_fields_are_read_as_published(tenant: Tenant, body: dict[str, Any], status: int) -> None:
    response = await tenant.post("/invoices", json=body)
    assert response.status_code == status, response.text


async def test_a_cursor_is_the_last_id_shown_and_an_empty_one_is_the_first_page(tenant: Tenant) -> None:
    for _ in range(3):
        await tenant.create_draft()
    first = (await tenant.get("/invoices", params={"limit": 2, "cursor": ""})).json()
    assert first["meta"]["next_cursor"] == str(first["data"][-1]["id"])
    rest = (await tenant.get("/invoices", params={"limit": 2, "cursor": first["meta"]["next_cursor"]})).json()
    assert [invoice["id"] for invoice in rest["data"]] == [first["data"][-1]["id"] - 1]


async def test_an_unknown_form_parameter_may_repeat_but_a_grant_parameter_may_not(tenant: Tenant) -> None:
    client = tenant.client
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    ignored = await client.post("/api/oauth/token", content=b"x=1&x=2&grant_type=client_credentials", headers=headers)
    assert ignored.json()["error"] == "invalid_client"  # got past the form: no credentials
    repeated = await client.post(
        "/api/oauth/token", content=b"grant_type=client_credentials&grant_type=client_credentials", headers=headers
    )
    assert (repeated.status_code, repeated.json()["error"]) == (400, "invalid_request")
