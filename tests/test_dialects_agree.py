"""Issue 5, acceptance 3: one invoice, three dialects, one truth.

An action taken through any dialect reads back the same through the other two, and writes
exactly one event, whatever dialect it came through: the dialects are adapters over the same
services, with no state of their own.
"""

from typing import Any

import pytest

from tests.conftest import Tenant
from tests.flowpayroll_support import FlowPayroll, billed
from tests.highlevel_support import VERSION, send_body

# How each dialect names the service's statuses (SPEC 6 and 7; docs/highlevel.md, docs/flowpayroll.md).
HIGHLEVEL_STATUS = {"issued": "sent", "cancelled": "void", "void": "void", "paid": "paid", "draft": "draft"}
FLOWPAYROLL_STATUS = {"issued": "Issued", "cancelled": "Voided", "void": "Voided", "paid": "Paid", "draft": "Draft"}


async def statuses(tenant: Tenant, invoice_id: int, public_id: str, client_id: str) -> dict[str, Any]:
    primary = await tenant.get(f"/invoices/{invoice_id}")
    highlevel = await tenant.client.get(
        f"/highlevel/invoices/{public_id}",
        params={"altId": tenant.public_id, "altType": "location"},
        headers={"Authorization": f"Bearer {tenant.token}", "Version": VERSION},
    )
    flowpayroll = await FlowPayroll.of(tenant).get_invoice(client_id, public_id)
    for response in (primary, highlevel, flowpayroll):
        assert response.status_code == 200, response.text
    return {
        "primary": primary.json()["data"]["status"],
        "highlevel": highlevel.json()["status"],
        "flowpayroll": flowpayroll.json()["content"]["data"]["status"],
    }


async def event_count(tenant: Tenant, invoice_id: int) -> int:
    return len((await tenant.get(f"/invoices/{invoice_id}/events")).json()["data"])


def seen_as(status: str) -> dict[str, str]:
    return {"primary": status, "highlevel": HIGHLEVEL_STATUS[status], "flowpayroll": FLOWPAYROLL_STATUS[status]}


async def test_a_void_through_flowpayroll_shows_as_void_in_highlevel_and_the_primary_api(tenant: Tenant) -> None:
    invoice = await billed(tenant)
    assert await statuses(tenant, invoice.id, invoice.public_id, invoice.client_id) == seen_as("issued")
    events_before = await event_count(tenant, invoice.id)

    response = await FlowPayroll.of(tenant).void(invoice.client_id, invoice.public_id)

    assert response.status_code == 200, response.text
    assert await statuses(tenant, invoice.id, invoice.public_id, invoice.client_id) == seen_as("void")
    events = (await tenant.get(f"/invoices/{invoice.id}/events")).json()["data"]
    assert len(events) == events_before + 1
    assert (events[-1]["type"], events[-1]["from_status"], events[-1]["to_status"]) == (
        "invoice.voided",
        "issued",
        "void",
    )


async def test_a_cancel_through_the_primary_api_is_void_to_both_vendors_and_its_revert_restores_them(
    tenant: Tenant,
) -> None:
    invoice = await billed(tenant)
    cancelled = await tenant.post(f"/invoices/{invoice.id}/cancel", json={"id": invoice.id})
    assert cancelled.status_code == 200, cancelled.text
    assert await statuses(tenant, invoice.id, invoice.public_id, invoice.client_id) == seen_as("cancelled")

    reverted = await tenant.post(f"/invoices/{invoice.id}/revert-cancel", json={"id": invoice.id})
    assert reverted.status_code == 200, reverted.text
    assert await statuses(tenant, invoice.id, invoice.public_id, invoice.client_id) == seen_as("issued")


@pytest.mark.parametrize("through", ["highlevel", "flowpayroll"])
async def test_a_refusal_in_a_vendor_dialect_changes_nothing_anywhere(tenant: Tenant, through: str) -> None:
    draft = await billed(tenant, issue=False)
    events_before = await event_count(tenant, draft.id)
    if through == "flowpayroll":
        response = await FlowPayroll.of(tenant).void(draft.client_id, draft.public_id)
    else:
        response = await tenant.client.post(
            f"/highlevel/invoices/{draft.public_id}/void",
            json={"altId": tenant.public_id, "altType": "location"},
            headers={"Authorization": f"Bearer {tenant.token}", "Version": VERSION},
        )
    assert response.status_code == 400, response.text  # a draft is deleted, never voided
    assert await statuses(tenant, draft.id, draft.public_id, draft.client_id) == seen_as("draft")
    assert await event_count(tenant, draft.id) == events_before


async def test_a_send_through_highlevel_numbers_the_draft_for_every_dialect_with_one_event(tenant: Tenant) -> None:
    draft = await billed(tenant, issue=False)
    events_before = await event_count(tenant, draft.id)

    response = await tenant.client.post(
        f"/highlevel/invoices/{draft.public_id}/send",
        json=send_body(tenant.public_id),
        headers={"Authorization": f"Bearer {tenant.token}", "Version": VERSION},
    )

    assert response.status_code == 200, response.text
    assert await statuses(tenant, draft.id, draft.public_id, draft.client_id) == seen_as("issued")
    primary = (await tenant.get(f"/invoices/{draft.id}")).json()["data"]
    assert primary["document_number"] is not None
    assert primary["sent_at"] is not None
    flowpayroll = (await FlowPayroll.of(tenant).get_invoice(draft.client_id, draft.public_id)).json()
    assert flowpayroll["content"]["data"]["invoiceNumber"] == primary["document_number"]
    assert await event_count(tenant, draft.id) == events_before + 1
