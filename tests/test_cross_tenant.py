"""Tenant isolation: another tenant's id behaves exactly like an id that never existed.

The routes come from the app itself, so a new /api/v1 route is covered (or the suite fails,
saying what to add) without anyone remembering this file:

- every path parameter needs a factory in FACTORIES that creates that kind of resource;
- a route whose id travels in the body or the query, or that is not a GET, needs an entry
  in CALLS saying what to send; a route that takes no id at all is listed in TAKES_NO_ID.

For each call, the caller sends (a) the other tenant's real ids and (b) ids that were never
used; both answers must be the same status and the same body (bar the request id and the id
echoed back), and none of the other tenant's rows may change. Then the owner makes the same
call with the same ids and must get a different answer: so it was the ids that decided the
answer, not a request that was wrong in some other way.
"""

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.app import create_app
from invoicing.config import Settings
from tests.conftest import Tenant, rows_of

THIS_FILE = "tests/test_cross_tenant.py"
API_PREFIX = "/api/v1"
NEVER_USED_ID = 999_999_999
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Ids = dict[str, int]
Factory = Callable[[Tenant, Ids], Awaitable[int]]


# -- what each kind of id is -----------------------------------------------------------------


async def make_customer(tenant: Tenant, ids: Ids) -> int:
    """A customer with an invoice and a credit note, so a leaking filter by customer would show something."""
    customer_id = int((await tenant.create_customer())["id"])
    await _draft_credit_note(tenant, customer_id)
    return customer_id


async def _draft_credit_note(tenant: Tenant, customer_id: int | None = None) -> int:
    fields = {"customer_id": customer_id} if customer_id is not None else {}
    invoice = await tenant.issue(int((await tenant.create_draft(**fields))["id"]))
    line = {"name": "Goodwill", "quantity": "1", "unit_price": "5.00", "vat_rate_percent": "0"}
    response = await tenant.post(
        f"/invoices/{invoice['id']}/credit-notes", json={"lines": [line], "reason": "Goodwill"}
    )
    assert response.status_code == 201, response.text
    return int(response.json()["data"]["credit_note"]["id"])


async def make_invoice(tenant: Tenant, ids: Ids) -> int:
    """A complete draft: issuable and editable, so a leaking call would visibly change it."""
    return int((await tenant.create_draft(notes="original"))["id"])


async def make_api_client(tenant: Tenant, ids: Ids) -> int:
    """An active OAuth client, so a leaking revoke or rotation would visibly change it."""
    response = await tenant.post("/clients", json={"name": "Integration"})
    assert response.status_code == 201, response.text
    return int(response.json()["data"]["id"])


async def make_credit_note(tenant: Tenant, ids: Ids) -> int:
    """A draft credit note of an issued invoice: issuable and deletable, so a leaking call would
    visibly change it."""
    return await _draft_credit_note(tenant)


async def make_webhook_endpoint(tenant: Tenant, ids: Ids) -> int:
    """An enabled endpoint (at a public IP literal: no DNS), so a leaking change, rotation,
    delete or replay would visibly change it or its deliveries."""
    response = await tenant.post("/webhook-endpoints", json={"url": "https://93.184.215.14/hook"})
    assert response.status_code == 201, response.text
    return int(response.json()["data"]["id"])


# A factory gets the ids already made for the same call in the same tenant (path order, then
# body ids), so a nested resource can hang off its parent: `ids["invoice_id"]`.
FACTORIES: dict[str, Factory] = {
    "customer_id": make_customer,
    "invoice_id": make_invoice,
    "api_client_id": make_api_client,
    "credit_note_id": make_credit_note,
    "webhook_endpoint_id": make_webhook_endpoint,
}

FREE_CREDIT_LINE = {"name": "Goodwill", "quantity": "1", "unit_price": "1.00", "vat_rate_percent": "0"}


# -- what each route is sent -------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One probe of a route: the body and query to send, built from the ids of the call."""

    json: Callable[[Ids], Any] | None = None
    params: Callable[[Ids], dict[str, Any]] | None = None
    ids: tuple[str, ...] = ()  # ids the body or query names (path ids are read from the route)
    own: tuple[str, ...] = ()  # ids that stay the caller's own (a foreign child of an own parent)
    expect: int = 404  # what a foreign and a never-used id both get


# Keyed by (method, path) as the app declares them. Body and query must be valid for the route
# so the request gets as far as the lookup. For example, later:
#   ("POST", "/api/v1/invoices/{invoice_id}/payments/void"):
#       (Call(json=lambda ids: {"id": ids["payment_id"]}, ids=("payment_id",), own=("invoice_id",)),),
CALLS: dict[tuple[str, str], tuple[Call, ...]] = {
    ("PATCH", "/api/v1/customers/{customer_id}"): (Call(json=lambda ids: {"job": "x"}),),
    ("DELETE", "/api/v1/customers/{customer_id}"): (Call(),),
    ("PATCH", "/api/v1/invoices/{invoice_id}"): (
        Call(json=lambda ids: {"notes": "x"}),
        Call(
            json=lambda ids: {"customer_id": ids["customer_id"]},
            ids=("customer_id",),
            own=("invoice_id",),
            expect=422,
        ),
    ),
    ("POST", "/api/v1/invoices/{invoice_id}/issue"): (Call(),),
    ("POST", "/api/v1/invoices/{invoice_id}/send"): (Call(),),
    ("POST", "/api/v1/invoices/{invoice_id}/void"): (Call(),),
    ("DELETE", "/api/v1/invoices/{invoice_id}"): (Call(),),
    ("POST", "/api/v1/invoices/{invoice_id}/archive"): (Call(),),
    ("POST", "/api/v1/invoices/{invoice_id}/printed"): (Call(),),
    ("GET", "/api/v1/invoices/{invoice_id}/cii"): (Call(),),
    ("GET", "/api/v1/invoices/{invoice_id}/pdf"): (Call(),),
    ("GET", "/api/v1/invoices/{invoice_id}/ubl"): (Call(),),
    ("POST", "/api/v1/invoices/{invoice_id}/rotate-link"): (Call(),),
    # The seed quirk: the id repeated in the body (cancel, revert-cancel) or query (unarchive).
    ("POST", "/api/v1/invoices/{invoice_id}/cancel"): (Call(json=lambda ids: {"id": ids["invoice_id"]}),),
    ("POST", "/api/v1/invoices/{invoice_id}/revert-cancel"): (Call(json=lambda ids: {"id": ids["invoice_id"]}),),
    ("DELETE", "/api/v1/invoices/{invoice_id}/archive"): (
        Call(params=lambda ids: {"id": ids["invoice_id"]}),
        Call(),
    ),
    ("POST", "/api/v1/invoices/{invoice_id}/payments"): (Call(json=lambda ids: {"amount": "1.00", "method": "cash"}),),
    ("GET", "/api/v1/invoices/{invoice_id}/payments"): (Call(),),
    ("POST", "/api/v1/invoices"): (
        Call(json=lambda ids: {"customer_id": ids["customer_id"]}, ids=("customer_id",), expect=422),
    ),
    ("POST", "/api/v1/clients/{api_client_id}/revoke"): (Call(),),
    ("POST", "/api/v1/clients/{api_client_id}/rotate-secret"): (Call(),),
    ("GET", "/api/v1/invoices"): (
        Call(params=lambda ids: {"customer_id": ids["customer_id"]}, ids=("customer_id",), expect=200),
    ),
    ("POST", "/api/v1/invoices/{invoice_id}/credit-notes"): (
        Call(json=lambda ids: {"lines": [FREE_CREDIT_LINE], "reason": "x", "issue": True}),
    ),
    ("POST", "/api/v1/invoices/{invoice_id}/credit-allocations"): (
        Call(json=lambda ids: {"credit_note_id": ids["credit_note_id"], "amount": "1.00"}, ids=("credit_note_id",)),
    ),
    ("POST", "/api/v1/credit-notes/{credit_note_id}/issue"): (Call(),),
    ("POST", "/api/v1/credit-notes/{credit_note_id}/void"): (Call(),),
    ("DELETE", "/api/v1/credit-notes/{credit_note_id}"): (Call(),),
    ("GET", "/api/v1/credit-notes"): (
        Call(params=lambda ids: {"customer_id": ids["customer_id"]}, ids=("customer_id",), expect=200),
    ),
    ("PATCH", "/api/v1/webhook-endpoints/{webhook_endpoint_id}"): (Call(json=lambda ids: {"description": "x"}),),
    ("DELETE", "/api/v1/webhook-endpoints/{webhook_endpoint_id}"): (Call(),),
    ("POST", "/api/v1/webhook-endpoints/{webhook_endpoint_id}/rotate-secret"): (Call(),),
    ("POST", "/api/v1/webhook-endpoints/{webhook_endpoint_id}/replay"): (
        Call(json=lambda ids: {"since": "2026-01-01T00:00:00Z"}),
    ),
}

# Routes that name no tenant resource by id anywhere (path, body or query).
TAKES_NO_ID: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/api/v1/currencies"),
        ("GET", "/api/v1/series"),
        ("POST", "/api/v1/series"),
        ("GET", "/api/v1/customers"),
        ("POST", "/api/v1/customers"),
        ("GET", "/api/v1/clients"),
        ("POST", "/api/v1/clients"),
        # The tenant of X-Tenant itself, its profile and logo (tests/documents/test_tenant_profile.py).
        ("GET", "/api/v1/tenant"),
        ("PATCH", "/api/v1/tenant"),
        ("GET", "/api/v1/tenant/logo"),
        ("PUT", "/api/v1/tenant/logo"),
        ("DELETE", "/api/v1/tenant/logo"),
        ("GET", "/api/v1/webhook-endpoints"),
        ("POST", "/api/v1/webhook-endpoints"),
        ("GET", "/api/v1/webhook-event-types"),
    }
)


# -- the routes, from the app ----------------------------------------------------------------


def api_routes(app: FastAPI) -> dict[tuple[str, str], tuple[str, ...]]:
    """(method, path) -> path parameter names, for every /api/v1 operation the app serves.

    FastAPI >= 0.137 keeps included routers as lazy `_IncludedRouter` entries in `app.routes`;
    `iter_route_contexts` flattens them with their full paths (it is what OpenAPI generation
    uses). `test_the_enumeration_sees_every_documented_operation` guards against it going blind.
    """
    found: dict[tuple[str, str], tuple[str, ...]] = {}
    for context in iter_route_contexts(app.routes):
        path = context.path_format
        if not isinstance(context.original_route, APIRoute) or not path or not path.startswith(API_PREFIX + "/"):
            continue
        for method in context.methods or ():
            found[(method, path)] = tuple(re.findall(r"{(\w+)}", path))
    return dict(sorted(found.items()))


ROUTES = api_routes(create_app(Settings(database_url="sqlite://")))

MISSING = (Call(expect=-1),)  # a route nobody has described; the test fails and says what to add


def calls_for(method: str, path: str, path_params: tuple[str, ...]) -> tuple[Call, ...]:
    if (method, path) in CALLS:
        return CALLS[(method, path)]
    if path_params and method in SAFE_METHODS:
        return (Call(),)
    return MISSING


PROBES = [
    pytest.param(method, path, index, id=f"{method} {path}" + (f" #{index + 1}" if len(calls) > 1 else ""))
    for (method, path), path_params in ROUTES.items()
    if (method, path) not in TAKES_NO_ID
    for calls in [calls_for(method, path, path_params)]
    for index in range(len(calls))
]


def test_the_enumeration_sees_every_documented_operation(app: FastAPI) -> None:
    documented = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith(API_PREFIX + "/")
        for method in operations
    }
    assert documented, "no /api/v1 operation in the OpenAPI document"
    assert documented <= set(api_routes(app)), documented - set(api_routes(app))
    assert set(api_routes(app)) == set(ROUTES)
    assert ("GET", "/api/v1/invoices/{invoice_id}") in ROUTES
    assert ("PATCH", "/api/v1/customers/{customer_id}") in ROUTES


def test_the_tables_describe_only_routes_that_exist() -> None:
    stale = (set(CALLS) | TAKES_NO_ID) - set(ROUTES)
    assert not stale, f"CALLS or TAKES_NO_ID name routes the app no longer has: {sorted(stale)}"
    assert not set(CALLS) & TAKES_NO_ID


# -- rows, to prove nothing of the other tenant changed ------------------------------------------


def without_echoed_ids(body: Any, ids: Ids) -> Any:
    """The body with the request id dropped and the ids we sent, where a message repeats them, named."""
    if isinstance(body, dict):
        return {key: without_echoed_ids(value, ids) for key, value in body.items() if key != "request_id"}
    if isinstance(body, list):
        return [without_echoed_ids(item, ids) for item in body]
    if isinstance(body, str):
        for name, value in ids.items():
            body = re.sub(rf"\b{value}\b", f"<{name}>", body)
    return body


async def send(tenant: Tenant, method: str, path: str, call: Call, ids: Ids) -> httpx.Response:
    return await tenant.request(
        method,
        path.removeprefix(API_PREFIX).format(**ids),
        json=call.json(ids) if call.json else None,
        params=call.params(ids) if call.params else None,
    )


@pytest.mark.parametrize(("method", "path", "index"), PROBES)
async def test_another_tenants_id_is_indistinguishable_from_a_never_used_one(
    engine: AsyncEngine, tenant: Tenant, other_tenant: Tenant, method: str, path: str, index: int
) -> None:
    path_params = ROUTES[(method, path)]
    call = calls_for(method, path, path_params)[index]
    if call is MISSING[0]:
        pytest.fail(
            f"{method} {path} is not described: add CALLS[({method!r}, {path!r})] in {THIS_FILE} with a "
            "body/query that is valid for it (and the ids it names), or list it in TAKES_NO_ID if it names no "
            "resource by id."
        )
    names = list(dict.fromkeys([*path_params, *call.ids]))
    missing = [name for name in names if name not in FACTORIES]
    if missing:
        pytest.fail(
            f"{method} {path} takes {', '.join(missing)}, which has no factory: add one to FACTORIES in "
            f"{THIS_FILE} that creates that resource for a tenant and returns its id."
        )

    own: Ids = {}
    foreign: Ids = {}
    for name in names:
        if name in call.own:
            own[name] = await FACTORIES[name](tenant, own)
        else:
            foreign[name] = await FACTORIES[name](other_tenant, foreign)
    never_used = {name: NEVER_USED_ID + position for position, name in enumerate(foreign)}
    before = await rows_of(engine, other_tenant.id)

    with_foreign = await send(tenant, method, path, call, {**own, **foreign})
    with_never_used = await send(tenant, method, path, call, {**own, **never_used})

    assert with_foreign.status_code == call.expect, with_foreign.text
    assert with_never_used.status_code == call.expect, with_never_used.text
    assert with_foreign.headers["content-type"] == with_never_used.headers["content-type"]
    assert without_echoed_ids(with_foreign.json(), foreign) == without_echoed_ids(with_never_used.json(), never_used)
    assert await rows_of(engine, other_tenant.id) == before, "the other tenant's data changed"

    # The owner, sending the same with its own ids, gets a different answer: the ids were what
    # decided the answer above, not some other fault of the request.
    owners_own: Ids = {}
    for name in call.own:
        owners_own[name] = await FACTORIES[name](other_tenant, owners_own)
    by_owner = await send(other_tenant, method, path, call, {**owners_own, **foreign})
    assert by_owner.status_code < 500, by_owner.text
    # A document (the PDF) is no JSON; the owner getting one at all is the different answer.
    is_json = "json" in by_owner.headers.get("content-type", "")
    owners_answer = without_echoed_ids(by_owner.json(), foreign) if is_json else by_owner.content
    assert (by_owner.status_code, owners_answer) != (
        with_never_used.status_code,
        without_echoed_ids(with_never_used.json(), never_used),
    ), f"the owner's own ids get the same answer as never-used ones: {by_owner.status_code}"
