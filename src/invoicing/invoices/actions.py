"""The lifecycle actions of seeds 000-004, one short function each (lago's order).

not found and refusals happen in `lock_for`; each function then says only what its action
writes. Statuses come from the lifecycle table, never from here.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from invoicing.core.clock import utc_now
from invoicing.core.context import TenantContext
from invoicing.invoices.lifecycle import Action, InvoiceFacts, Status
from invoicing.invoices.service import issuing_values
from invoicing.invoices.transitions import InvoiceView, apply, lock_for, unchanged
from invoicing.outbox.messages import queue_email


async def send_invoice(context: TenantContext, invoice_id: int, *, email: bool = True) -> InvoiceView:
    """Stamps `sent_at`; a draft is issued first (numbered), in the same change and event; with
    `email`, the invoice's e-mail to its receiver goes out through the outbox once this commits.

    Pre: draft, issued, partially_paid or paid (else 409 invoice_not_sendable).
    """
    locked = await lock_for(context, invoice_id, Action.SEND)
    now = utc_now()
    values = {"sent_at": now}
    if locked.facts.status is Status.DRAFT:
        values |= await issuing_values(context, locked, at=now)
    data = {"document_number": values["document_number"]} if "document_number" in values else None
    sent = await apply(context, locked, Action.SEND, at=now, values=values, data=data)
    if email:
        await queue_email(context, invoice_id, at=now)
    return sent


def cancel_values(facts: InvoiceFacts, now: datetime) -> dict[str, Any]:
    return {"cancelled_from": facts.status.value, "cancelled_at": now}


def revert_cancel_values(facts: InvoiceFacts, now: datetime) -> dict[str, Any]:
    return {"cancelled_from": None, "cancelled_at": None}


async def cancel_invoice(context: TenantContext, invoice_id: int) -> InvoiceView:
    """Cancels, keeping the prior state for a revert. Pre: issued or partially_paid."""
    locked = await lock_for(context, invoice_id, Action.CANCEL)
    now = utc_now()
    return await apply(context, locked, Action.CANCEL, at=now, values=cancel_values(locked.facts, now))


async def revert_cancel(context: TenantContext, invoice_id: int) -> InvoiceView:
    """Back to the state kept at cancel; the amount due follows from the recorded payments."""
    locked = await lock_for(context, invoice_id, Action.REVERT_CANCEL)
    now = utc_now()
    return await apply(context, locked, Action.REVERT_CANCEL, at=now, values=revert_cancel_values(locked.facts, now))


# What each action the hot path takes writes besides its status (invoicing.hotpath.router): the
# same functions as above, so both paths write the same change.
HOT_ACTIONS: dict[Action, Callable[[InvoiceFacts, datetime], dict[str, Any]]] = {
    Action.CANCEL: cancel_values,
    Action.REVERT_CANCEL: revert_cancel_values,
}


async def void_invoice(context: TenantContext, invoice_id: int) -> InvoiceView:
    """Final. Pre: issued or cancelled, with no payment recorded; the number stays taken."""
    locked = await lock_for(context, invoice_id, Action.VOID)
    now = utc_now()
    values = {"voided_at": now, "cancelled_from": None}
    return await apply(context, locked, Action.VOID, at=now, values=values)


async def delete_draft(context: TenantContext, invoice_id: int) -> InvoiceView:
    """Pre: a draft. Afterwards it answers 404 everywhere, but its row and events stay stored."""
    locked = await lock_for(context, invoice_id, Action.DELETE)
    now = utc_now()
    return await apply(context, locked, Action.DELETE, at=now, values={"deleted_at": now})


async def archive_invoice(context: TenantContext, invoice_id: int) -> InvoiceView:
    """Idempotent: an archived invoice is returned as it is, with no event."""
    locked = await lock_for(context, invoice_id, Action.ARCHIVE)
    if locked.invoice["is_archived"]:
        return await unchanged(locked)
    now = utc_now()
    return await apply(context, locked, Action.ARCHIVE, at=now, values={"is_archived": True, "archived_at": now})


async def unarchive_invoice(context: TenantContext, invoice_id: int) -> InvoiceView:
    """Idempotent: an invoice that is not archived is returned as it is, with no event."""
    locked = await lock_for(context, invoice_id, Action.UNARCHIVE)
    if not locked.invoice["is_archived"]:
        return await unchanged(locked)
    now = utc_now()
    return await apply(context, locked, Action.UNARCHIVE, at=now, values={"is_archived": False, "archived_at": None})
