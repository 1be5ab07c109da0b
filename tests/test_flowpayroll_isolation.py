"""Probes for what the caller may not see answer exactly as ids that never existed (SPEC 7):
another tenant's client or invoice, another client's invoice, a malformed id. Same status, same
body; and nothing changes."""

from collections.abc import Awaitable, Callable

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import Tenant, rows_of
from tests.flowpayroll_support import FlowPayroll, billed, never_used_id

Call = Callable[[FlowPayroll, str, str], Awaitable[httpx.Response]]

CALLS: dict[str, Call] = {
    "void": lambda flowpayroll, client_id, invoice_id: flowpayroll.void(client_id, invoice_id),
    "get": lambda flowpayroll, client_id, invoice_id: flowpayroll.get_invoice(client_id, invoice_id),
    "line items": lambda flowpayroll, client_id, invoice_id: flowpayroll.line_items(client_id, invoice_id),
}

INVOICE_NOT_FOUND = {
    "content": None,
    "metadata": {"dateFormat": "yyyy-MM-dd", "dateTimeFormat": "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"},
    "errors": [
        {
            "field": "invoiceId",
            "reasonText": "No invoice with this id exists for this client.",
            "reasonId": "invoice_not_found",
            "reasonParameters": [],
        }
    ],
    "message": {"text": "The requested resource was not found.", "textId": "not_found", "textParameters": []},
}


@pytest.mark.parametrize("call", list(CALLS))
async def test_another_tenants_invoice_answers_as_a_missing_one_and_stays_unchanged(
    engine: AsyncEngine, tenant: Tenant, other_tenant: Tenant, call: str
) -> None:
    theirs = await billed(other_tenant)
    before = await rows_of(engine, other_tenant.id)
    me = FlowPayroll.of(tenant)
    probe = await CALLS[call](me, theirs.client_id, theirs.public_id)
    missing = await CALLS[call](me, never_used_id(), never_used_id())
    assert (probe.status_code, probe.json()) == (missing.status_code, missing.json()) == (404, INVOICE_NOT_FOUND)
    assert probe.content == missing.content
    assert await rows_of(engine, other_tenant.id) == before
    # The same ids are real for their owner: it was the tenant that decided the answer.
    assert (await CALLS[call](FlowPayroll.of(other_tenant), theirs.client_id, theirs.public_id)).status_code == 200


@pytest.mark.parametrize("call", list(CALLS))
async def test_another_clients_invoice_answers_as_a_missing_one_and_stays_unchanged(
    engine: AsyncEngine, tenant: Tenant, call: str
) -> None:
    invoice = await billed(tenant)
    someone_else = await tenant.create_customer(first_name="Other")
    before = await rows_of(engine, tenant.id)
    flowpayroll = FlowPayroll.of(tenant)
    probe = await CALLS[call](flowpayroll, someone_else["public_id"], invoice.public_id)
    missing = await CALLS[call](flowpayroll, someone_else["public_id"], never_used_id())
    assert (probe.status_code, probe.content) == (missing.status_code, missing.content)
    assert probe.json() == INVOICE_NOT_FOUND
    assert await rows_of(engine, tenant.id) == before
    assert (await CALLS[call](flowpayroll, invoice.client_id, invoice.public_id)).status_code == 200


@pytest.mark.parametrize("bad_id", ["not-an-id", "ABCDEF0123456789ABCDEF01", "%00" * 3, "1"])
async def test_malformed_ids_answer_as_missing_ones(tenant: Tenant, bad_id: str) -> None:
    invoice = await billed(tenant)
    flowpayroll = FlowPayroll.of(tenant)
    for client_id, invoice_id in ((bad_id, invoice.public_id), (invoice.client_id, bad_id)):
        response = await flowpayroll.get_invoice(client_id, invoice_id)
        assert (response.status_code, response.json()) == (404, INVOICE_NOT_FOUND)


async def test_a_draft_deleted_through_the_primary_api_is_not_found_here(tenant: Tenant) -> None:
    invoice = await billed(tenant, issue=False)
    assert (await tenant.request("DELETE", f"/invoices/{invoice.id}")).status_code == 200
    response = await FlowPayroll.of(tenant).void(invoice.client_id, invoice.public_id)
    assert (response.status_code, response.json()) == (404, INVOICE_NOT_FOUND)


async def test_another_tenants_client_list_answers_as_a_missing_client(tenant: Tenant, other_tenant: Tenant) -> None:
    theirs = await billed(other_tenant)
    me = FlowPayroll.of(tenant)
    probe = await me.client_invoices(theirs.client_id)
    missing = await me.client_invoices(never_used_id())
    assert (probe.status_code, probe.content) == (missing.status_code, missing.content)
    assert probe.status_code == 404
    assert [(error["field"], error["reasonId"]) for error in probe.json()["errors"]] == [
        ("clientId", "client_not_found")
    ]
    assert (await FlowPayroll.of(other_tenant).client_invoices(theirs.client_id)).status_code == 200


async def test_an_unknown_path_under_the_mount_is_a_404_in_the_flowpayroll_envelope(tenant: Tenant) -> None:
    response = await tenant.client.get("/flowpayroll/v1/billing/no-such-thing", headers={"X-Auth-Token": tenant.token})
    assert response.status_code == 404
    body = response.json()
    assert body["content"] is None
    assert body["errors"][0]["reasonId"] == "endpoint_not_found"
