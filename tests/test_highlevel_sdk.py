"""ACCEPTANCE 1 (HighLevel): the official Python SDK (`gohighlevel-api-client`, `import highlevel`)
drives a live `invoicing serve` with only its base URL and token changed.

The SDK sends `Version: v3`, its own `GHL-SDK-Version` header, and raises `GHLError` (with the
status and HighLevel's message) for any 4xx; the refusals are checked through it.
"""

import asyncio
import secrets
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from highlevel import GHLError, HighLevel
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import Tenant, new_tenant
from tests.highlevel_support import create_body, event_types, item, message, payment_body, send_body
from tests.test_seed_curls import _start_server, _stop


@pytest.fixture(scope="module")
async def live_base_url(
    database_url: str, engine: AsyncEngine, client: httpx.AsyncClient, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    probe = await new_tenant(engine, client, name="SDK probe")
    directory = tmp_path_factory.mktemp("highlevel-live-server")
    process, base_url = await asyncio.to_thread(_start_server, database_url, directory, probe.headers)
    try:
        yield base_url
    finally:
        await asyncio.to_thread(_stop, process)


@pytest.fixture
async def sdk_location(
    live_base_url: str, engine: AsyncEngine, client: httpx.AsyncClient
) -> AsyncIterator[tuple[HighLevel, Tenant]]:
    tenant = await new_tenant(engine, client, name="SDK location", currency="USD")
    ghl = HighLevel(private_integration_token=tenant.token)
    ghl.http_client.base_url = f"{live_base_url}/highlevel"  # the one change a HighLevel client makes
    try:
        yield ghl, tenant
    finally:
        await ghl.close()


async def _refusal(call: Any) -> GHLError:
    with pytest.raises(GHLError) as raised:
        await call
    return raised.value


async def test_the_official_sdk_runs_the_whole_lifecycle(
    sdk_location: tuple[HighLevel, Tenant], engine: AsyncEngine
) -> None:
    ghl, tenant = sdk_location
    alt_id = tenant.public_id
    created = await ghl.invoices.create_invoice(create_body(alt_id))  # type: ignore[arg-type]
    invoice_id = created["_id"]
    assert (created["status"], created["altId"], created["total"]) == ("draft", alt_id, 2199.98)

    listed = await ghl.invoices.list_invoices(alt_id=alt_id, alt_type="location", limit="10", offset="0")
    assert [invoice["_id"] for invoice in listed["invoices"]] == [invoice_id]
    assert listed["total"] == 1

    got = await ghl.invoices.get_invoice(invoice_id, alt_id, "location")
    assert got["totalSummary"] == {"subTotal": 1999.98, "discount": 0, "tax": 200}

    update = {**create_body(alt_id), "invoiceItems": [item(qty=1)], "name": "Renamed"}
    updated = await ghl.invoices.update_invoice(invoice_id, update)  # type: ignore[arg-type]
    assert (updated["name"], updated["total"]) == ("Renamed", 1099.99)

    sent = await ghl.invoices.send_invoice(invoice_id, send_body(alt_id))  # type: ignore[arg-type]
    assert sent["invoice"]["status"] == "sent"
    assert sent["invoice"]["invoiceNumber"] == 1

    paid = await ghl.invoices.record_invoice(
        invoice_id, payment_body(alt_id, amount=99.99, fulfilledAt="2026-01-06T10:00:00.000Z")
    )  # type: ignore[arg-type]
    assert (paid["success"], paid["invoice"]["status"], paid["invoice"]["amountDue"]) == (True, "partially_paid", 1000)

    refused = await _refusal(ghl.invoices.void_invoice(invoice_id, {"altId": alt_id, "altType": "location"}))  # type: ignore[arg-type]
    assert (refused.status_code, refused.message) == (400, "Can not void an invoice which has recorded payments")
    assert await event_types(engine, invoice_id) == [
        "invoice.created",
        "invoice.updated",
        "invoice.sent",
        "invoice.payment_recorded",
    ]


async def test_the_official_sdk_voids_and_deletes_and_sees_the_refusals(sdk_location: tuple[HighLevel, Tenant]) -> None:
    ghl, tenant = sdk_location
    alt = {"altId": tenant.public_id, "altType": "location"}
    draft = (await ghl.invoices.create_invoice(create_body(tenant.public_id)))["_id"]  # type: ignore[arg-type]

    refused = await _refusal(ghl.invoices.void_invoice(draft, alt))  # type: ignore[arg-type]
    assert (refused.status_code, refused.message) == (400, message("void_draft"))
    assert refused.response == {"statusCode": 400, "message": message("void_draft")}

    deleted = await ghl.invoices.delete_invoice(draft, tenant.public_id, "location")
    assert deleted["_id"] == draft
    gone = await _refusal(ghl.invoices.get_invoice(draft, tenant.public_id, "location"))
    assert (gone.status_code, gone.message) == (400, message("unknown_invoice"))

    sent = (await ghl.invoices.create_invoice(create_body(tenant.public_id)))["_id"]  # type: ignore[arg-type]
    await ghl.invoices.send_invoice(sent, send_body(tenant.public_id))  # type: ignore[arg-type]
    not_draft = await _refusal(ghl.invoices.delete_invoice(sent, tenant.public_id, "location"))
    assert (not_draft.status_code, not_draft.message) == (400, message("delete_not_draft"))
    voided = await ghl.invoices.void_invoice(sent, alt)  # type: ignore[arg-type]
    assert voided["status"] == "void"

    missing = await _refusal(ghl.invoices.delete_invoice(secrets.token_hex(12), tenant.public_id, "location"))
    assert (missing.status_code, missing.message) == (400, message("unknown_invoice"))
    invalid = await _refusal(ghl.invoices.create_invoice({**create_body(tenant.public_id), "items": [item(qty=-1)]}))  # type: ignore[arg-type]
    assert invalid.status_code == 422
    assert "items[0].qty" in invalid.message


async def test_the_sdk_with_a_bad_token_gets_highlevels_401(live_base_url: str) -> None:
    ghl = HighLevel(private_integration_token="not-a-token")
    ghl.http_client.base_url = f"{live_base_url}/highlevel"
    try:
        refused = await _refusal(ghl.invoices.get_invoice(secrets.token_hex(12), secrets.token_hex(12), "location"))
    finally:
        await ghl.close()
    assert (refused.status_code, refused.message) == (401, message("invalid_token"))
    assert refused.response["error"] == "Unauthorized"
