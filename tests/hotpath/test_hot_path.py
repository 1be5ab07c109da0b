"""The hot path (invoicing.hotpath) answers exactly what the full path answers, or lets it answer.

Two apps over one PostgreSQL database: the suite's own (hot path on) and one with HOT_PATH off.
Every comparison is between the two apps' answers to the same request, and the hot path's own
counter shows which of them took it. PostgreSQL only: SQLite has no hot path.
"""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.app import create_app
from invoicing.auth.scopes import INVOICES_READ
from invoicing.config import Settings
from invoicing.core.db import transaction
from invoicing.events.tables import invoice_events
from invoicing.outbox.tables import outbox_messages
from tests.conftest import Tenant, new_tenant
from tests.lifecycle_states import LIVE_SITUATIONS, Invoices, succeed

pytestmark = pytest.mark.usefixtures("only_postgresql")

ADDRESS = {"line1": "Rue de Rivoli 1", "city": "Paris", "postal_code": "75001", "country_code": "FR"}


@pytest.fixture
def only_postgresql(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("the hot path exists on PostgreSQL only")


@pytest.fixture(scope="session")
def full_app(settings: Settings, app_engine: AsyncEngine) -> FastAPI:
    application = create_app(settings.model_copy(update={"hot_path": False}))
    application.state.engine = app_engine
    return application


@pytest.fixture
async def full(full_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=full_app), base_url="http://testserver") as http:
        yield http


def answered(route: str, by: str) -> float:
    value = REGISTRY.get_sample_value("invoicing_hot_path_requests_total", {"route": route, "answered_by": by})
    return value or 0.0


def comparable(response: httpx.Response) -> tuple[int, Any, str | None, str | None]:
    """What must agree: the status, the body (its request id aside: every request has its own), the ETag
    and the media type."""
    body = response.json()
    if isinstance(body, dict):
        body.pop("request_id", None)
    return response.status_code, body, response.headers.get("etag"), response.headers.get("content-type")


async def both(tenant: Tenant, full: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> tuple[Any, Any]:
    headers = {**tenant.headers, **kwargs.pop("headers", {})}
    hot = await tenant.client.request(method, f"/api/v1{path}", headers=headers, **kwargs)
    slow = await full.request(method, f"/api/v1{path}", headers=headers, **kwargs)
    return comparable(hot), comparable(slow)


async def varied_invoices(tenant: Tenant) -> list[dict[str, Any]]:
    """Invoices in every live state, and the representation's corners: no customer, a customer with
    structured details, currencies of 0 and 3 minor units, text that JSON must escape."""
    made = [await Invoices(tenant).make(situation) for situation in LIVE_SITUATIONS]
    made.append(await Invoices(tenant).make("issued", archived=True))
    made.append(await tenant.create_draft(customer_id=None))
    detailed = await tenant.create_customer(
        company_name='Müller & "Söhne" \\ GmbH',
        postal_address=ADDRESS,
        electronic_address={"scheme": "0009", "id": "30326504500011"},
        locale="fr",
    )
    for currency, price in (("JPY", "1234"), ("KWD", "12.345"), ("EUR", "0.10")):
        line = {"name": "Çalışma\n\t\u2028 ☃", "quantity": "3", "unit_price": price, "vat_rate_percent": "18"}
        draft = await tenant.create_draft(
            customer_id=detailed["id"], currency=currency, lines=[line], notes='Line one\nline "two" </script>'
        )
        made.append(await succeed(tenant, "issue", draft["id"]))
    return made


async def test_one_invoice_is_the_full_paths_answer_in_every_state_and_shape(
    tenant: Tenant, full: httpx.AsyncClient
) -> None:
    invoices = await varied_invoices(tenant)
    before = answered("/api/v1/invoices/{invoice_id}", "hot_path")
    for invoice in invoices:
        hot, slow = await both(tenant, full, "GET", f"/invoices/{invoice['id']}")
        assert hot == slow, invoice["status"]
        assert hot[0] == 200
    assert answered("/api/v1/invoices/{invoice_id}", "hot_path") - before == len(invoices)


async def test_every_page_is_the_full_paths_page(tenant: Tenant, full: httpx.AsyncClient) -> None:
    invoices = await varied_invoices(tenant)
    before = answered("/api/v1/invoices", "hot_path")
    cursor, pages = "", 0
    while True:
        hot, slow = await both(tenant, full, "GET", "/invoices", params={"limit": "4", "cursor": cursor})
        assert hot == slow
        pages += 1
        if not hot[1]["meta"]["has_more"]:
            break
        cursor = hot[1]["meta"]["next_cursor"]
    shown = len(invoices) - 1  # the archived one is not listed by default
    assert pages == -(-shown // 4)
    hot, slow = await both(tenant, full, "GET", "/invoices")  # the default page size
    assert hot == slow
    assert len(hot[1]["data"]) == shown
    assert answered("/api/v1/invoices", "hot_path") - before == pages + 1


async def events_and_messages(engine: AsyncEngine, invoice_id: int) -> tuple[list[Any], list[Any]]:
    async with transaction(engine, write=False) as connection:
        events = (
            await connection.execute(
                select(invoice_events).where(invoice_events.c.invoice_id == invoice_id).order_by(invoice_events.c.id)
            )
        ).mappings()
        event_rows = [dict(row) for row in events]
        messages = (
            await connection.execute(
                select(outbox_messages)
                .where(outbox_messages.c.subject_id == invoice_id, outbox_messages.c.subject_type == "invoice")
                .order_by(outbox_messages.c.id)
            )
        ).mappings()
        return event_rows, [dict(row) for row in messages]


def written(event: dict[str, Any], message: dict[str, Any]) -> tuple[Any, ...]:
    """An event and its message without what differs between any two changes (ids, times)."""
    payload = orjson.loads(message["payload"])
    return (
        event["type"],
        event["from_status"],
        event["to_status"],
        event["sequence"],
        event["data"],
        event["actor"],
        message["kind"],
        message["event_type"],
        message["fanned_out_at"],
        payload["type"],
        sorted(payload),
    )


async def test_cancel_and_revert_write_what_the_full_path_writes(
    tenant: Tenant, full: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    hot_invoice = await Invoices(tenant).make("partially_paid")
    full_invoice = await Invoices(tenant).make("partially_paid")
    before = answered("/api/v1/invoices/{invoice_id}/cancel", "hot_path")
    for action in ("cancel", "revert-cancel"):
        request_id = uuid.uuid4().hex
        headers = {**tenant.headers, "X-Request-ID": request_id}
        hot = await tenant.client.post(
            f"/api/v1/invoices/{hot_invoice['id']}/{action}", json={"id": hot_invoice["id"]}, headers=headers
        )
        slow = await full.post(
            f"/api/v1/invoices/{full_invoice['id']}/{action}", json={"id": full_invoice["id"]}, headers=tenant.headers
        )
        assert hot.status_code == slow.status_code == 200, hot.text
        assert hot.headers["etag"] == slow.headers["etag"]
        hot_body, slow_body = hot.json(), slow.json()
        assert hot_body["data"]["message"] == slow_body["data"]["message"]
        # The answer is the invoice as it now is, exactly as either path reads it back.
        read_back, _ = await both(tenant, full, "GET", f"/invoices/{hot_invoice['id']}")
        assert hot_body["data"]["invoice"] == read_back[1]["data"]
        hot_events, hot_messages = await events_and_messages(engine, hot_invoice["id"])
        full_events, full_messages = await events_and_messages(engine, full_invoice["id"])
        assert len(hot_events) == len(full_events)
        assert len(hot_messages) == len(full_messages)
        assert written(hot_events[-1], hot_messages[-1]) == written(full_events[-1], full_messages[-1])
        assert hot_events[-1]["request_id"] == request_id
        assert hot_events[-1]["created_at"] == hot_messages[-1]["created_at"]
        payload = orjson.loads(hot_messages[-1]["payload"])
        assert payload["data"] == read_back[1]["data"]
        assert payload["timestamp"] == read_back[1]["data"]["updated_at"]
    assert answered("/api/v1/invoices/{invoice_id}/cancel", "hot_path") - before == 1


async def test_what_the_hot_path_does_not_finish_the_full_path_answers_in_its_own_words(
    tenant: Tenant, other_tenant: Tenant, full: httpx.AsyncClient, engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    issued = await Invoices(tenant).make("issued")
    draft = await Invoices(tenant).make("draft")
    deleted = await Invoices(tenant).make("deleted")
    reader = await new_tenant(engine, client, scopes=(INVOICES_READ,))  # may not write, even where nothing is
    cases: list[tuple[Tenant, str, str, dict[str, Any], int]] = [
        (tenant, "GET", "/invoices/999999999", {}, 404),
        (tenant, "GET", f"/invoices/{deleted['id']}", {}, 404),
        (tenant, "GET", f"/invoices/{issued['id']}", {"headers": {"Authorization": "Bearer nope"}}, 401),
        (tenant, "GET", f"/invoices/{issued['id']}", {"headers": {"X-Tenant": str(other_tenant.id)}}, 403),
        (tenant, "GET", f"/invoices/{issued['id']}", {"headers": {"X-Tenant": "x1"}}, 422),
        (other_tenant, "GET", f"/invoices/{issued['id']}", {}, 404),
        (tenant, "GET", "/invoices", {"params": {"limit": "0"}}, 422),
        (tenant, "GET", "/invoices", {"params": {"cursor": "abc"}}, 422),
        (tenant, "POST", f"/invoices/{draft['id']}/cancel", {"json": {"id": draft["id"]}}, 409),
        (tenant, "POST", f"/invoices/{issued['id']}/revert-cancel", {"json": {"id": issued["id"]}}, 409),
        (tenant, "POST", f"/invoices/{issued['id']}/cancel", {}, 422),
        (tenant, "POST", f"/invoices/{issued['id']}/cancel", {"json": {"id": 1}}, 422),
        (
            tenant,
            "POST",
            f"/invoices/{issued['id']}/cancel",
            {"json": {"id": issued["id"]}, "headers": {"If-Match": '"v1"'}},
            412,
        ),
        (
            tenant,
            "POST",
            f"/invoices/{issued['id']}/cancel",
            {"json": {"id": issued["id"]}, "headers": {"If-Match": "v1"}},
            400,
        ),
        (reader, "POST", f"/invoices/{issued['id']}/cancel", {"json": {"id": issued["id"]}}, 403),
    ]
    before = await events_and_messages(engine, issued["id"])
    for caller, method, path, kwargs, status in cases:
        hot, slow = await both(caller, full, method, path, **kwargs)
        assert hot == slow, (method, path, kwargs)
        assert hot[0] == status, (method, path, kwargs, hot)
    assert await events_and_messages(engine, issued["id"]) == before  # nothing was written


async def test_a_keyed_transition_is_the_full_paths_and_replays(tenant: Tenant) -> None:
    invoice = await Invoices(tenant).make("issued")
    route = "/api/v1/invoices/{invoice_id}/cancel"
    full_before = answered(route, "full_path")
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    first = await tenant.post(f"/invoices/{invoice['id']}/cancel", json={"id": invoice["id"]}, headers=headers)
    again = await tenant.post(f"/invoices/{invoice['id']}/cancel", json={"id": invoice["id"]}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("idempotent-replayed") == "true"
    assert answered(route, "full_path") - full_before == 2


async def test_an_if_match_that_holds_lets_the_hot_path_cancel(tenant: Tenant) -> None:
    invoice = await Invoices(tenant).make("issued")
    route = "/api/v1/invoices/{invoice_id}/cancel"
    before = answered(route, "hot_path")
    etag = (await tenant.get(f"/invoices/{invoice['id']}")).headers["etag"]
    response = await tenant.post(
        f"/invoices/{invoice['id']}/cancel", json={"id": invoice["id"]}, headers={"If-Match": etag}
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["invoice"]["status"] == "cancelled"
    assert answered(route, "hot_path") - before == 1
