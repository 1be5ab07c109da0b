"""Credit notes: one short function per action, in lago's order.

not found -> input -> lock (the invoice, then the credit note: always in that order, so two
actions never wait on each other in a cycle) -> guard -> change -> events, all in the caller's
transaction. The invoice's lock makes every credit, refund and allocation against it take turns,
so limits checked under it hold against concurrent requests; numbers come from the series
counter in the same transaction, so they stay gapless.
"""

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import RowMapping

from invoicing.core.clock import utc_now
from invoicing.core.conditional import PreconditionFailed, entity_tag
from invoicing.core.context import TenantContext
from invoicing.core.errors import Unprocessable
from invoicing.core.render import money_text
from invoicing.core.repository import Record
from invoicing.credit_notes.lifecycle import (
    CREDIT_NOTE_LIFECYCLE,
    CreditNoteAction,
    CreditNoteFacts,
    CreditNoteNotFound,
    CreditNoteRefused,
    CreditNoteStatus,
    guard,
)
from invoicing.credit_notes.money import CreditedTotals, PricedCredit, price_credit_lines, split_credit
from invoicing.credit_notes.repository import CreditNoteRepository
from invoicing.credit_notes.schemas import (
    AllocationCreate,
    CreditByAmount,
    CreditByQuantity,
    CreditLineIn,
    CreditNoteCreate,
    FreeCreditLine,
)
from invoicing.currencies.catalog import Currency, find_currency
from invoicing.customers.service import get_customer
from invoicing.events.repository import PendingEvent
from invoicing.invoices.lifecycle import Action, InvoiceFacts, Status, amount_due, next_status
from invoicing.invoices.money import ZERO, round_money
from invoicing.invoices.repository import InvoiceRepository, InvoiceRow
from invoicing.invoices.transitions import InvoiceView, Locked, apply, facts_of, load, lock_for
from invoicing.series.repository import SeriesRepository
from invoicing.series.service import SeriesKind, format_document_number
from invoicing.tenants.repository import TenantRepository


@dataclass(frozen=True, slots=True)
class CreditNoteView:
    note: RowMapping
    lines: list[RowMapping]


@dataclass(frozen=True, slots=True)
class Credited:
    """A credit note as changed, and the invoice it changed (None while it is a draft)."""

    credit_note: CreditNoteView
    invoice: InvoiceView | None


@dataclass(frozen=True, slots=True)
class Allocated:
    allocation: Record  # with its note's public id and number, as allocations_to reads them
    credit_note: CreditNoteView
    invoice: InvoiceView


class InvalidCreditNote(Unprocessable):
    code = "invalid_credit_note"


def facts_of_note(note: RowMapping) -> CreditNoteFacts:
    return CreditNoteFacts(
        status=CreditNoteStatus(note["status"]),
        amount_refunded=note["amount_refunded"],
        amount_allocated=note["amount_allocated"],
    )


async def create_credit_note(context: TenantContext, invoice_id: int, data: CreditNoteCreate) -> Credited:
    """A draft credit note against an issued, partly paid or paid invoice; issued at once with `issue`.

    Pre: the invoice may be credited (409 invoice_not_creditable / invoice_fully_credited); lines
    within what is left of the invoice's lines and payable (422 credit_exceeds_line /
    credit_exceeds_invoice). If-Match, when sent, is the invoice's ETag.
    """
    locked = await lock_for(context, invoice_id, Action.CREDIT)
    currency = _currency(locked.invoice)
    priced = await _priced(context, locked, data.lines, currency)
    refund_amount = _refund_amount(data, currency)
    series = await _series(context, data.series_name)
    now = utc_now()
    repository = CreditNoteRepository(context.connection, context.tenant_id)
    zero = round_money(ZERO, currency.quantum)
    note = await repository.insert(
        invoice_id=invoice_id,
        # The invoice it corrects, as its documents cite it (BT-25, BT-26).
        invoice_number=locked.invoice["document_number"],
        invoice_issue_date=locked.invoice["issue_date"],
        customer_id=locked.invoice["customer_id"],
        series_id=series["id"],
        series_name=series["name"],
        currency=currency.code,
        reason=data.reason,
        status=CreditNoteStatus.DRAFT.value,
        amount_tax_exclusive=priced.tax_exclusive,
        amount_tax_total=priced.tax_total,
        amount_total=priced.total,
        amount_reducing_due=zero,
        amount_refunded=zero,
        amount_kept_as_credit=zero,
        amount_allocated=zero,
        refund_amount=refund_amount,
        refund_method=data.refund.method if data.refund else None,
        refund_reference=data.refund.reference if data.refund else None,
        refunded_at=data.refund.refunded_at if data.refund else None,
        version=1,
        created_at=now,
        updated_at=now,
    )
    await repository.insert_lines(note["id"], priced.rows)
    await repository.append_event(note, _event(context, "credit_note.created", None, now))
    if data.issue:
        return await _issue(context, locked, note, priced, at=now)
    return Credited(credit_note=await _view(repository, note), invoice=None)


async def issue_credit_note(context: TenantContext, credit_note_id: int) -> Credited:
    """Numbers a draft and applies it to its invoice. Pre: a draft (409 credit_note_not_draft),
    whose lines still fit what is left of the invoice (they are priced again: another note may
    have been issued since the draft was made). If-Match, when sent, is the credit note's ETag."""
    locked, note = await _lock_note(context, credit_note_id, Action.CREDIT, CreditNoteAction.ISSUE)
    repository = CreditNoteRepository(context.connection, context.tenant_id)
    stored = (await repository.lines_for([credit_note_id]))[credit_note_id]
    priced = await _priced(context, locked, [_line_request(row) for row in stored], _currency(locked.invoice))
    await repository.replace_lines(credit_note_id, priced.rows)
    return await _issue(context, locked, note, priced, at=utc_now())


async def void_credit_note(context: TenantContext, credit_note_id: int) -> Credited:
    """Voids an issued note: it keeps its number and its effect on the invoice is undone.

    Pre: issued, nothing of it refunded (409 credit_note_refunded) or applied to another invoice
    (409 credit_note_applied). If-Match, when sent, is the credit note's ETag.
    """
    locked, note = await _lock_note(context, credit_note_id, Action.VOID_CREDIT_NOTE, CreditNoteAction.VOID)
    now = utc_now()
    voided = await _claim(context, note, CreditNoteAction.VOID, at=now, values={"voided_at": now})
    before = locked.facts
    after = replace(
        before,
        amount_credited=before.amount_credited - note["amount_total"],
        amount_kept_as_credit=before.amount_kept_as_credit - note["amount_kept_as_credit"],
    )
    data = {"credit_note_id": note["id"], "document_number": note["document_number"]}
    invoice = await _change_invoice(context, locked, Action.VOID_CREDIT_NOTE, after, at=now, data=data)
    repository = CreditNoteRepository(context.connection, context.tenant_id)
    return Credited(credit_note=await _view(repository, voided), invoice=invoice)


async def delete_draft_credit_note(context: TenantContext, credit_note_id: int) -> CreditNoteView:
    """Deletes a draft (it never had a number). Pre: a draft (409 credit_note_not_draft)."""
    repository = CreditNoteRepository(context.connection, context.tenant_id)
    note = await _load_note(repository, credit_note_id, for_update=True)
    _check_if_match(context, note)
    guard(CreditNoteAction.DELETE, facts_of_note(note))
    now = utc_now()
    deleted = await _claim(context, note, CreditNoteAction.DELETE, at=now, values={"deleted_at": now})
    return await _view(repository, deleted)


async def allocate_credit(context: TenantContext, invoice_id: int, data: AllocationCreate) -> Allocated:
    """Applies customer credit kept by one credit note to another open invoice of the same
    customer and currency, which it settles like a payment.

    Pre: the invoice is payable (409 invoice_not_payable); the note is issued with that much
    credit left (422 credit_not_available / allocation_exceeds_credit); the amount is at most
    the amount due (422 allocation_exceeds_due). If-Match, when sent, is the invoice's ETag.
    """
    locked = await lock_for(context, invoice_id, Action.APPLY_CREDIT)
    repository = CreditNoteRepository(context.connection, context.tenant_id)
    note = await repository.get(data.credit_note_id, for_update=True)
    _check_allocation(locked, note, data)
    assert note is not None
    now = utc_now()
    allocation = await repository.insert_allocation(
        credit_note_id=note["id"], invoice_id=invoice_id, amount=data.amount, actor=context.actor, created_at=now
    )
    applied = await _claim(
        context,
        note,
        None,
        at=now,
        values={"amount_allocated": note["amount_allocated"] + data.amount},
        event_type="credit_note.credit_applied",
        data={"invoice_id": invoice_id, "allocation_id": allocation["id"], "amount": _money(data.amount, note)},
    )
    after = replace(locked.facts, amount_credit_applied=locked.facts.amount_credit_applied + data.amount)
    event_data = {"credit_note_id": note["id"], "allocation_id": allocation["id"], "amount": _money(data.amount, note)}
    invoice = await _change_invoice(context, locked, Action.APPLY_CREDIT, after, at=now, data=event_data)
    shown = {**allocation, "credit_note_public_id": note["public_id"], "credit_note_number": note["document_number"]}
    return Allocated(allocation=shown, credit_note=await _view(repository, applied), invoice=invoice)


async def get_credit_note(context: TenantContext, credit_note_id: int) -> CreditNoteView:
    repository = CreditNoteRepository(context.connection, context.tenant_id)
    return await _view(repository, await _load_note(repository, credit_note_id))


async def credit_note_as_changed(context: TenantContext, credit_note_id: int) -> CreditNoteView:
    """The credit note as this transaction left it, a deleted draft included (its webhook's data)."""
    repository = CreditNoteRepository(context.connection, context.tenant_id)
    note = await repository.get(credit_note_id, include_deleted=True)
    if note is None:
        raise CreditNoteNotFound("Credit note not found.")
    return await _view(repository, note)


async def list_credit_notes(
    context: TenantContext,
    *,
    invoice_id: int | None = None,
    customer_id: int | None = None,
    status: str | None = None,
    after_id: int | None,
    limit: int,
) -> list[CreditNoteView]:
    """Newest first, `limit + 1` at most (the extra one says another page exists)."""
    repository = CreditNoteRepository(context.connection, context.tenant_id)
    if invoice_id is not None:
        await load_invoice(context, invoice_id)
    rows = await repository.page(
        invoice_id=invoice_id, customer_id=customer_id, status=status, after_id=after_id, limit=limit + 1
    )
    lines = await repository.lines_for([row["id"] for row in rows])
    return [CreditNoteView(note=row, lines=lines[row["id"]]) for row in rows]


async def list_credit_note_events(context: TenantContext, credit_note_id: int) -> list[RowMapping]:
    repository = CreditNoteRepository(context.connection, context.tenant_id)
    await _load_note(repository, credit_note_id)
    return await repository.events_for(credit_note_id)


async def allocations_to(context: TenantContext, invoice_ids: list[int]) -> dict[int, list[RowMapping]]:
    """The customer credit each invoice received, oldest first (FlowPayroll's appliedCredits)."""
    return await CreditNoteRepository(context.connection, context.tenant_id).allocations_to(invoice_ids)


async def credited_totals(context: TenantContext, invoice_ids: list[int]) -> dict[int, CreditedTotals]:
    """What each invoice's live credit notes credit in all, before discount, discount and tax
    (HighLevel's totalSummary of a credited invoice); zeros for an invoice without any."""
    return await CreditNoteRepository(context.connection, context.tenant_id).credited_totals(invoice_ids)


async def list_allocations(context: TenantContext, invoice_id: int) -> list[RowMapping]:
    await load_invoice(context, invoice_id)
    return (await allocations_to(context, [invoice_id]))[invoice_id]


async def credit_balance(context: TenantContext, customer_id: int) -> list[tuple[str, Decimal, Decimal]]:
    """Per currency: credit kept by the customer's issued notes, and how much of it was applied.
    Raises CustomerNotFound."""
    await get_customer(context.connection, tenant_id=context.tenant_id, customer_id=customer_id)
    return await CreditNoteRepository(context.connection, context.tenant_id).balances_of(customer_id)


async def load_invoice(context: TenantContext, invoice_id: int) -> InvoiceRow:
    return await load(InvoiceRepository(context.connection, context.tenant_id), invoice_id)


# -- helpers ----------------------------------------------------------------------------------


async def _issue(
    context: TenantContext, locked: Locked, note: RowMapping, priced: PricedCredit, *, at: datetime
) -> Credited:
    """Numbers `note` and applies it to the locked invoice: the credit comes off the amount due
    first; of the rest, the requested refund is paid back and the remainder kept as credit."""
    facts = locked.facts
    currency = _currency(locked.invoice)
    refund = note["refund_amount"] or ZERO
    split = split_credit(
        priced.total,
        amount_due=amount_due(facts),
        refund=refund,
        refundable=facts.amount_paid - facts.amount_refunded,
    )
    issue_date = await _issue_date(context, locked.invoice)
    sequence = await SeriesRepository(context.connection, context.tenant_id).next_number(
        note["series_id"], issue_date.year
    )
    number = format_document_number(note["series_name"], issue_date.year, sequence)
    quantum = currency.quantum
    issued = await _claim(
        context,
        note,
        CreditNoteAction.ISSUE,
        at=at,
        values={
            "document_number": number,
            "number_year": issue_date.year,
            "number_sequence": sequence,
            "issue_date": issue_date,
            "issued_at": at,
            "amount_tax_exclusive": priced.tax_exclusive,
            "amount_tax_total": priced.tax_total,
            "amount_total": priced.total,
            "amount_reducing_due": round_money(split.reducing_due, quantum),
            "amount_refunded": round_money(split.refunded, quantum),
            "amount_kept_as_credit": round_money(split.kept_as_credit, quantum),
            "refunded_at": (note["refunded_at"] or at) if split.refunded > 0 else None,
            # The parties and language of the invoice it corrects (EU VAT directive art. 219).
            "seller": locked.invoice["seller"],
            "buyer": locked.invoice["buyer"],
            "locale": locked.invoice["locale"],
        },
        data={"document_number": number, "amount_total": money_text(priced.total, quantum)},
    )
    after = replace(
        facts,
        amount_credited=facts.amount_credited + priced.total,
        amount_refunded=facts.amount_refunded + split.refunded,
        amount_kept_as_credit=facts.amount_kept_as_credit + split.kept_as_credit,
    )
    credited_data = {
        "credit_note_id": note["id"],
        "document_number": number,
        "amount": money_text(priced.total, quantum),
        "amount_reducing_due": money_text(split.reducing_due, quantum),
        "amount_refunded": money_text(split.refunded, quantum),
        "amount_kept_as_credit": money_text(split.kept_as_credit, quantum),
    }
    invoice = await _change_invoice(context, locked, Action.CREDIT, after, at=at, data=credited_data)
    if split.refunded > 0:
        # The refund is its own change of the invoice (and its own event); its sums were written
        # with the credit above, so the invoice is never seen with the credit and not the refund.
        refunded_data = {
            "credit_note_id": note["id"],
            "amount": money_text(split.refunded, quantum),
            "method": note["refund_method"],
            "reference": note["refund_reference"],
        }
        relocked = Locked(
            repository=locked.repository,
            row=InvoiceRow(invoice=cast(RowMapping, invoice.invoice), customer=locked.row.customer),
            facts=facts_of(invoice.invoice),
        )
        invoice = await apply(context, relocked, Action.REFUND, at=at, values={}, data=refunded_data)
    repository = CreditNoteRepository(context.connection, context.tenant_id)
    return Credited(credit_note=await _view(repository, issued), invoice=invoice)


async def _change_invoice(
    context: TenantContext,
    locked: Locked,
    action: Action,
    after: InvoiceFacts,
    *,
    at: datetime,
    data: dict[str, Any],
) -> InvoiceView:
    """The invoice's sums as `after` says, the status the table gives, and `paid_at` kept true:
    stamped when nothing is left due, cleared when something is due again."""
    values: dict[str, Any] = {
        "amount_credited": after.amount_credited,
        "amount_refunded": after.amount_refunded,
        "amount_kept_as_credit": after.amount_kept_as_credit,
        "amount_credit_applied": after.amount_credit_applied,
    }
    status = next_status(action, after)
    if status is Status.PAID and locked.facts.status is not Status.PAID:
        values["paid_at"] = at
    elif status is not Status.PAID and locked.facts.status is Status.PAID:
        values["paid_at"] = None
    return await apply(context, locked, action, at=at, values=values, facts_after=after, data=data)


async def _lock_note(
    context: TenantContext, credit_note_id: int, invoice_action: Action, action: CreditNoteAction
) -> tuple[Locked, RowMapping]:
    """The note's invoice locked and guarded for `invoice_action`, then the note locked, its
    If-Match checked and guarded for `action`. Raises CreditNoteNotFound first if it is missing."""
    repository = CreditNoteRepository(context.connection, context.tenant_id)
    unlocked = await _load_note(repository, credit_note_id)
    # The precondition names the credit note, not the invoice: the invoice is locked without it.
    locked = await lock_for(replace(context, if_match=None), unlocked["invoice_id"], invoice_action)
    note = await _load_note(repository, credit_note_id, for_update=True)
    _check_if_match(context, note)
    guard(action, facts_of_note(note))
    return locked, note


async def _load_note(repository: CreditNoteRepository, credit_note_id: int, *, for_update: bool = False) -> RowMapping:
    note = await repository.get(credit_note_id, for_update=for_update)
    if note is None:
        raise CreditNoteNotFound("Credit note not found.")
    return note


def _check_if_match(context: TenantContext, note: RowMapping) -> None:
    current_tag = entity_tag(note["version"])
    if context.if_match is not None and not context.if_match.matches(current_tag):
        raise PreconditionFailed(
            "The credit note has changed since the ETag in If-Match was read.", extra={"current_etag": current_tag}
        )


async def _claim(
    context: TenantContext,
    note: RowMapping,
    action: CreditNoteAction | None,
    *,
    at: datetime,
    values: dict[str, Any],
    event_type: str | None = None,
    data: dict[str, Any] | None = None,
) -> RowMapping:
    """Writes `values` (and the action's target status) if the note is still as read, plus its event."""
    repository = CreditNoteRepository(context.connection, context.tenant_id)
    status = CREDIT_NOTE_LIFECYCLE[action].target.value if action else note["status"]
    changed = await repository.claim(
        note["id"],
        from_status=note["status"],
        expected_version=note["version"],
        status=status,
        updated_at=at,
        **values,
    )
    if changed is None:  # under the row lock this cannot happen; the second wall if it is bypassed
        raise CreditNoteRefused(
            action or CreditNoteAction.ISSUE, "credit_note_changed_concurrently", CreditNoteStatus(note["status"])
        )
    event = event_type or (CREDIT_NOTE_LIFECYCLE[action].event_type if action else None)
    assert event is not None, "a change that is not a lifecycle action names its event"
    await repository.append_event(changed, _event(context, event, note["status"], at, data))
    return changed


def _event(
    context: TenantContext, event_type: str, from_status: str | None, at: datetime, data: dict[str, Any] | None = None
) -> PendingEvent:
    return PendingEvent(
        type=event_type, from_status=from_status, actor=context.actor, request_id=context.request_id, at=at, data=data
    )


async def _priced(
    context: TenantContext, locked: Locked, lines: list[CreditLineIn], currency: Currency
) -> PricedCredit:
    repository = CreditNoteRepository(context.connection, context.tenant_id)
    invoice_id = locked.invoice["id"]
    invoice_lines = (await locked.repository.lines_for([invoice_id]))[invoice_id]
    priced = price_credit_lines(
        lines,
        invoice_lines={line["id"]: line for line in invoice_lines},
        credited=await repository.credited_by_line(invoice_id),
        currency=currency,
    )
    _refuse_empty(priced)
    _refuse_beyond_payable(locked.facts, priced.total, currency)
    return priced


async def _series(context: TenantContext, name: str | None) -> RowMapping:
    repository = SeriesRepository(context.connection, context.tenant_id)
    series = await (repository.by_name(name) if name else repository.default(SeriesKind.CREDIT_NOTE.value))
    if series is None or series["kind"] != SeriesKind.CREDIT_NOTE.value:
        message = (
            f"The series {name} does not exist or does not number credit notes."
            if name
            else "The tenant has no default credit-note series."
        )
        raise Unprocessable.field("series_name", message, code="unknown_series")
    return series


def _refuse_empty(priced: PricedCredit) -> None:
    if priced.total <= 0:
        raise Unprocessable.field("lines", "A credit note must credit more than zero.", code="credit_note_empty")


def _refuse_beyond_payable(facts: InvoiceFacts, total: Decimal, currency: Currency) -> None:
    left = facts.amount_payable - facts.amount_credited
    if total > left:
        message = f"Only {left} {currency.code} of the invoice is left to credit; these lines credit {total}."
        raise Unprocessable(
            "The credit exceeds the invoice.", code="credit_exceeds_invoice", errors={"lines": [message]}
        )


def _refund_amount(data: CreditNoteCreate, currency: Currency) -> Decimal | None:
    if data.refund is None:
        return None
    amount = data.refund.amount
    if amount != round_money(amount, currency.quantum):
        message = f"{currency.code} amounts have {currency.minor_units} decimal places at most."
        raise Unprocessable.field("refund.amount", message, code="invalid_amount")
    return round_money(amount, currency.quantum)


def _check_allocation(locked: Locked, note: RowMapping | None, data: AllocationCreate) -> None:
    invoice = locked.invoice
    if note is None or note["status"] != CreditNoteStatus.ISSUED.value:
        message = f"Credit note {data.credit_note_id} is not an issued credit note of the tenant."
        raise Unprocessable.field("credit_note_id", message, code="credit_not_available")
    if note["customer_id"] != invoice["customer_id"]:
        message = "The credit note's credit belongs to another customer."
        raise Unprocessable.field("credit_note_id", message, code="credit_customer_mismatch")
    if note["currency"] != invoice["currency"]:
        message = f"The credit is in {note['currency']}; the invoice is in {invoice['currency']}."
        raise Unprocessable.field("credit_note_id", message, code="credit_currency_mismatch")
    currency = _currency(invoice)
    if data.amount != round_money(data.amount, currency.quantum):
        message = f"{currency.code} amounts have {currency.minor_units} decimal places at most."
        raise Unprocessable.field("amount", message, code="invalid_amount")
    available = note["amount_kept_as_credit"] - note["amount_allocated"]
    if data.amount > available:
        message = f"The credit note has {available} {currency.code} of credit left."
        raise Unprocessable(
            "The allocation exceeds the credit.", code="allocation_exceeds_credit", errors={"amount": [message]}
        )
    due = amount_due(locked.facts)
    if data.amount > due:
        message = f"The amount exceeds the amount due ({due} {currency.code})."
        raise Unprocessable(
            "The allocation exceeds the amount due.", code="allocation_exceeds_due", errors={"amount": [message]}
        )


def _line_request(row: RowMapping) -> CreditLineIn:
    """A stored draft line as the request that made it, to price it again at issue."""
    if row["credited_by"] == "quantity":
        return CreditByQuantity(invoice_line_id=row["invoice_line_id"], quantity=row["quantity"])
    if row["credited_by"] == "amount":
        return CreditByAmount(invoice_line_id=row["invoice_line_id"], amount=row["amount_net"])
    return FreeCreditLine(
        name=row["name"],
        quantity=row["quantity"],
        unit_price=row["unit_price"],
        vat_rate_percent=row["vat_rate_percent"],
        tax_category=row["tax_category"],
        tax_exemption_reason_code=row["tax_exemption_reason_code"],
        tax_exemption_reason=row["tax_exemption_reason"],
        unit_code=row["unit_code"],
    )


async def _issue_date(context: TenantContext, invoice: Record) -> date:
    """Today in the tenant's zone, never before the invoice it corrects."""
    tenant = await TenantRepository(context.connection).get(context.tenant_id)
    assert tenant is not None, "the context's tenant exists"
    today = datetime.now(ZoneInfo(tenant["timezone"])).date()
    return max(today, invoice["issue_date"]) if invoice["issue_date"] else today


async def _view(repository: CreditNoteRepository, note: RowMapping) -> CreditNoteView:
    lines = (await repository.lines_for([note["id"]]))[note["id"]]
    return CreditNoteView(note=note, lines=lines)


def _currency(row: Record) -> Currency:
    currency = find_currency(row["currency"])
    assert currency is not None, "stored currencies come from the catalogue"
    return currency


def _money(amount: Decimal, note: RowMapping) -> str:
    return money_text(amount, _currency(note).quantum)
