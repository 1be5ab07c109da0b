"""ACCEPTANCE 2: conditional requests on invoices (ETag / If-Match), on SQLite and PostgreSQL.

An invoice's ETag is `"v<version>"`, its own version, bumped by every change. Every unsafe
request on an invoice honours If-Match: a tag that no longer matches answers 412 and changes
nothing, so of 20 writers that read the same version exactly one wins.
"""

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import Tenant, rows_of
from tests.lifecycle_states import spare_credit

RACERS = 20


def tag(version: int) -> str:
    return f'"v{version}"'


async def current(tenant: Tenant, invoice_id: int) -> httpx.Response:
    response = await tenant.get(f"/invoices/{invoice_id}")
    assert response.status_code == 200, response.text
    return response


def assert_precondition_failed(response: httpx.Response, current_tag: str) -> None:
    assert response.status_code == 412, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "precondition_failed"
    assert body["status"] == 412
    assert body["current_etag"] == current_tag


def assert_tagged(response: httpx.Response) -> None:
    """The response's ETag is the version its body shows."""
    data = response.json()["data"]
    invoice = data.get("invoice", data)
    assert response.headers["etag"] == tag(invoice["version"])


async def test_twenty_concurrent_patches_with_the_same_if_match_one_wins(engine: AsyncEngine, tenant: Tenant) -> None:
    draft = await tenant.create_draft()
    read = await current(tenant, draft["id"])
    etag = read.headers["etag"]
    version = read.json()["data"]["version"]

    async def edit(index: int) -> httpx.Response:
        return await tenant.patch(
            f"/invoices/{draft['id']}", json={"notes": f"writer {index}"}, headers={"If-Match": etag}
        )

    outcomes = await asyncio.gather(*(edit(index) for index in range(RACERS)), return_exceptions=True)
    assert not [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    responses = [outcome for outcome in outcomes if isinstance(outcome, httpx.Response)]
    assert Counter(response.status_code for response in responses) == {200: 1, 412: RACERS - 1}
    winner = next(response for response in responses if response.status_code == 200)
    new_tag = tag(version + 1)
    assert winner.headers["etag"] == new_tag
    for loser in (response for response in responses if response.status_code == 412):
        assert_precondition_failed(loser, new_tag)
    after = (await current(tenant, draft["id"])).json()["data"]
    assert after["version"] == version + 1
    assert after["notes"] == winner.json()["data"]["notes"]
    events = [row for row in (await rows_of(engine, tenant.id))["invoice_events"] if row[3] == draft["id"]]
    assert [row[5] for row in events] == ["invoice.created", "invoice.updated"]


async def test_without_if_match_concurrent_patches_all_apply(engine: AsyncEngine, tenant: Tenant) -> None:
    """If-Match is optional: without it writers take turns and every one applies."""
    draft = await tenant.create_draft()
    responses = await asyncio.gather(
        *(tenant.patch(f"/invoices/{draft['id']}", json={"notes": f"w{index}"}) for index in range(5))
    )
    assert [response.status_code for response in responses] == [200] * 5
    assert (await current(tenant, draft["id"])).json()["data"]["version"] == draft["version"] + 5


async def test_every_change_bumps_the_etag_and_reads_do_not(tenant: Tenant) -> None:
    customer = await tenant.create_customer()
    line = {"name": "Work", "quantity": "1", "unit_price": "100.00", "vat_rate_percent": "0"}
    created = await tenant.post("/invoices", json={"customer_id": customer["id"], "lines": [line]})
    assert created.status_code == 201
    assert_tagged(created)
    invoice_id = created.json()["data"]["id"]
    seen = [created.headers["etag"]]
    read = await current(tenant, invoice_id)
    assert read.headers["etag"] == seen[-1]
    assert (await current(tenant, invoice_id)).headers["etag"] == seen[-1]
    changes = [
        ("PATCH", "", {"notes": "edited"}),
        ("POST", "/issue", None),
        ("POST", "/send", None),
        ("POST", "/payments", {"amount": "10.00", "method": "cash"}),
        ("POST", "/cancel", {"id": invoice_id}),
        ("POST", "/revert-cancel", {"id": invoice_id}),
        ("POST", "/archive", None),
        ("DELETE", "/archive", None),
    ]
    for method, suffix, body in changes:
        response = await tenant.request(method, f"/invoices/{invoice_id}{suffix}", json=body)
        assert response.status_code in (200, 201), (method, suffix, response.text)
        assert_tagged(response)
        assert response.headers["etag"] not in seen, (method, suffix)
        seen.append(response.headers["etag"])
        assert (await current(tenant, invoice_id)).headers["etag"] == seen[-1]
    assert seen == [tag(version) for version in range(1, len(changes) + 2)]


async def test_lists_and_other_reads_carry_no_etag(tenant: Tenant) -> None:
    draft = await tenant.create_draft()
    for path in ("/invoices", f"/invoices/{draft['id']}/events", f"/invoices/{draft['id']}/payments"):
        response = await tenant.get(path)
        assert response.status_code == 200
        assert "etag" not in response.headers, path


async def test_an_archive_that_changes_nothing_keeps_the_etag(tenant: Tenant) -> None:
    draft = await tenant.create_draft()
    archived = await tenant.post(f"/invoices/{draft['id']}/archive", headers={"If-Match": tag(draft["version"])})
    assert archived.status_code == 200
    again = await tenant.post(f"/invoices/{draft['id']}/archive", headers={"If-Match": archived.headers["etag"]})
    assert again.status_code == 200
    assert again.headers["etag"] == archived.headers["etag"]


CREDIT = {
    "lines": [{"name": "Goodwill", "quantity": "1", "unit_price": "1.00", "vat_rate_percent": "0"}],
    "reason": "Goodwill",
    "issue": True,
}
# invoice id -> a credit note of its customer with credit to apply (state "issued-with-spare-credit");
# for an invoice not found (any other id) the note is never read, so any id does.
SPARE_CREDIT: dict[int, int] = {}


# Every unsafe request on one invoice: the state it needs, and how to send it.
@dataclass(frozen=True)
class Endpoint:
    name: str
    state: str
    method: str
    suffix: str
    body: Callable[[int], Any]
    status: int = 200


ENDPOINTS = [
    Endpoint("patch", "draft", "PATCH", "", lambda _: {"notes": "changed"}),
    Endpoint("issue", "draft", "POST", "/issue", lambda _: None),
    Endpoint("send", "issued", "POST", "/send", lambda _: None),
    Endpoint("payment", "issued", "POST", "/payments", lambda _: {"amount": "1.00", "method": "cash"}, 201),
    Endpoint("cancel", "issued", "POST", "/cancel", lambda invoice_id: {"id": invoice_id}),
    Endpoint("revert-cancel", "cancelled", "POST", "/revert-cancel", lambda invoice_id: {"id": invoice_id}),
    Endpoint("void", "issued", "POST", "/void", lambda _: None),
    Endpoint("delete", "draft", "DELETE", "", lambda _: None),
    Endpoint("archive", "draft", "POST", "/archive", lambda _: None),
    Endpoint("unarchive", "archived", "DELETE", "/archive", lambda _: None),
    Endpoint("printed", "issued", "POST", "/printed", lambda _: None),
    Endpoint("rotate-link", "issued", "POST", "/rotate-link", lambda _: None),
    Endpoint("credit", "issued", "POST", "/credit-notes", lambda _: CREDIT, 201),
    Endpoint(
        "credit-allocation",
        "issued-with-spare-credit",
        "POST",
        "/credit-allocations",
        lambda invoice_id: {"credit_note_id": SPARE_CREDIT.get(invoice_id, 1), "amount": "1.00"},
        201,
    ),
]


async def invoice_in(tenant: Tenant, state: str) -> int:
    draft = await tenant.create_draft()
    invoice_id = int(draft["id"])
    if state in ("issued", "cancelled", "issued-with-spare-credit"):
        await tenant.issue(invoice_id)
    if state == "issued-with-spare-credit":
        SPARE_CREDIT[invoice_id] = await spare_credit(tenant, draft["customer"]["id"])
    if state == "cancelled":
        assert (await tenant.post(f"/invoices/{invoice_id}/cancel", json={"id": invoice_id})).status_code == 200
    if state == "archived":
        assert (await tenant.post(f"/invoices/{invoice_id}/archive")).status_code == 200
    return invoice_id


def send(tenant: Tenant, endpoint: Endpoint, invoice_id: int, if_match: str | None) -> Awaitable[httpx.Response]:
    headers = {"If-Match": if_match} if if_match is not None else {}
    path = f"/invoices/{invoice_id}{endpoint.suffix}"
    return tenant.request(endpoint.method, path, json=endpoint.body(invoice_id), headers=headers)


def test_the_table_covers_every_unsafe_operation_on_an_invoice() -> None:
    from tests.test_docs import INVOICE_OPERATIONS

    unsafe = {(method, path) for method, path in INVOICE_OPERATIONS if method not in ("GET", "HEAD")}
    covered = {(e.method, f"/api/v1/invoices/{{invoice_id}}{e.suffix}") for e in ENDPOINTS}
    assert unsafe == covered


# (If-Match given the invoice's current version, whether it passes)
MATCHING: dict[str, tuple[Callable[[int], str], bool]] = {
    "current": (tag, True),
    "star": (lambda _: "*", True),
    "list-with-current": (lambda version: f'"v{version + 5}", {tag(version)} ,"v0"', True),
    "stale": (lambda version: tag(version - 1), False),
    "future": (lambda version: tag(version + 1), False),
    "weak-current": (lambda version: f"W/{tag(version)}", False),
    "list-of-stale": (lambda version: f'"v0", {tag(version - 1)}, W/{tag(version)}', False),
    "other-form": (lambda version: f'"{version}"', False),
}


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
@pytest.mark.parametrize("case", MATCHING, ids=list(MATCHING))
async def test_if_match_on_every_invoice_change(
    engine: AsyncEngine, tenant: Tenant, endpoint: Endpoint, case: str
) -> None:
    invoice_id = await invoice_in(tenant, endpoint.state)
    read = await current(tenant, invoice_id)
    version = read.json()["data"]["version"]
    assert read.headers["etag"] == tag(version)
    header, passes = MATCHING[case]
    before = await rows_of(engine, tenant.id)
    response = await send(tenant, endpoint, invoice_id, header(version))
    if passes:
        assert response.status_code == endpoint.status, response.text
        assert response.headers["etag"] == tag(version + 1)
        assert_tagged(response)
        assert await rows_of(engine, tenant.id) != before
    else:
        assert_precondition_failed(response, tag(version))
        assert await rows_of(engine, tenant.id) == before


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
async def test_a_stale_if_match_after_another_change_is_refused_and_the_fresh_one_passes(
    engine: AsyncEngine, tenant: Tenant, endpoint: Endpoint
) -> None:
    invoice_id = await invoice_in(tenant, endpoint.state)
    read_tag = (await current(tenant, invoice_id)).headers["etag"]
    # Someone else changes the invoice: an archive round trip, which works in every live state.
    round_trip = [("POST", "/archive"), ("DELETE", "/archive")]
    for method, suffix in reversed(round_trip) if endpoint.state == "archived" else round_trip:
        assert (await tenant.request(method, f"/invoices/{invoice_id}{suffix}")).status_code == 200
    fresh = await current(tenant, invoice_id)
    assert fresh.headers["etag"] != read_tag
    before = await rows_of(engine, tenant.id)
    refused = await send(tenant, endpoint, invoice_id, read_tag)
    assert_precondition_failed(refused, fresh.headers["etag"])
    assert await rows_of(engine, tenant.id) == before
    passed = await send(tenant, endpoint, invoice_id, fresh.headers["etag"])
    assert passed.status_code == endpoint.status, passed.text


@pytest.mark.parametrize(
    "value",
    ["v1", '"v1', 'v1"', '"v"1"', "", " ", '"v1" "v2"', '*, "v1"', "**", "W/", "W/v1", 'W/"v1'],
    ids=[
        "bare",
        "open",
        "close",
        "inner-quote",
        "empty",
        "blank",
        "no-comma",
        "star-list",
        "stars",
        "weak-nothing",  # fails: src accepts any W/... unchecked (see the report)
        "weak-bare",  # fails: idem
        "weak-open",  # fails: idem
    ],
)
async def test_a_malformed_if_match_is_refused_with_400_and_nothing_changes(
    engine: AsyncEngine, tenant: Tenant, value: str
) -> None:
    draft = await tenant.create_draft()
    before = await rows_of(engine, tenant.id)
    response = await tenant.patch(f"/invoices/{draft['id']}", json={"notes": "x"}, headers={"If-Match": value})
    assert response.status_code == 400, (value, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "invalid_if_match"
    assert await rows_of(engine, tenant.id) == before


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
@pytest.mark.parametrize("if_match", ['"v1"', "*", '"v999"'], ids=["v1", "star", "stale"])
async def test_a_missing_invoice_stays_404_whatever_the_if_match(
    tenant: Tenant, other_tenant: Tenant, endpoint: Endpoint, if_match: str
) -> None:
    foreign = await invoice_in(other_tenant, endpoint.state)
    for invoice_id in (foreign, 999_999_999):
        response = await send(tenant, endpoint, invoice_id, if_match)
        assert response.status_code == 404, (invoice_id, response.text)
        assert response.json()["code"] == "invoice_not_found"


async def test_a_deleted_invoice_is_404_even_with_its_last_etag(tenant: Tenant) -> None:
    draft = await tenant.create_draft()
    deleted = await tenant.request("DELETE", f"/invoices/{draft['id']}", headers={"If-Match": tag(draft["version"])})
    assert deleted.status_code == 200
    response = await tenant.patch(
        f"/invoices/{draft['id']}", json={"notes": "x"}, headers={"If-Match": deleted.headers["etag"]}
    )
    assert response.status_code == 404


async def test_the_precondition_is_judged_before_the_lifecycle(engine: AsyncEngine, tenant: Tenant) -> None:
    """RFC 9110 13.2.2: a stale tag answers 412 even where the action itself would be refused."""
    draft = await tenant.create_draft()
    before = await rows_of(engine, tenant.id)
    stale = await tenant.post(
        f"/invoices/{draft['id']}/cancel", json={"id": draft["id"]}, headers={"If-Match": tag(draft["version"] + 1)}
    )
    assert_precondition_failed(stale, tag(draft["version"]))
    matching = await tenant.post(
        f"/invoices/{draft['id']}/cancel", json={"id": draft["id"]}, headers={"If-Match": tag(draft["version"])}
    )
    assert matching.status_code == 409
    assert matching.json()["code"] == "invoice_not_cancellable"
    assert await rows_of(engine, tenant.id) == before


async def test_a_lost_update_is_prevented_end_to_end(tenant: Tenant) -> None:
    """Two clients read the same draft; the second to write learns of the first instead of erasing it."""
    draft = await tenant.create_draft()
    alice = await current(tenant, draft["id"])
    bob = await current(tenant, draft["id"])
    path = f"/invoices/{draft['id']}"
    first = await tenant.patch(path, json={"notes": "Alice"}, headers={"If-Match": alice.headers["etag"]})
    assert first.status_code == 200
    second = await tenant.patch(path, json={"notes": "Bob"}, headers={"If-Match": bob.headers["etag"]})
    assert_precondition_failed(second, first.headers["etag"])
    retried = await tenant.patch(path, json={"notes": "Bob"}, headers={"If-Match": second.json()["current_etag"]})
    assert retried.status_code == 200
    assert retried.json()["data"]["notes"] == "Bob"
