"""Writing outbox messages in the change's own transaction.

Every event a feature appends (an invoice's or a credit note's) is noted here as it is written;
just before the transaction commits, the noted events become outbox messages, each with its
Standard Webhooks payload `{type, timestamp, data}` rendered from the subject as the transaction
left it. So a change commits with its messages or not at all: a change without its notification,
or a notification of a change that rolled back, cannot happen. An e-mail to send is a message
too (`queue_email`), written at once.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.core.context import TenantContext
from invoicing.core.db import after_commit, before_commit, transaction_state
from invoicing.core.ids import new_public_id
from invoicing.core.render import timestamp
from invoicing.outbox.repository import OutboxRepository

WEBHOOK = "webhook"
EMAIL = "email"
EMAIL_EVENT_TYPE = "email"  # the event_type column of an e-mail message (no event type: not a webhook)
INVOICE = "invoice"  # what a message is about: its subject_type
CREDIT_NOTE = "credit_note"
_NOTED = "outbox_noted_events"
_OUTBOX_ACTOR = "outbox"

# Called (after commit) when new messages are written: in-process workers wake at once
# instead of at their next poll.
new_work_listeners: set[Callable[[], None]] = set()


@dataclass(frozen=True, slots=True)
class NotedEvent:
    tenant_id: int
    subject_type: str
    subject_id: int
    event_type: str
    at: datetime


def note_event(
    connection: AsyncConnection, tenant_id: int, subject_type: str, subject_id: int, event_type: str, at: datetime
) -> None:
    """Called by whatever appends an event: its webhook message is written before the commit."""
    noted: list[NotedEvent] = transaction_state(connection).local.setdefault(_NOTED, [])
    noted.append(NotedEvent(tenant_id, subject_type, subject_id, event_type, at))
    before_commit(connection, _NOTED, _write_noted_events)


async def queue_email(context: TenantContext, invoice_id: int, *, at: datetime) -> None:
    """The invoice's e-mail, to be sent by the worker once this transaction commits."""
    row = {
        "public_id": new_public_id(),
        "kind": EMAIL,
        "event_type": EMAIL_EVENT_TYPE,
        "subject_type": INVOICE,
        "subject_id": invoice_id,
        "payload": orjson.dumps({"invoice_id": invoice_id}).decode(),
        "created_at": at,
    }
    await OutboxRepository(context.connection, context.tenant_id).insert_messages([row])
    after_commit(context.connection, announce_new_work)


async def _write_noted_events(connection: AsyncConnection) -> None:
    # Imported here: the payloads use the features' services, and the features note their events here.
    from invoicing.outbox.payloads import render_subject

    noted: list[NotedEvent] = transaction_state(connection).local.pop(_NOTED, [])
    rendered: dict[tuple[int, str, int], object] = {}
    rows: dict[int, list[dict[str, object]]] = {}
    for event in noted:
        subject = (event.tenant_id, event.subject_type, event.subject_id)
        if subject not in rendered:  # several events of one subject in one change: the state it ends in
            context = TenantContext(connection, event.tenant_id, _OUTBOX_ACTOR)
            rendered[subject] = await render_subject(context, event.subject_type, event.subject_id)
        payload = {"type": event.event_type, "timestamp": timestamp(event.at), "data": rendered[subject]}
        rows.setdefault(event.tenant_id, []).append(
            {
                "public_id": new_public_id(),
                "kind": WEBHOOK,
                "event_type": event.event_type,
                "subject_type": event.subject_type,
                "subject_id": event.subject_id,
                "payload": orjson.dumps(payload).decode(),
                "created_at": event.at,
            }
        )
    for tenant_id, tenant_rows in rows.items():
        await OutboxRepository(connection, tenant_id).insert_messages(tenant_rows)
    after_commit(connection, announce_new_work)


def announce_new_work() -> None:
    """New messages were committed (by a change here or by the hot path's claim): wake the in-process workers."""
    for listener in list(new_work_listeners):
        listener()
