"""Voiding through the FlowPayroll dialect: the same action, event and refusals as the primary API,
in FlowPayroll's words (seed 004, SPEC 7)."""

from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.auth.scopes import INVOICES_READ
from invoicing.auth.service import create_token
from invoicing.core.db import transaction
from tests.conftest import Tenant, rows_of
from tests.flowpayroll_support import FlowPayroll, billed, events_of, exact_json, pay


async def test_voiding_an_issued_invoice_answers_with_it_voided_in_exact_amounts(tenant: Tenant) -> None:
    invoice = await billed(tenant)
    response = await FlowPayroll.of(tenant).void(invoice.client_id, invoice.public_id)
    assert response.status_code == 200, response.text
    data = exact_json(response)["content"]["data"]
    assert (data["id"], data["clientId"], data["organisationId"]) == (
        invoice.public_id,
        invoice.client_id,
        tenant.public_id,
    )
    assert (data["status"], data["lifecycleStatus"], data["invoiceNumber"]) == ("Voided", "void", invoice.number)
    # 3 x 100.00 + 40.00 at 20 %, 2 x 12.50 at 10 %: written digit for digit, as JSON numbers.
    assert (data["subTotal"], data["totalTax"], data["amount"]) == (
        Decimal("365.00"),
        Decimal("70.50"),
        Decimal("435.50"),
    )
    assert (data["balanceDue"], data["totalCreditAmount"]) == (Decimal("0.00"), Decimal("0.00"))
    assert '"amount":435.50,' in response.text
    assert data["availableActions"] == ["archive", "unarchive"]


async def test_a_void_writes_exactly_one_event_and_the_primary_api_shows_it_void(tenant: Tenant) -> None:
    invoice = await billed(tenant)
    before = await events_of(tenant, invoice)
    response = await FlowPayroll.of(tenant).void(invoice.client_id, invoice.public_id)
    assert response.status_code == 200, response.text
    added = (await events_of(tenant, invoice))[len(before) :]
    assert [(event["type"], event["from_status"], event["to_status"]) for event in added] == [
        ("invoice.voided", "issued", "void")
    ]
    assert added[0]["request_id"] == response.headers["x-request-id"]
    primary = (await tenant.get(f"/invoices/{invoice.id}")).json()["data"]
    assert (primary["status"], primary["amount_due"]) == ("void", "0.00")
    assert primary["voided_at"] is not None


async def test_a_cancelled_invoice_reads_voided_and_can_be_voided_for_good(tenant: Tenant) -> None:
    invoice = await billed(tenant)
    assert (await tenant.post(f"/invoices/{invoice.id}/cancel", json={"id": invoice.id})).status_code == 200
    flowpayroll = FlowPayroll.of(tenant)
    read = (await flowpayroll.get_invoice(invoice.client_id, invoice.public_id)).json()["content"]["data"]
    assert (read["status"], read["lifecycleStatus"]) == ("Voided", "cancelled")
    response = await flowpayroll.void(invoice.client_id, invoice.public_id)
    assert response.status_code == 200, response.text
    assert response.json()["content"]["data"]["lifecycleStatus"] == "void"
    assert (await tenant.get(f"/invoices/{invoice.id}")).json()["data"]["status"] == "void"


async def test_a_retry_with_the_same_idempotency_key_replays_the_void_without_a_second_event(tenant: Tenant) -> None:
    invoice = await billed(tenant)
    flowpayroll = FlowPayroll.of(tenant)
    first = await flowpayroll.void(invoice.client_id, invoice.public_id, **{"Idempotency-Key": "void-1"})
    again = await flowpayroll.void(invoice.client_id, invoice.public_id, **{"Idempotency-Key": "void-1"})
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    assert [event["type"] for event in await events_of(tenant, invoice)].count("invoice.voided") == 1


# -- refusals: 400 with errors[] and message, and nothing changed ------------------------------------

REFUSALS = {
    "invoice_is_draft": ("draft", "Draft", "A draft invoice cannot be voided; delete the draft instead."),
    "invoice_has_payments": ("paid", "Paid", "An invoice with recorded payments cannot be voided."),
    "invoice_already_void": ("void", "Voided", "The invoice is already voided."),
}


@pytest.mark.parametrize("reason_id", list(REFUSALS))
async def test_a_refused_void_is_a_400_rule_violation_that_changes_nothing(
    engine: AsyncEngine, tenant: Tenant, reason_id: str
) -> None:
    prior, status, text = REFUSALS[reason_id]
    invoice = await billed(tenant, issue=prior != "draft")
    flowpayroll = FlowPayroll.of(tenant)
    if prior == "paid":
        await pay(tenant, invoice, "435.50")
    if prior == "void":
        assert (await flowpayroll.void(invoice.client_id, invoice.public_id)).status_code == 200
    before = await rows_of(engine, tenant.id)
    response = await flowpayroll.void(invoice.client_id, invoice.public_id)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["content"] is None
    assert body["errors"] == [
        {
            "field": "status",
            "reasonText": text,
            "reasonId": reason_id,
            "reasonParameters": [
                {"key": "status", "value": status},
                {"key": "lifecycleStatus", "value": prior},
                {"key": "action", "value": "void"},
            ],
        }
    ]
    assert body["message"] == {
        "text": "The invoice's current state does not allow this action.",
        "textId": "rule_violation",
        "textParameters": [{"key": "action", "value": "void"}],
    }
    assert await rows_of(engine, tenant.id) == before


async def test_a_partly_paid_invoice_is_refused_for_its_payments(tenant: Tenant) -> None:
    invoice = await billed(tenant)
    await pay(tenant, invoice, "100.00")
    response = await FlowPayroll.of(tenant).void(invoice.client_id, invoice.public_id)
    assert response.status_code == 400, response.text
    reason = response.json()["errors"][0]
    assert reason["reasonId"] == "invoice_has_payments"
    assert {"key": "status", "value": "Issued"} in reason["reasonParameters"]
    assert (await tenant.get(f"/invoices/{invoice.id}")).json()["data"]["status"] == "partially_paid"


# -- authentication ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "reason_id"),
    [(None, "unauthenticated"), ("", "unauthenticated"), ("not-a-token", "invalid_token")],
)
async def test_a_missing_or_unknown_token_is_401_and_nothing_changes(
    engine: AsyncEngine, tenant: Tenant, token: str | None, reason_id: str
) -> None:
    invoice = await billed(tenant)
    before = await rows_of(engine, tenant.id)
    response = await FlowPayroll(tenant.client, token).void(invoice.client_id, invoice.public_id)
    assert response.status_code == 401, response.text
    body = response.json()
    assert [(error["field"], error["reasonId"]) for error in body["errors"]] == [("X-Auth-Token", reason_id)]
    assert body["message"]["textId"] == "unauthorized"
    assert await rows_of(engine, tenant.id) == before


async def test_a_bearer_token_is_not_how_flowpayroll_authenticates(tenant: Tenant) -> None:
    invoice = await billed(tenant)
    response = await tenant.client.post(
        f"/flowpayroll/v1/billing/invoices/{invoice.client_id}/{invoice.public_id}/void",
        headers={"Authorization": f"Bearer {tenant.token}"},
    )
    assert response.status_code == 401, response.text
    assert (await tenant.get(f"/invoices/{invoice.id}")).json()["data"]["status"] == "issued"


async def test_a_read_only_token_reads_but_may_not_void(engine: AsyncEngine, tenant: Tenant) -> None:
    invoice = await billed(tenant)
    async with transaction(engine, write=True) as connection:
        read_only = await create_token(connection, tenant_id=tenant.id, scopes=(INVOICES_READ,), expires_in=None)
    reader = FlowPayroll(tenant.client, read_only.token)
    assert (await reader.get_invoice(invoice.client_id, invoice.public_id)).status_code == 200
    response = await reader.void(invoice.client_id, invoice.public_id)
    assert response.status_code == 403, response.text
    assert response.json()["errors"][0]["reasonId"] == "insufficient_scope"
    assert (await tenant.get(f"/invoices/{invoice.id}")).json()["data"]["status"] == "issued"
