"""The outbox's write side (issue 13, "Outbox"): every event writes its message in the change's
own transaction, with the subject as the primary API shows it; a change that rolls back writes
none; `send` queues one e-mail, and an idempotent replay of it none."""

import json

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.core.context import TenantContext
from invoicing.core.db import set_tenant, transaction
from invoicing.invoices import actions
from tests.conftest import Tenant
from tests.highlevel_support import new_location, send_body
from tests.outbox.lifecycle_script import run_lifecycle
from tests.outbox.support import event_types_of, messages_of


class Rollback(Exception):
    pass


async def test_every_event_of_a_lifecycle_has_one_message_in_order(engine: AsyncEngine, tenant: Tenant) -> None:
    scripted = await run_lifecycle(tenant)
    webhooks = [message for message in await messages_of(engine, tenant) if message["kind"] == "webhook"]
    invoice_events = {
        invoice_id: await event_types_of(engine, tenant, "invoice", invoice_id) for invoice_id in scripted.invoice_ids
    }
    for invoice_id, types in invoice_events.items():
        messages = [m for m in webhooks if m["subject_type"] == "invoice" and m["subject_id"] == invoice_id]
        assert [m["event_type"] for m in messages] == types
    (credit_note_id,) = scripted.credit_note_ids
    credit_types = await event_types_of(engine, tenant, "credit_note", credit_note_id)
    messages = [m for m in webhooks if m["subject_type"] == "credit_note"]
    assert [m["event_type"] for m in messages] == credit_types
    assert len({m["public_id"] for m in webhooks}) == len(webhooks)
    assert sum(len(types) for types in invoice_events.values()) + len(credit_types) == len(webhooks)


async def test_the_payload_is_type_timestamp_and_the_subject_as_get_shows_it(
    engine: AsyncEngine, tenant: Tenant
) -> None:
    scripted = await run_lifecycle(tenant)
    invoice_id = scripted.invoice_ids[0]
    webhooks = [m for m in await messages_of(engine, tenant) if m["kind"] == "webhook"]
    last = [m for m in webhooks if m["subject_type"] == "invoice" and m["subject_id"] == invoice_id][-1]
    payload = json.loads(last["payload"])
    assert set(payload) == {"type", "timestamp", "data"}
    assert payload["type"] == last["event_type"]
    assert payload["timestamp"].endswith("Z")
    shown = (await tenant.get(f"/invoices/{invoice_id}")).json()["data"]
    assert payload["data"] == shown
    (credit_note_id,) = scripted.credit_note_ids
    credit = [m for m in webhooks if m["subject_type"] == "credit_note"][-1]
    assert json.loads(credit["payload"])["data"] == (await tenant.get(f"/credit-notes/{credit_note_id}")).json()["data"]


async def test_a_deleted_draft_is_told_as_it_was_left(engine: AsyncEngine, tenant: Tenant) -> None:
    scripted = await run_lifecycle(tenant)
    deleted_id = scripted.invoice_ids[1]
    [message] = [
        m
        for m in await messages_of(engine, tenant)
        if m["subject_id"] == deleted_id and m["event_type"] == "invoice.deleted"
    ]
    data = json.loads(message["payload"])["data"]
    assert data["id"] == deleted_id
    assert data["status"] == "deleted"


async def test_a_refused_change_writes_no_message(engine: AsyncEngine, tenant: Tenant) -> None:
    draft = await tenant.create_draft()
    before = await messages_of(engine, tenant)
    response = await tenant.post(f"/invoices/{draft['id']}/cancel", json={"id": draft["id"]})
    assert response.status_code == 409
    assert await messages_of(engine, tenant) == before


async def test_a_change_that_rolls_back_after_its_event_leaves_no_message(
    engine: AsyncEngine, app_engine: AsyncEngine, tenant: Tenant
) -> None:
    issued = await tenant.issue((await tenant.create_draft())["id"])
    before = await messages_of(engine, tenant)

    async def cancel_then_fail() -> None:
        async with transaction(app_engine, write=True) as connection:
            await set_tenant(connection, tenant.id)
            await actions.cancel_invoice(TenantContext(connection, tenant.id, "test"), int(issued["id"]))
            raise Rollback

    with pytest.raises(Rollback):
        await cancel_then_fail()
    assert await messages_of(engine, tenant) == before
    assert (await tenant.get(f"/invoices/{issued['id']}")).json()["data"]["status"] == "issued"


async def test_an_event_written_outside_a_transaction_is_refused_not_lost(
    app_engine: AsyncEngine, tenant: Tenant
) -> None:
    issued = await tenant.issue((await tenant.create_draft())["id"])
    async with app_engine.connect() as connection, connection.begin():
        await set_tenant(connection, tenant.id)
        context = TenantContext(connection, tenant.id, "test")
        with pytest.raises(RuntimeError, match=r"not inside invoicing\.core\.db\.transaction"):
            await actions.cancel_invoice(context, int(issued["id"]))


async def test_send_queues_one_email_and_its_idempotent_replay_none(engine: AsyncEngine, tenant: Tenant) -> None:
    draft = await tenant.create_draft()
    key = {"Idempotency-Key": "send-once-" + str(draft["id"])}
    first = await tenant.post(f"/invoices/{draft['id']}/send", headers=key)
    replay = await tenant.post(f"/invoices/{draft['id']}/send", headers=key)
    assert first.status_code == replay.status_code == 200
    assert replay.headers.get("Idempotent-Replayed") == "true"
    emails = [m for m in await messages_of(engine, tenant) if m["kind"] == "email"]
    assert [json.loads(m["payload"]) for m in emails] == [{"invoice_id": draft["id"]}]
    again = await tenant.post(f"/invoices/{draft['id']}/send")  # a new request: sent again, on purpose
    assert again.status_code == 200
    assert len([m for m in await messages_of(engine, tenant) if m["kind"] == "email"]) == 2


@pytest.mark.parametrize(
    ("action", "live_mode", "emailed"),
    [
        ("email", True, True),
        ("sms_and_email", True, True),
        ("sms", True, False),
        ("send_manually", True, False),
        ("email", False, False),
    ],
)
async def test_highlevel_send_emails_when_highlevel_would(
    engine: AsyncEngine, tenant: Tenant, action: str, live_mode: bool, emailed: bool
) -> None:
    location = await new_location(engine, tenant.client)
    created = await location.create()
    body = {**send_body(location.alt_id), "action": action, "liveMode": live_mode}
    response = await location.request("POST", f"/invoices/{created['_id']}/send", json=body)
    assert response.status_code == 200, response.text
    emails = [m for m in await messages_of(engine, location.tenant) if m["kind"] == "email"]
    assert len(emails) == (1 if emailed else 0)
