"""The one path every lifecycle change takes: lock -> guard -> conditional claim -> one event.

Service functions call `lock_for` (not found and lifecycle refusals happen there) and then
`apply` with the values their action sets. `apply` asks the lifecycle table for the next status,
writes the change only if the invoice is still at the version the guard saw, and appends the
change's single event in the same transaction.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, NoReturn

from sqlalchemy import RowMapping

from invoicing.core.conditional import PreconditionFailed, entity_tag
from invoicing.core.context import TenantContext
from invoicing.core.db import after_commit
from invoicing.core.repository import Record
from invoicing.events.repository import EventRepository, PendingEvent
from invoicing.invoices.lifecycle import (
    LIFECYCLE,
    Action,
    InvoiceFacts,
    InvoiceNotFound,
    LifecycleRefused,
    Status,
    guard,
    next_status,
)
from invoicing.invoices.repository import InvoiceRepository, InvoiceRow, with_search_key
from invoicing.operations import metrics


@dataclass(frozen=True, slots=True)
class InvoiceView:
    """An invoice as read: header, customer and lines.

    List pages read no line unless asked to (`lines` is then empty): the dialects' lists read
    only each line's amounts, in `line_amounts`, for the totals and counts their DTOs carry.
    """

    invoice: Record
    customer: Record | None
    lines: list[RowMapping]
    line_amounts: list[RowMapping] | None = None

    @property
    def summed_lines(self) -> list[RowMapping]:
        """What totals by rate and line counts are made of: the lines' amounts if only they were read."""
        return self.line_amounts if self.line_amounts is not None else self.lines


@dataclass(frozen=True, slots=True)
class Locked:
    """An invoice locked for this transaction and cleared by the guard for one action."""

    repository: InvoiceRepository
    row: InvoiceRow
    facts: InvoiceFacts

    @property
    def invoice(self) -> Record:
        return self.row.invoice


def facts_of(invoice: Record) -> InvoiceFacts:
    cancelled_from = invoice["cancelled_from"]
    return InvoiceFacts(
        status=Status(invoice["status"]),
        amount_payable=invoice["amount_payable"],
        amount_paid=invoice["amount_paid"],
        cancelled_from=Status(cancelled_from) if cancelled_from else None,
        amount_credited=invoice["amount_credited"],
        amount_refunded=invoice["amount_refunded"],
        amount_kept_as_credit=invoice["amount_kept_as_credit"],
        amount_credit_applied=invoice["amount_credit_applied"],
    )


async def load(repository: InvoiceRepository, invoice_id: int, *, for_update: bool = False) -> InvoiceRow:
    row = await repository.get(invoice_id, for_update=for_update)
    if row is None:
        raise InvoiceNotFound("Invoice not found.")
    return row


async def lock_for(context: TenantContext, invoice_id: int, action: Action) -> Locked:
    """Raises InvoiceNotFound (missing, deleted or another tenant's), PreconditionFailed (a stale
    If-Match: the precondition is judged before the method, RFC 9110), or LifecycleRefused.

    The row lock (PostgreSQL) or the write lock (SQLite, BEGIN IMMEDIATE) makes concurrent
    actions on one invoice take turns, so each is guarded against the state it will change.
    """
    locked = await lock(context, invoice_id)
    guard(action, locked.facts)
    return locked


async def lock(context: TenantContext, invoice_id: int) -> Locked:
    """`lock_for` without the lifecycle guard, for changes the lifecycle table does not cover
    (the documents' printed flag and hosted link, which guard themselves)."""
    repository = InvoiceRepository(context.connection, context.tenant_id)
    row = await load(repository, invoice_id, for_update=True)
    current_tag = entity_tag(row.invoice["version"])
    if context.if_match is not None and not context.if_match.matches(current_tag):
        raise PreconditionFailed(
            "The invoice has changed since the ETag in If-Match was read.", extra={"current_etag": current_tag}
        )
    return Locked(repository=repository, row=row, facts=facts_of(row.invoice))


async def apply(
    context: TenantContext,
    locked: Locked,
    action: Action,
    *,
    at: datetime,
    values: Mapping[str, Any],
    facts_after: InvoiceFacts | None = None,
    data: Mapping[str, Any] | None = None,
) -> InvoiceView:
    """Writes `values` and the status the table gives, plus one event. Pre: `lock_for(action)`.

    `facts_after` is what the table decides on when the change itself moves the facts (a
    payment raises `amount_paid` before the status is chosen).
    """
    status = next_status(action, facts_after or locked.facts)
    invoice_id = locked.invoice["id"]
    event = PendingEvent(
        type=LIFECYCLE[action].event_type,
        from_status=locked.facts.status.value,
        actor=context.actor,
        request_id=context.request_id,
        at=at,
        data=data,
    )
    changed = await locked.repository.claim(
        invoice_id,
        from_statuses=[locked.facts.status.value],
        expected_version=locked.invoice["version"],
        event=event,
        status=status.value,
        updated_at=at,
        **with_search_key(locked.invoice, values),
    )
    if changed is None:
        await _refuse_after_race(locked.repository, invoice_id, action)
    # Counted once the request's transaction commits: a transition rolled back never happened.
    after_commit(context.connection, partial(metrics.count_transition, action.value))
    lines = (await locked.repository.lines_for([invoice_id]))[invoice_id]
    return InvoiceView(invoice=changed, customer=locked.row.customer, lines=lines)


async def record(
    context: TenantContext,
    invoice: Record,
    event_type: str,
    *,
    from_status: str | None,
    at: datetime,
    data: Mapping[str, Any] | None = None,
) -> None:
    """The change's one event; its sequence is the invoice's new version."""
    event = PendingEvent(
        type=event_type, from_status=from_status, actor=context.actor, request_id=context.request_id, at=at, data=data
    )
    await EventRepository(context.connection, context.tenant_id).append_for(invoice, event)


async def unchanged(locked: Locked) -> InvoiceView:
    """The view of an invoice an idempotent action found already as asked."""
    invoice_id = locked.invoice["id"]
    lines = (await locked.repository.lines_for([invoice_id]))[invoice_id]
    return InvoiceView(invoice=locked.invoice, customer=locked.row.customer, lines=lines)


async def _refuse_after_race(repository: InvoiceRepository, invoice_id: int, action: Action) -> NoReturn:
    """The claim found the invoice moved on since the guard: refuse as its state now says.

    Under the row lock this cannot happen; it is the second wall if a lock is ever bypassed.
    """
    current = await load(repository, invoice_id)
    guard(action, facts_of(current.invoice))
    raise LifecycleRefused(action, "invoice_changed_concurrently", Status(current.invoice["status"]))
