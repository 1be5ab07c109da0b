"""ACCEPTANCE 4: the hosted invoice page, opened without credentials, on SQLite and PostgreSQL."""

from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.core.db import transaction
from invoicing.invoices.tables import invoices
from tests.concurrency import all_at_once
from tests.conftest import Tenant
from tests.lifecycle_states import stored_events

FIRST_OPENS = 20


async def _issued(tenant: Tenant, **fields: Any) -> dict[str, Any]:
    return await tenant.issue((await tenant.create_draft(**fields))["id"])


def _path(invoice: dict[str, Any]) -> str:
    return urlsplit(invoice["hosted_url"]).path


async def _open(client: httpx.AsyncClient, path: str) -> httpx.Response:
    return await client.get(path)  # no Authorization, no X-Tenant


async def _viewed(engine: AsyncEngine, tenant: Tenant, invoice_id: int) -> list[str]:
    return [
        event["type"]
        for event in await stored_events(engine, tenant.id, invoice_id)
        if event["type"] == "invoice.viewed"
    ]


async def _set_token(engine: AsyncEngine, invoice_id: int, token: str) -> None:
    async with transaction(engine, write=True) as connection:
        await connection.execute(update(invoices).where(invoices.c.id == invoice_id).values(hosted_token=token))


async def test_an_issued_invoice_has_an_unguessable_hosted_url_and_a_draft_has_none(tenant: Tenant) -> None:
    draft = await tenant.create_draft()
    assert draft["hosted_url"] is None
    issued = await tenant.issue(draft["id"])
    path = _path(issued)
    assert path.startswith("/i/")
    assert len(path.removeprefix("/i/")) == 43  # secrets.token_urlsafe(32): 256 random bits
    other = await _issued(tenant)
    assert _path(other) != path


async def test_the_page_opens_without_credentials_and_shows_the_number_and_the_amount_due(
    tenant: Tenant, client: httpx.AsyncClient
) -> None:
    invoice = await _issued(tenant)
    response = await _open(client, _path(invoice))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert invoice["document_number"] in response.text
    assert "120,00" in response.text or "120.00" in response.text  # TRY in the tenant's locale
    assert "Amount due" in response.text
    assert 'href="' + _path(invoice).removeprefix("/i/") + '/pdf"' in response.text


async def test_the_page_is_private_unindexed_and_under_a_strict_content_security_policy(
    tenant: Tenant, client: httpx.AsyncClient
) -> None:
    response = await _open(client, _path(await _issued(tenant)))
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["x-robots-tag"].startswith("noindex")
    assert response.headers["referrer-policy"] == "no-referrer"
    policy = dict(part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'none'"
    assert policy["style-src"].startswith("'sha256-")
    assert policy["frame-ancestors"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert policy["form-action"] == "'none'"
    assert "script" not in response.text.lower().replace("description", "")


async def test_the_page_escapes_what_the_invoice_says(tenant: Tenant, client: httpx.AsyncClient) -> None:
    line = {"name": "<script>alert(1)</script>", "quantity": "1", "unit_price": "10.00", "vat_rate_percent": "0"}
    response = await _open(client, _path(await _issued(tenant, lines=[line])))
    assert "<script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


async def test_the_page_speaks_the_invoice_locale(
    tenant: Tenant, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    invoice = await _issued(tenant)
    async with transaction(engine, write=True) as connection:
        await connection.execute(update(invoices).where(invoices.c.id == invoice["id"]).values(locale="de"))
    response = await _open(client, _path(invoice))
    assert "Zahlbetrag" in response.text  # documents.texts, as the PDF says it
    assert "120,00" in response.text
    assert '<html lang="de">' in response.text


async def test_the_first_open_marks_the_invoice_read_with_one_event_and_later_opens_change_nothing(
    tenant: Tenant, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    invoice = await _issued(tenant)
    assert invoice["is_read"] is False
    assert (await _open(client, _path(invoice))).status_code == 200
    after_first = (await tenant.get(f"/invoices/{invoice['id']}")).json()["data"]
    assert after_first["is_read"] is True
    assert await _viewed(engine, tenant, invoice["id"]) == ["invoice.viewed"]
    for _ in range(3):
        assert (await _open(client, _path(invoice))).status_code == 200
    again = (await tenant.get(f"/invoices/{invoice['id']}")).json()["data"]
    assert again["version"] == after_first["version"]
    assert await _viewed(engine, tenant, invoice["id"]) == ["invoice.viewed"]
    (event,) = [e for e in await stored_events(engine, tenant.id, invoice["id"]) if e["type"] == "invoice.viewed"]
    assert (event["from_status"], event["to_status"], event["actor"]) == ("issued", "issued", "hosted_page")


async def test_twenty_concurrent_first_opens_write_exactly_one_viewed_event(
    tenant: Tenant, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    invoice = await _issued(tenant)
    responses = await all_at_once([_open(client, _path(invoice)) for _ in range(FIRST_OPENS)])
    assert [response.status_code for response in responses] == [200] * FIRST_OPENS
    assert await _viewed(engine, tenant, invoice["id"]) == ["invoice.viewed"]
    events = await stored_events(engine, tenant.id, invoice["id"])
    assert [event["sequence"] for event in events] == list(range(1, len(events) + 1))


async def test_rotated_draft_deleted_and_random_tokens_get_the_same_404(
    tenant: Tenant, client: httpx.AsyncClient, engine: AsyncEngine
) -> None:
    rotated = await _issued(tenant)
    assert (await tenant.post(f"/invoices/{rotated['id']}/rotate-link")).status_code == 200
    # A draft never gets a token; one written onto a draft (and onto a deleted draft) still opens nothing.
    draft = await tenant.create_draft()
    await _set_token(engine, draft["id"], "d" * 43)
    deleted = await tenant.create_draft()
    await _set_token(engine, deleted["id"], "x" * 43)
    assert (await tenant.request("DELETE", f"/invoices/{deleted['id']}")).status_code == 200
    paths = [_path(rotated), "/i/" + "d" * 43, "/i/" + "x" * 43, "/i/" + "r" * 43, "/i/short", "/i/" + "%00" * 3]
    answers = [await _open(client, path) for path in paths]
    assert {answer.status_code for answer in answers} == {404}
    assert len({answer.content for answer in answers}) == 1
    assert all(answer.headers["cache-control"] == "private, no-store" for answer in answers)
    assert all(answer.headers["referrer-policy"] == "no-referrer" for answer in answers)
    assert (await tenant.get(f"/invoices/{draft['id']}")).json()["data"]["is_read"] is False


async def test_another_tenant_s_token_opens_only_its_own_invoice(
    tenant: Tenant, other_tenant: Tenant, client: httpx.AsyncClient
) -> None:
    mine, theirs = await _issued(tenant), await _issued(other_tenant)
    assert mine["document_number"] in (await _open(client, _path(mine))).text
    page = (await _open(client, _path(theirs))).text
    assert theirs["document_number"] in page
    assert "Tenant B" in page
    assert "Tenant A" not in page


async def test_on_postgresql_only_the_lookup_function_sees_an_invoice_before_its_tenant_is_known(
    tenant: Tenant, app_engine: AsyncEngine, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("row-level security is PostgreSQL's; SQLite has the application's filter only")
    invoice = await _issued(tenant)
    token = _path(invoice).removeprefix("/i/")
    async with transaction(app_engine, write=False) as connection:
        direct = await connection.execute(text("SELECT count(*) FROM invoices WHERE hosted_token = :t"), {"t": token})
        assert direct.scalar_one() == 0
        found = await connection.execute(text("SELECT * FROM invoicing_invoice_by_hosted_token(:t)"), {"t": token})
        assert [tuple(row) for row in found] == [(tenant.id, invoice["id"])]
        # The function's own setting ends with it: the role still sees no invoice afterwards.
        again = await connection.execute(text("SELECT count(*) FROM invoices"))
        assert again.scalar_one() == 0
