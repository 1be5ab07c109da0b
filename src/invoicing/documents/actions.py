"""What clients do to an invoice's documents: mark it printed, rotate its hosted link.

Neither changes the invoice's status, so neither is in the lifecycle table (SPEC 3's, which
`available_actions` shows on every surface); both take the same path as a lifecycle action
otherwise: lock -> If-Match -> state check -> conditional claim -> one event, in the caller's
transaction.
"""

from collections.abc import Mapping
from typing import Any

from invoicing.core.clock import utc_now
from invoicing.core.context import TenantContext
from invoicing.core.errors import Conflict
from invoicing.documents.errors import InvoiceNotIssued
from invoicing.documents.links import new_hosted_token
from invoicing.events.repository import PendingEvent
from invoicing.invoices.lifecycle import Status
from invoicing.invoices.transitions import InvoiceView, Locked, lock, unchanged


async def mark_printed(context: TenantContext, invoice_id: int) -> InvoiceView:
    """Sets `is_printed` with one `invoice.printed` event; idempotent: once printed, later calls
    change nothing and write no event. Pre: not a draft (else 409 invoice_not_issued)."""
    locked = await _lock_issued(context, invoice_id)
    if locked.invoice["is_printed"]:
        return await unchanged(locked)
    return await record_change(context, locked, "invoice.printed", {"is_printed": True})


async def rotate_link(context: TenantContext, invoice_id: int) -> InvoiceView:
    """A new hosted token: the old link answers 404 from now on. One `invoice.link_rotated`
    event (without either token: events are readable by every client of the tenant).
    Pre: not a draft (else 409 invoice_not_issued)."""
    locked = await _lock_issued(context, invoice_id)
    return await record_change(context, locked, "invoice.link_rotated", {"hosted_token": new_hosted_token()})


async def _lock_issued(context: TenantContext, invoice_id: int) -> Locked:
    locked = await lock(context, invoice_id)
    if locked.facts.status is Status.DRAFT:
        raise InvoiceNotIssued(locked.facts.status.value)
    return locked


async def record_change(
    context: TenantContext,
    locked: Locked,
    event_type: str,
    values: Mapping[str, Any],
    *,
    data: Mapping[str, Any] | None = None,
) -> InvoiceView:
    """One event of `event_type` (with `data`) and `values` set, keeping the status, through the
    repository's claim (which bumps the version). Pre: `locked` under this transaction."""
    now = utc_now()
    status = locked.facts.status.value
    event = PendingEvent(
        type=event_type,
        from_status=status,
        actor=context.actor,
        request_id=context.request_id,
        at=now,
        data=dict(data) if data is not None else None,
    )
    invoice_id = locked.invoice["id"]
    changed = await locked.repository.claim(
        invoice_id,
        from_statuses=[status],
        expected_version=locked.invoice["version"],
        event=event,
        updated_at=now,
        **values,
    )
    if changed is None:  # under the row lock this cannot happen; the second wall if it ever is bypassed
        raise Conflict("The invoice changed concurrently; retry.", code="invoice_changed_concurrently")
    lines = (await locked.repository.lines_for([invoice_id]))[invoice_id]
    return InvoiceView(invoice=changed, customer=locked.row.customer, lines=lines)
