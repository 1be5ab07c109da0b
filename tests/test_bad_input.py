"""Bad input is a 4xx problem+json that writes nothing: never a 500, never a traceback.

Each case runs against a tenant that already has a customer and a draft with lines and events
(and an issued invoice when the path names one: {customer}, {draft}, {issued}). Every row the
tenant owns, in every table, is compared before and after: counts, and contents too.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.config import Settings
from tests.conftest import Tenant, rows_of

MAX_BODY_BYTES = 1_048_576  # Settings.max_body_bytes, the default the test app runs with
PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "request_id", "success"}
JSON = {"Content-Type": "application/json"}
UNSET: Any = object()


def line(**changes: Any) -> dict[str, Any]:
    """A valid line with some fields changed; a field set to UNSET is left out."""
    fields = {"name": "Work", "quantity": "1", "unit_price": "10.00", "vat_rate_percent": "20", **changes}
    return {key: value for key, value in fields.items() if value is not UNSET}


async def oversized_stream() -> AsyncIterator[bytes]:
    """Valid JSON over the limit, sent chunked: no Content-Length to refuse it by."""
    yield b'{"notes": "'
    for _ in range(MAX_BODY_BYTES // 65_536 + 1):
        yield b"x" * 65_536
    yield b'"}'


@dataclass(frozen=True)
class Bad:
    name: str
    method: str
    path: str
    status: int
    code: str
    error_key: str | None = None  # a key `errors` must have (422 only)
    json: Any = UNSET
    content: Any = None
    params: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


def post_invoice(name: str, body: Any, status: int, code: str, error_key: str | None = None) -> Bad:
    return Bad(name, "POST", "/invoices", status, code, error_key, json=body)


def invalid_line(case_name: str, error_field: str, /, **changes: Any) -> Bad:
    return post_invoice(case_name, {"lines": [line(**changes)]}, 422, "validation_failed", f"lines[0].{error_field}")


CASES = [
    # Not JSON at all.
    Bad("truncated json", "POST", "/invoices", 400, "malformed_json", content=b'{"lines": [', headers=JSON),
    Bad("customer body not json", "POST", "/customers", 400, "malformed_json", content=b"first_name=Ada", headers=JSON),
    Bad("patch body not json", "PATCH", "/invoices/{draft}", 400, "malformed_json", content=b"{notes}", headers=JSON),
    Bad(
        "NaN literal",
        "POST",
        "/invoices",
        400,
        "malformed_json",
        content=b'{"lines": [{"name": "A", "quantity": NaN, "unit_price": "1", "vat_rate_percent": "1"}]}',
        headers=JSON,
    ),
    Bad("invalid utf-8", "POST", "/invoices", 400, "malformed_json", content=b'{"notes": "\xff\xfe"}', headers=JSON),
    Bad("absurdly deep nesting", "POST", "/invoices", 400, "malformed_json", content=b"[" * 100_000, headers=JSON),
    # JSON, but not the shape asked for.
    Bad("empty body", "POST", "/invoices", 422, "validation_failed", "body", content=b"", headers=JSON),
    post_invoice("body is an array", [line()], 422, "validation_failed", "body"),
    post_invoice("lines not a list", {"lines": line()}, 422, "validation_failed", "lines"),
    post_invoice("line not an object", {"lines": ["Work"]}, 422, "validation_failed", "lines[0]"),
    post_invoice("customer_id not a number", {"customer_id": "x"}, 422, "validation_failed", "customer_id"),
    post_invoice("customer_id zero", {"customer_id": 0}, 422, "validation_failed", "customer_id"),
    post_invoice("customer_id beyond bigint", {"customer_id": 2**63}, 422, "validation_failed", "customer_id"),
    post_invoice("notes a number", {"notes": 42}, 422, "validation_failed", "notes"),
    post_invoice("impossible date", {"issue_date": "2026-02-30"}, 422, "validation_failed", "issue_date"),
    invalid_line("quantity not a number", "quantity", quantity="abc"),
    # Missing required fields.
    invalid_line("line without name", "name", name=UNSET),
    invalid_line("line with blank name", "name", name="   "),
    Bad("customer without first_name", "POST", "/customers", 422, "validation_failed", "first_name", json={}),
    # Numbers out of range or too precise.
    invalid_line("quantity zero", "quantity", quantity="0"),
    invalid_line("quantity negative", "quantity", quantity="-1"),
    invalid_line("quantity absurd", "quantity", quantity=1e30),
    invalid_line("quantity absurd as text", "quantity", quantity="1e30"),
    invalid_line("quantity with 7 decimals", "quantity", quantity="0.0000001"),
    invalid_line("quantity infinite as text", "quantity", quantity="Infinity"),
    invalid_line("unit price negative", "unit_price", unit_price="-0.01"),
    invalid_line("unit price with 5 decimals", "unit_price", unit_price="1.00001"),
    invalid_line("unit price absurd", "unit_price", unit_price="1e13"),
    invalid_line("vat over 100", "vat_rate_percent", vat_rate_percent="101"),
    invalid_line("vat negative", "vat_rate_percent", vat_rate_percent="-1"),
    invalid_line("discount over 100", "discount_percent", discount_percent=101),
    post_invoice("exchange rate zero", {"exchange_rate": "0"}, 422, "validation_failed", "exchange_rate"),
    post_invoice("too many lines", {"lines": [line()] * 501}, 422, "validation_failed", "lines"),
    post_invoice("notes too long", {"notes": "x" * 5001}, 422, "validation_failed", "notes"),
    # Well-formed references to nothing.
    post_invoice("unknown currency", {"currency": "XYZ"}, 422, "unknown_currency", "currency"),
    post_invoice("currency without minor units", {"currency": "XAU"}, 422, "unknown_currency", "currency"),
    post_invoice("currency not 3 letters", {"currency": "EURO"}, 422, "unknown_currency", "currency"),
    post_invoice("unknown series", {"series_name": "ZZZ"}, 422, "unknown_series", "series_name"),
    post_invoice("malformed series", {"series_name": "z"}, 422, "validation_failed", "series_name"),
    post_invoice("unknown customer", {"customer_id": 999_999_999}, 422, "unknown_customer", "customer_id"),
    post_invoice("customer at the largest id", {"customer_id": 2**53 - 1}, 422, "unknown_customer", "customer_id"),
    post_invoice("customer past the largest id", {"customer_id": 2**53}, 422, "validation_failed", "customer_id"),
    Bad("malformed series name", "POST", "/series", 422, "invalid_series", "name", json={"name": "toolong"}),
    # Fields that do not exist (extra="forbid"), at each level.
    post_invoice("unknown field", {"colour": "red"}, 422, "validation_failed", "colour"),
    post_invoice("unknown line field", {"lines": [line(colour="red")]}, 422, "validation_failed", "lines[0].colour"),
    Bad(
        "unknown customer field",
        "POST",
        "/customers",
        422,
        "validation_failed",
        "nick",
        json={"first_name": "A", "nick": "B"},
    ),
    # Rules across fields.
    post_invoice(
        "due before issue",
        {"issue_date": "2026-03-02", "due_date": "2026-03-01"},
        422,
        "validation_failed",
        "due_date",
    ),
    Bad(
        "patch due before issue",
        "PATCH",
        "/invoices/{draft}",
        422,
        "validation_failed",
        "due_date",
        json={"issue_date": "2026-03-02", "due_date": "2026-03-01"},
    ),
    Bad(
        "patch due before stored issue",
        "PATCH",
        "/invoices/{draft}",
        422,
        "validation_failed",
        "due_date",
        json={"due_date": "2000-01-01"},
    ),
    # Edits that are refused.
    Bad(
        "patch clears currency",
        "PATCH",
        "/invoices/{draft}",
        422,
        "validation_failed",
        "currency",
        json={"currency": None},
    ),
    Bad(
        "patch with a bad line",
        "PATCH",
        "/invoices/{draft}",
        422,
        "validation_failed",
        "lines[0].quantity",
        json={"notes": "changed", "lines": [line(quantity="-1")]},
    ),
    Bad(
        "patch an issued invoice",
        "PATCH",
        "/invoices/{issued}",
        409,
        "invoice_not_editable",
        json={"notes": "late", "lines": [line(quantity="1000")]},
    ),
    Bad(
        "patch clears first_name",
        "PATCH",
        "/customers/{customer}",
        422,
        "validation_failed",
        "first_name",
        json={"first_name": None},
    ),
    Bad("patch bad email", "PATCH", "/customers/{customer}", 422, "validation_failed", "email", json={"email": "no"}),
    # Strings PostgreSQL cannot store (and nobody means to send).
    post_invoice("NUL in notes", {"notes": "a\u0000b"}, 422, "validation_failed", "notes"),
    Bad("NUL in a name", "POST", "/customers", 422, "validation_failed", "first_name", json={"first_name": "A\u0000"}),
    Bad("NUL in a search", "GET", "/invoices", 422, "validation_failed", "q", params={"q": "a\u0000b"}),
    # Queries and paths.
    Bad("page size absurd", "GET", "/invoices", 422, "page_size_too_large", "limit", params={"limit": 100_000}),
    Bad("page size zero", "GET", "/invoices", 422, "validation_failed", "limit", params={"limit": 0}),
    Bad("page size not a number", "GET", "/invoices", 422, "validation_failed", "limit", params={"limit": "all"}),
    Bad("unknown status filter", "GET", "/invoices", 422, "validation_failed", "status", params={"status": "lost"}),
    Bad("forged cursor", "GET", "/invoices", 422, "invalid_cursor", "cursor", params={"cursor": "garbage"}),
    Bad("id zero", "GET", "/invoices/0", 422, "validation_failed", "invoice_id"),
    Bad("id beyond bigint", "PATCH", "/invoices/99999999999999999999", 422, "validation_failed", "invoice_id", json={}),
    Bad("id not a number", "POST", "/invoices/abc/issue", 422, "validation_failed", "invoice_id"),
    # Too big to read.
    Bad(
        "body over the limit",
        "POST",
        "/invoices",
        413,
        "payload_too_large",
        content=b'{"notes": "' + b"x" * MAX_BODY_BYTES + b'"}',
        headers=JSON,
    ),
    Bad(
        "body over the limit, chunked",
        "POST",
        "/invoices",
        413,
        "payload_too_large",
        content=oversized_stream,
        headers=JSON,
    ),
]


async def prepare(tenant: Tenant, path: str) -> str:
    """Gives the tenant a customer and a draft (lines, events), and an issued invoice when the
    path names one; returns the path with {customer}, {draft} and {issued} filled in."""
    draft = await tenant.create_draft(issue_date="2026-03-01")
    ids = {"customer": draft["customer"]["id"], "draft": draft["id"]}
    if "{issued}" in path:
        ids["issued"] = (await tenant.issue((await tenant.create_draft())["id"]))["id"]
    return path.format(**ids)


@pytest.mark.parametrize("case", [pytest.param(case, id=case.name) for case in CASES])
async def test_bad_input_is_a_4xx_problem_and_writes_nothing(
    engine: AsyncEngine, settings: Settings, tenant: Tenant, case: Bad
) -> None:
    assert settings.max_body_bytes == MAX_BODY_BYTES
    path = await prepare(tenant, case.path)
    before = await rows_of(engine, tenant.id)
    assert all(before[name] for name in ("invoices", "invoice_lines", "invoice_events", "customers", "series"))

    options: dict[str, Any] = {"params": case.params, "headers": case.headers}
    if case.json is not UNSET:
        options["json"] = case.json
    if case.content is not None:
        options["content"] = case.content() if callable(case.content) else case.content
    try:
        response = await tenant.request(case.method, path, **options)
    except Exception as error:  # the test client re-raises what the app did not handle: a 500
        pytest.fail(f"the app failed with an unhandled {type(error).__name__} (a 500): {error}")

    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text
    assert response.status_code == case.status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == case.status
    assert body["success"] == "false"
    assert body["request_id"] == response.headers["x-request-id"]
    assert body["code"] == case.code, body
    if case.status == 422:
        assert body["errors"], body
        assert all(isinstance(messages, list) and messages for messages in body["errors"].values()), body
        assert case.error_key in body["errors"], body["errors"]
    assert await rows_of(engine, tenant.id) == before, "a refused request wrote something"


async def test_the_largest_allowed_body_is_read(tenant: Tenant) -> None:
    """The limit is a limit, not a cut-off below it: a body just under it gets to validation."""
    notes = "x" * (MAX_BODY_BYTES - 100)
    response = await tenant.post("/invoices", content=b'{"notes": "' + notes.encode() + b'"}', headers=JSON)
    assert response.status_code == 422, response.text[:300]
    assert "notes" in response.json()["errors"]


async def test_a_number_is_not_an_object_body_even_one_with_a_fraction(tenant: Tenant) -> None:
    """FastAPI reads bodies with from_attributes: a number parsed to a Decimal once passed as an
    object with every field absent (schemathesis found `PATCH /tenant` accepting `0.0`)."""
    customer = await tenant.create_customer()
    for path in ("/tenant", f"/customers/{customer['id']}"):
        for body in ("0.0", "1.5", "-1e-400"):
            response = await tenant.request("PATCH", path, content=body, headers={"Content-Type": "application/json"})
            assert response.status_code == 422, (path, body, response.text)
    nested = await tenant.patch("/tenant", json={"postal_address": 1.5})
    assert nested.status_code == 422, nested.text
    assert "postal_address" in nested.json()["errors"]
