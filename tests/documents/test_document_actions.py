"""Marking an invoice printed and rotating its hosted link (docs/hosted.md), on SQLite and PostgreSQL."""

from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import Tenant, rows_of
from tests.lifecycle_states import Invoices, stored_events


async def _issued(tenant: Tenant) -> dict[str, Any]:
    return await tenant.issue((await tenant.create_draft())["id"])


async def _types(engine: AsyncEngine, tenant: Tenant, invoice_id: int) -> list[str]:
    return [event["type"] for event in await stored_events(engine, tenant.id, invoice_id)]


async def test_the_first_printed_call_sets_is_printed_with_one_event_and_later_calls_change_nothing(
    tenant: Tenant, engine: AsyncEngine
) -> None:
    invoice = await _issued(tenant)
    assert invoice["is_printed"] is False
    first = await tenant.post(f"/invoices/{invoice['id']}/printed")
    assert first.status_code == 200, first.text
    printed = first.json()["data"]
    assert printed["is_printed"] is True
    assert printed["version"] == invoice["version"] + 1
    assert first.headers["etag"] == f'"v{printed["version"]}"'
    second = await tenant.post(f"/invoices/{invoice['id']}/printed")
    assert second.status_code == 200
    assert second.json()["data"]["version"] == printed["version"]
    assert (await _types(engine, tenant, invoice["id"])).count("invoice.printed") == 1


async def test_fetching_an_invoice_never_marks_it_printed(tenant: Tenant) -> None:
    invoice = await _issued(tenant)
    await tenant.get(f"/invoices/{invoice['id']}")
    assert (await tenant.get(f"/invoices/{invoice['id']}")).json()["data"]["is_printed"] is False


async def test_a_draft_cannot_be_printed_or_have_its_link_rotated_and_nothing_is_stored(
    tenant: Tenant, engine: AsyncEngine
) -> None:
    draft = await tenant.create_draft()
    before = await rows_of(engine, tenant.id)
    for action in ("printed", "rotate-link"):
        response = await tenant.post(f"/invoices/{draft['id']}/{action}")
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "invoice_not_issued"
        assert response.json()["invoice_status"] == "draft"
    assert await rows_of(engine, tenant.id) == before


async def test_every_numbered_state_can_be_printed(tenant: Tenant) -> None:
    for situation in ("partially_paid", "paid", "cancelled_from_issued", "void"):
        invoice = await Invoices(tenant).make(situation)
        response = await tenant.post(f"/invoices/{invoice['id']}/printed")
        assert response.status_code == 200, (situation, response.text)
        assert response.json()["data"]["status"] == invoice["status"]


async def test_rotating_the_link_gives_a_new_url_and_the_old_one_stops_opening(
    tenant: Tenant, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    invoice = await _issued(tenant)
    old = urlsplit(invoice["hosted_url"]).path
    response = await tenant.post(f"/invoices/{invoice['id']}/rotate-link")
    assert response.status_code == 200, response.text
    rotated = response.json()["data"]
    new = urlsplit(rotated["hosted_url"]).path
    assert new != old
    assert len(new) == len(old)
    assert (await client.get(old)).status_code == 404
    assert (await client.get(new)).status_code == 200
    assert (await _types(engine, tenant, invoice["id"]))[-2:] == ["invoice.link_rotated", "invoice.viewed"]
    (event,) = [e for e in await stored_events(engine, tenant.id, invoice["id"]) if e["type"] == "invoice.link_rotated"]
    assert event["data"] is None  # neither token: every client of the tenant reads events


async def test_a_stale_if_match_refuses_the_rotation_and_keeps_the_link(
    tenant: Tenant, client: httpx.AsyncClient
) -> None:
    invoice = await _issued(tenant)
    stale = f'"v{invoice["version"] - 1}"'
    response = await tenant.post(f"/invoices/{invoice['id']}/rotate-link", headers={"If-Match": stale})
    assert response.status_code == 412, response.text
    assert (await client.get(urlsplit(invoice["hosted_url"]).path)).status_code == 200


async def test_a_retried_rotation_with_the_same_idempotency_key_rotates_once(tenant: Tenant) -> None:
    invoice = await _issued(tenant)
    headers = {"Idempotency-Key": "rotate-once"}
    first = await tenant.post(f"/invoices/{invoice['id']}/rotate-link", headers=headers)
    again = await tenant.post(f"/invoices/{invoice['id']}/rotate-link", headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json()["data"]["hosted_url"] == first.json()["data"]["hosted_url"]
    current = (await tenant.get(f"/invoices/{invoice['id']}")).json()["data"]
    assert current["hosted_url"] == first.json()["data"]["hosted_url"]


async def test_another_tenant_s_invoice_cannot_be_printed_or_rotated(tenant: Tenant, other_tenant: Tenant) -> None:
    theirs = await _issued(other_tenant)
    for action in ("printed", "rotate-link"):
        response = await tenant.post(f"/invoices/{theirs['id']}/{action}")
        assert response.status_code == 404, response.text
