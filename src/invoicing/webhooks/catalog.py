"""Every event type the service emits, each with one line saying when: what an endpoint's
`event_types` filter may name, and what `GET /api/v1/webhook-event-types` lists.

The lifecycle tables declare most types; the rest are written by the services that record them
(creation, documents, the hosted page, e-mail). Those are named here rather than imported, so
this module stays free of the services (which will write outbox messages and may import it);
tests/webhooks/test_catalog.py finds every event type literal in the sources and fails when one
is missing here.
"""

from collections.abc import Mapping

from invoicing.credit_notes.lifecycle import CREDIT_NOTE_LIFECYCLE
from invoicing.invoices.lifecycle import LIFECYCLE

DESCRIPTIONS: Mapping[str, str] = {
    "credit.applied": "Credit from a credit note was applied to the invoice, like a payment.",
    "credit_note.created": "A credit note was drafted (or created and issued at once) against an issued invoice.",
    "credit_note.credit_applied": "Part of an issued credit note's credit was applied to another invoice.",
    "credit_note.deleted": "A draft credit note was deleted.",
    "credit_note.issued": "A credit note was issued under its gapless number.",
    "credit_note.voided": "An issued credit note was voided; what it credited is due again.",
    "invoice.archived": "The invoice was archived (hidden from default lists; nothing else changes).",
    "invoice.cancel_reverted": "A cancelled invoice was restored to the state it was cancelled from.",
    "invoice.cancelled": "The invoice was cancelled.",
    "invoice.created": "A draft invoice was created.",
    "invoice.credit_voided": "One of the invoice's credit notes was voided; its amount is due again.",
    "invoice.credited": "A credit note was issued against the invoice; what it credits comes off the amount due.",
    "invoice.deleted": "A draft invoice was deleted.",
    "invoice.email_delivered": "The invoice e-mail was accepted by the mail server (or written as an .eml file).",
    "invoice.email_failed": "The invoice e-mail could not be delivered; the event says why.",
    "invoice.issued": "The invoice was issued under its gapless number.",
    "invoice.link_rotated": "The invoice's hosted link was replaced; the old one no longer works.",
    "invoice.payment_recorded": "A payment was recorded against the invoice.",
    "invoice.printed": "The invoice was marked as printed.",
    "invoice.refunded": "Part of a credit beyond the amount due was paid back to the customer.",
    "invoice.sent": "The invoice was sent to its customer (issuing it first if it was a draft).",
    "invoice.unarchived": "The invoice was taken out of the archive.",
    "invoice.updated": "A draft invoice was changed.",
    "invoice.viewed": "The customer opened the invoice's hosted page for the first time.",
    "invoice.voided": "An issued invoice was voided.",
}

# Recorded by services outside the lifecycle tables: invoices.service (created),
# credit_notes.service (created, credit_applied), documents.actions (printed, link_rotated),
# documents.hosted.service (viewed), mail.service (email_delivered, email_failed).
RECORDED_ELSEWHERE = frozenset(
    {
        "invoice.created",
        "invoice.printed",
        "invoice.link_rotated",
        "invoice.viewed",
        "invoice.email_delivered",
        "invoice.email_failed",
        "credit_note.created",
        "credit_note.credit_applied",
    }
)

_EMITTED = (
    {transition.event_type for transition in LIFECYCLE.values()}
    | {transition.event_type for transition in CREDIT_NOTE_LIFECYCLE.values()}
    | RECORDED_ELSEWHERE
)
if set(DESCRIPTIONS) != _EMITTED:
    raise RuntimeError(
        "webhooks.catalog.DESCRIPTIONS must describe exactly the emitted event types: "
        f"missing {sorted(_EMITTED - set(DESCRIPTIONS))}, not emitted {sorted(set(DESCRIPTIONS) - _EMITTED)}"
    )

# Sorted by type; `type in EVENT_TYPES` and iterating give the types, the values describe them.
EVENT_TYPES: Mapping[str, str] = {event_type: DESCRIPTIONS[event_type] for event_type in sorted(_EMITTED)}
