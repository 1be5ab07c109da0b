"""Finding 11 of issue 10: names, URLs and dates accept only what is sane, in every dialect.

The fields are found in the three published OpenAPI documents (every property of every
request body, however deep), so a new name, URL or date field cannot slip through: each must
publish a rule that refuses the samples below, and the server is held to the same rule by
checking the pydantic field behind the document and by HTTP reproductions.
"""

import re
from collections.abc import Iterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.routing import Mount

from invoicing.app import create_app
from invoicing.config import Settings
from invoicing.series.service import SERIES_NAME_PATTERN
from tests.conftest import Tenant, rows_of
from tests.highlevel_support import contact, create_body, item, new_location

DOCUMENTS = ("/api/openapi.json", "/highlevel/openapi.json", "/flowpayroll/v1/billing/openapi.json")
INVISIBLE_ONLY = [
    "\u200b",
    "\u00a0",
    "\ufeff",
    "\u3000",
    " \t\u2003\u2009\u202f\u205f",
    "\u00ad\u200c\u200d\u2060",
    "\u3164\u115f\u2800",
    "\u200e\u200f\u061c",
]
BIDI = [
    "\u202eevil",
    "Ada\u202a",
    "x\u202by",
    "\u202cAda",
    "Ada\u202d",
    "\u2066Ada",
    "Ada\u2067",
    "x\u2068y",
    "Ada\u2069",
]
NOT_WEB_URLS = [
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "ftp://example.com/a.png",
    "/avatars/a.png",
    "avatars/a.png",
    "//example.com/a.png",
    "https://",
    "https:///a.png",
    "https://user:pass@example.com/",
    "https://exa mple.com/",
    "https://example.com/\u202egnp.exe",
]
OUT_OF_RANGE_DATES = ["0001-01-01", "9999-12-31", "1899-12-31", "2200-01-01"]
OUT_OF_RANGE_MOMENTS = ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1899-12-31T12:00:00Z", "2200-01-01T00:00:00Z"]
# Fields whose name says they are a name (`name`, `first_name`, `companyName`...).
NAME_FIELD = re.compile(r"(^|_)name$|Name$")
URL_FIELD = re.compile(r"(^|_)url$|Url$", re.IGNORECASE)


def _app() -> FastAPI:
    return create_app(Settings(database_url="sqlite:///unused.db", rate_limit_per_second=0))


async def _documents() -> dict[str, dict[str, Any]]:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        return {path: (await http.get(path)).json() for path in DOCUMENTS}


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _properties(
    document: dict[str, Any], schema: dict[str, Any], seen: set[str]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(property name, its schema) for every property reachable from `schema`."""
    reference = schema.get("$ref")
    if reference is not None:
        if reference in seen:
            return
        seen = seen | {reference}
    schema = _resolve(document, schema)
    for name, prop in schema.get("properties", {}).items():
        yield name, prop
        yield from _properties(document, prop, seen)
    for key in ("anyOf", "oneOf", "allOf"):
        for variant in schema.get(key, []):
            yield from _properties(document, variant, seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from _properties(document, schema[key], seen)


def _request_fields(documents: dict[str, dict[str, Any]]) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, document in documents.items():
        for operations in document["paths"].values():
            for operation in operations.values():
                for content in operation.get("requestBody", {}).get("content", {}).values():
                    for name, prop in _properties(document, content["schema"], set()):
                        found.append((path, name, _resolve(document, prop)))
    return found


def _string_variants(schema: dict[str, Any]) -> list[dict[str, Any]]:
    variants = [schema, *schema.get("anyOf", []), *schema.get("oneOf", [])]
    return [variant for variant in variants if variant.get("type") == "string" or "const" in variant]


def _schema_allows(schema: dict[str, Any], value: str) -> bool:
    """Whether any string variant of `schema` admits `value`, as JSON Schema tools read patterns."""
    for variant in _string_variants(schema):
        if "const" in variant:
            if variant["const"] == value:
                return True
            continue
        if "enum" in variant:
            if value in variant["enum"]:
                return True
            continue
        pattern = variant.get("pattern")
        if pattern is None or re.search(pattern, value):
            return True
    return False


@pytest.fixture(scope="module")
async def request_fields() -> list[tuple[str, str, dict[str, Any]]]:
    return _request_fields(await _documents())


def _is_series_name(schema: dict[str, Any]) -> bool:
    return any(variant.get("pattern") == SERIES_NAME_PATTERN for variant in _string_variants(schema))


def _named(
    fields: list[tuple[str, str, dict[str, Any]]], rule: re.Pattern[str]
) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, name, schema) for path, name, schema in fields if rule.search(name) and _string_variants(schema)]


async def test_every_published_name_field_refuses_invisible_only_names_and_bidi_controls(
    request_fields: list[tuple[str, str, dict[str, Any]]],
) -> None:
    names = _named(request_fields, NAME_FIELD)
    found = {(path, name) for path, name, _ in names}
    # The enumeration must see the fields we know of, so it is not vacuously true.
    for known in ("first_name", "last_name", "company_name", "name"):
        assert ("/api/openapi.json", known) in found
    for known in ("name", "companyName"):
        assert ("/highlevel/openapi.json", known) in found
    accepted = [
        (path, name, sample)
        for path, name, schema in names
        for sample in INVISIBLE_ONLY + BIDI
        if _schema_allows(schema, sample)
    ]
    assert accepted == []
    for path, name, schema in names:
        if not _is_series_name(schema):
            assert _schema_allows(schema, "Şahin Ltd. Şti."), (path, name)


async def test_every_published_url_field_takes_only_http_and_https_urls_with_a_host(
    request_fields: list[tuple[str, str, dict[str, Any]]],
) -> None:
    urls = _named(request_fields, URL_FIELD)
    assert ("/api/openapi.json", "avatar_url") in {(path, name) for path, name, _ in urls}
    accepted = [(path, name, url) for path, name, schema in urls for url in NOT_WEB_URLS if _schema_allows(schema, url)]
    assert accepted == []
    for path, name, schema in urls:
        for url in ("https://example.com/a.png", "http://example.com:8080/a?b=c#d", "https://[2001:db8::1]/"):
            assert _schema_allows(schema, url), (path, name, url)


async def test_every_published_date_field_of_a_request_body_refuses_years_1_and_9999(
    request_fields: list[tuple[str, str, dict[str, Any]]],
) -> None:
    dates = [
        (path, name, schema, variant["format"])
        for path, name, schema in request_fields
        for variant in _string_variants(schema)
        if variant.get("format") in ("date", "date-time")
    ]
    found = {(path, name) for path, name, _, _ in dates}
    for known in ("issue_date", "due_date", "date_of_birth", "paid_at"):
        assert ("/api/openapi.json", known) in found
    for known in ("issueDate", "dueDate", "fulfilledAt"):
        assert ("/highlevel/openapi.json", known) in found
    accepted = [
        (path, name, value)
        for path, name, schema, kind in dates
        for value in (OUT_OF_RANGE_DATES if kind == "date" else OUT_OF_RANGE_MOMENTS)
        if not (name == "date_of_birth" and value == "1899-12-31")  # dates of birth reach back to 1800
        if _schema_allows(schema, value)
    ]
    assert accepted == []


async def test_published_patterns_spell_their_characters_out(
    request_fields: list[tuple[str, str, dict[str, Any]]],
) -> None:
    # `\s`, `\d`, `\w` and `\p{..}` mean different sets in ECMA-262, Python and Rust regexes.
    patterns = {
        variant["pattern"]
        for _, _, schema in request_fields
        for variant in _string_variants(schema)
        if "pattern" in variant
    }
    assert patterns
    assert [pattern for pattern in patterns if re.search(r"\\[sSdDwWpP]", pattern)] == []


# -- the server keeps to the same rule ----------------------------------------------------------


def _body_models(app: FastAPI) -> set[type[BaseModel]]:
    """The request body model of every route of the app and of the dialects mounted in it."""
    apps = [app, *(route.app for route in app.routes if isinstance(route, Mount) and isinstance(route.app, FastAPI))]
    models: set[type[BaseModel]] = set()
    for mounted in apps:
        for context in iter_route_contexts(mounted.routes):
            route = context.original_route
            if isinstance(route, APIRoute) and route.body_field is not None:
                models.update(_nested_models(route.body_field.field_info.annotation))
    return models


def _model_fields(
    model: type[BaseModel], seen: set[type[BaseModel]]
) -> Iterator[tuple[type[BaseModel], str, FieldInfo]]:
    if model in seen:
        return
    seen.add(model)
    for name, info in model.model_fields.items():
        yield model, info.alias or name, info
        for nested in _nested_models(info.annotation):
            yield from _model_fields(nested, seen)


def _nested_models(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for argument in getattr(annotation, "__args__", ()):
        yield from _nested_models(argument)


def _field_adapter(model: type[BaseModel], info: FieldInfo) -> TypeAdapter[Any]:
    """The field's type and constraints alone, matched with its model's regex engine."""
    engine = model.model_config.get("regex_engine", "rust-regex")
    field_type: Any = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
    return TypeAdapter(field_type, config=ConfigDict(regex_engine=engine))


def test_every_name_field_behind_the_documents_refuses_what_its_schema_refuses() -> None:
    app = _app()
    checked = []
    fields = [field for body in _body_models(app) for field in _model_fields(body, set())]
    for model, name, info in fields:
        if not NAME_FIELD.search(name):
            continue
        adapter = _field_adapter(model, info)
        if _is_series_name(adapter.json_schema()):
            continue
        for sample in INVISIBLE_ONLY + BIDI:
            with pytest.raises(ValidationError):
                adapter.validate_python(sample)
        assert adapter.validate_python("Şahin") == "Şahin"
        checked.append((model.__name__, name))
    assert ("CustomerCreate", "first_name") in checked
    assert ("ContactDetails", "name") in checked
    assert ("InvoiceItem", "name") in checked


# -- the reproductions, over HTTP ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["\u200b", "\u00a0", "\ufeff", "\u3000", "\u202eevil", "Ada\u2066"])
@pytest.mark.parametrize("field", ["first_name", "last_name", "company_name"])
async def test_a_customer_named_only_with_invisible_characters_or_a_bidi_control_is_refused(
    engine: AsyncEngine, tenant: Tenant, field: str, name: str
) -> None:
    before = await rows_of(engine, tenant.id)
    body = {"first_name": "Ada", field: name}
    response = await tenant.post("/customers", json=body)
    assert response.status_code == 422, response.text
    assert list(response.json()["errors"]) == [field]
    assert await rows_of(engine, tenant.id) == before


async def test_an_invisible_line_name_and_an_invisible_rename_are_refused(engine: AsyncEngine, tenant: Tenant) -> None:
    customer = await tenant.create_customer()
    before = await rows_of(engine, tenant.id)
    line = {"name": "\u200b\u00a0", "quantity": "1", "unit_price": "1", "vat_rate_percent": "0"}
    created = await tenant.post("/invoices", json={"customer_id": customer["id"], "lines": [line]})
    renamed = await tenant.patch(f"/customers/{customer['id']}", json={"first_name": "\u3000"})
    assert created.status_code == renamed.status_code == 422
    assert await rows_of(engine, tenant.id) == before


async def test_empty_optional_names_are_still_no_name(tenant: Tenant) -> None:
    customer = await tenant.create_customer(last_name="", company_name="")
    assert (customer["last_name"], customer["company_name"]) == ("", "")


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "ftp://example.com/a", "/a.png"])
async def test_an_avatar_url_that_is_not_http_is_refused_on_create_and_update(
    engine: AsyncEngine, tenant: Tenant, url: str
) -> None:
    customer = await tenant.create_customer()
    before = await rows_of(engine, tenant.id)
    created = await tenant.post("/customers", json={"first_name": "Ada", "avatar_url": url})
    updated = await tenant.patch(f"/customers/{customer['id']}", json={"avatar_url": url})
    for response in (created, updated):
        assert response.status_code == 422, response.text
        assert list(response.json()["errors"]) == ["avatar_url"]
    assert await rows_of(engine, tenant.id) == before


async def test_an_https_avatar_url_is_kept_as_sent(tenant: Tenant) -> None:
    customer = await tenant.create_customer(avatar_url="https://cdn.example.com/a.png?v=2")
    assert customer["avatar_url"] == "https://cdn.example.com/a.png?v=2"


@pytest.mark.parametrize("issue_date", ["0001-01-01", "9999-12-31"])
async def test_an_issue_date_of_year_1_or_9999_is_refused_and_nothing_is_numbered(
    engine: AsyncEngine, tenant: Tenant, issue_date: str
) -> None:
    customer = await tenant.create_customer()
    draft = await tenant.create_draft(customer_id=customer["id"])
    before = await rows_of(engine, tenant.id)
    line = {"name": "Work", "quantity": "1", "unit_price": "1", "vat_rate_percent": "0"}
    created = await tenant.post(
        "/invoices", json={"customer_id": customer["id"], "issue_date": issue_date, "lines": [line]}
    )
    edited = await tenant.patch(f"/invoices/{draft['id']}", json={"issue_date": issue_date})
    for response in (created, edited):
        assert response.status_code == 422, response.text
        assert list(response.json()["errors"]) == ["issue_date"]
    assert await rows_of(engine, tenant.id) == before


async def test_the_edges_of_the_date_ranges_are_accepted(tenant: Tenant) -> None:
    first = await tenant.create_draft(issue_date="1900-01-01", due_date="2199-12-31")
    assert (first["issue_date"], first["due_date"]) == ("1900-01-01", "2199-12-31")
    customer = await tenant.create_customer(date_of_birth="1800-01-01")
    assert customer["date_of_birth"] == "1800-01-01"
    listed = await tenant.get("/invoices", params={"issue_date_from": "0001-01-01", "issue_date_to": "9999-12-31"})
    assert listed.status_code == 200, listed.text


@pytest.mark.parametrize("paid_at", ["0001-01-01T00:00:00Z", "9999-12-31T00:00:00Z", "1899-12-31T23:59:59Z"])
async def test_a_payment_dated_outside_1900_to_2199_is_refused(tenant: Tenant, paid_at: str) -> None:
    invoice = await tenant.issue((await tenant.create_draft())["id"])
    response = await tenant.post(
        f"/invoices/{invoice['id']}/payments", json={"amount": "1.00", "method": "cash", "paid_at": paid_at}
    )
    assert response.status_code == 422, response.text
    assert list(response.json()["errors"]) == ["paid_at"]


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"contactDetails": contact(name="\u200b\u3000")}, "contactDetails.name"),
        ({"contactDetails": contact(companyName="\u202eevil")}, "contactDetails.companyName"),
        ({"items": [item(name="\ufeff")]}, "items[0].name"),
        ({"name": "\u00a0"}, "name"),
        ({"issueDate": "0001-01-01", "dueDate": "0001-01-02"}, "issueDate"),
        ({"dueDate": "9999-12-31"}, "dueDate"),
    ],
)
async def test_highlevel_refuses_invisible_names_bidi_controls_and_absurd_dates_naming_the_field(
    engine: AsyncEngine, client: httpx.AsyncClient, overrides: dict[str, Any], named: str
) -> None:
    location = await new_location(engine, client)
    before = await rows_of(engine, location.tenant.id)
    response = await location.request("POST", "/invoices/", json=create_body(location.alt_id, **overrides))
    assert response.status_code == 422, response.text
    assert any(message.startswith(named) for message in response.json()["message"]), response.json()
    assert await rows_of(engine, location.tenant.id) == before


async def test_a_highlevel_contact_name_split_at_unicode_spaces_keeps_only_visible_parts(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    location = await new_location(engine, client)
    name = "\u200b Ada\u3000\u00a0Lovelace \u200b"
    created = await location.request(
        "POST", "/invoices/", json=create_body(location.alt_id, contactDetails=contact(name=name))
    )
    assert created.status_code == 200, created.text
    (customer,) = (await location.tenant.get("/customers")).json()["data"]
    assert (customer["first_name"], customer["last_name"]) == ("Ada", "Lovelace")
