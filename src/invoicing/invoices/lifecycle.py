"""The invoice lifecycle as data (SPEC 3): one table, one guard.

Nothing outside this module decides a status. Services ask `guard(...)` whether an action may
run and `next_status(...)` where it leads; `available_actions(...)` reads the same table, so
what an invoice advertises can never disagree with what the service allows.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from enum import StrEnum

from invoicing.core.errors import Conflict, NotFound
from invoicing.invoices.money import MONEY_CONTEXT


class Status(StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    CANCELLED = "cancelled"
    VOID = "void"
    DELETED = "deleted"


class Action(StrEnum):
    UPDATE = "update"
    ISSUE = "issue"
    SEND = "send"
    RECORD_PAYMENT = "record_payment"
    CANCEL = "cancel"
    REVERT_CANCEL = "revert_cancel"
    VOID = "void"
    DELETE = "delete"
    ARCHIVE = "archive"
    UNARCHIVE = "unarchive"
    # Credit notes (credit_notes/): issuing one against the invoice, the refund it makes, voiding
    # one, and customer credit of another credit note applied to this invoice.
    CREDIT = "credit"
    REFUND = "refund"
    VOID_CREDIT_NOTE = "void_credit_note"
    APPLY_CREDIT = "apply_credit"


STATUS_LABELS: Mapping[Status, str] = {
    Status.DRAFT: "Draft",
    Status.ISSUED: "Issued",
    Status.PARTIALLY_PAID: "Partially paid",
    Status.PAID: "Paid",
    Status.CANCELLED: "Cancelled",
    Status.VOID: "Void",
    Status.DELETED: "Deleted",
}


# Statuses in which an invoice still waits for money: past its due date it is overdue. Overdue
# is a view of the dates, not a state of its own (nothing changes when a due date passes).
AWAITING_PAYMENT: frozenset[Status] = frozenset({Status.ISSUED, Status.PARTIALLY_PAID})
# Statuses in which an invoice bills its customer: issued and not cancelled or void. What totals
# of invoiced amounts count (the reports' revenue and top customers, the list's totals).
INVOICED: frozenset[Status] = AWAITING_PAYMENT | {Status.PAID}


def is_overdue(status: str, due_date: date | None, today: date) -> bool:
    return status in AWAITING_PAYMENT and due_date is not None and due_date < today


@dataclass(frozen=True, slots=True)
class InvoiceFacts:
    """What the table needs to know about one invoice, beyond its status."""

    status: Status
    amount_payable: Decimal = Decimal(0)
    amount_paid: Decimal = Decimal(0)
    cancelled_from: Status | None = None
    # Of the invoice's own live credit notes: their totals, and the parts refunded or kept as
    # customer credit (the rest reduced the amount due). Customer credit applied to it from others.
    amount_credited: Decimal = Decimal(0)
    amount_refunded: Decimal = Decimal(0)
    amount_kept_as_credit: Decimal = Decimal(0)
    amount_credit_applied: Decimal = Decimal(0)

    @property
    def has_payments(self) -> bool:
        """Payments, or customer credit applied, which settles an invoice like a payment."""
        return self.amount_paid > 0 or self.amount_credit_applied > 0

    @property
    def has_credit_notes(self) -> bool:
        return self.amount_credited > 0

    @property
    def fully_credited(self) -> bool:
        return self.amount_credited >= self.amount_payable

    @property
    def credited_against_due(self) -> Decimal:
        """What the credit notes took off the amount due: their totals less what went beyond it."""
        return self.amount_credited - self.amount_refunded - self.amount_kept_as_credit


# The invoice's columns `transitions.facts_of` reads, named as InvoiceFacts' fields: what a query
# selects to compute amount_due (or any other fact) from rows.
FACT_COLUMNS: tuple[str, ...] = tuple(field.name for field in fields(InvoiceFacts))


def _paid_state(facts: InvoiceFacts) -> Status:
    """After a payment: paid once nothing is due, else partially paid."""
    return Status.PAID if _open_amount(facts) <= 0 else Status.PARTIALLY_PAID


def _settled_state(facts: InvoiceFacts) -> Status:
    """Paid once nothing is due (by payments, credit notes or applied credit, in any mix);
    partially paid while something was paid or applied; issued otherwise."""
    if _open_amount(facts) <= 0:
        return Status.PAID
    return Status.PARTIALLY_PAID if facts.has_payments else Status.ISSUED


def _state_before_cancel(facts: InvoiceFacts) -> Status:
    return facts.cancelled_from or Status.ISSUED


def _sent_state(facts: InvoiceFacts) -> Status:
    return Status.ISSUED if facts.status is Status.DRAFT else facts.status


@dataclass(frozen=True, slots=True)
class Transition:
    allowed_from: frozenset[Status]
    event_type: str
    message: str  # what a client shows its user when the action succeeded
    refusal: str  # the stable code when the current state is not allowed
    refusal_by_state: Mapping[Status, str] = field(default_factory=dict)
    # Where the action leads: a fixed state, a function of the facts, or None (status unchanged).
    target: Status | Callable[[InvoiceFacts], Status] | None = None
    refused_with_payments: str | None = None
    refused_with_credit_notes: str | None = None
    refused_when_fully_credited: str | None = None
    # Whether `available_actions` lists it: actions that only happen inside another resource's
    # action (a credit note's refund or void) are in the table, but not called on the invoice.
    advertised: bool = True


_LIVE = frozenset(Status) - {Status.DELETED}
_PAYABLE = frozenset({Status.ISSUED, Status.PARTIALLY_PAID})
_CREDITABLE = frozenset({Status.ISSUED, Status.PARTIALLY_PAID, Status.PAID})

LIFECYCLE: Mapping[Action, Transition] = {
    Action.UPDATE: Transition(
        allowed_from=frozenset({Status.DRAFT}),
        event_type="invoice.updated",
        message="Invoice updated.",
        refusal="invoice_not_editable",
    ),
    Action.ISSUE: Transition(
        allowed_from=frozenset({Status.DRAFT}),
        event_type="invoice.issued",
        message="Invoice issued.",
        refusal="invoice_not_draft",
        target=Status.ISSUED,
    ),
    Action.SEND: Transition(
        allowed_from=frozenset({Status.DRAFT, Status.ISSUED, Status.PARTIALLY_PAID, Status.PAID}),
        event_type="invoice.sent",
        message="Invoice sent.",
        refusal="invoice_not_sendable",
        # A draft is issued first: it takes its number and becomes issued in the same change.
        target=_sent_state,
    ),
    Action.RECORD_PAYMENT: Transition(
        allowed_from=_PAYABLE,
        event_type="invoice.payment_recorded",
        message="Payment recorded.",
        refusal="invoice_not_payable",
        target=_paid_state,
    ),
    Action.CANCEL: Transition(
        allowed_from=_PAYABLE,
        event_type="invoice.cancelled",
        message="Invoice cancelled.",
        refusal="invoice_not_cancellable",
        refusal_by_state={Status.CANCELLED: "invoice_already_cancelled"},
        target=Status.CANCELLED,
        refused_with_credit_notes="invoice_has_credit_notes",
    ),
    Action.REVERT_CANCEL: Transition(
        allowed_from=frozenset({Status.CANCELLED}),
        event_type="invoice.cancel_reverted",
        message="Invoice cancellation reverted.",
        refusal="invoice_not_cancelled",
        target=_state_before_cancel,
    ),
    Action.VOID: Transition(
        allowed_from=frozenset({Status.ISSUED, Status.CANCELLED}),
        event_type="invoice.voided",
        message="Invoice voided.",
        refusal="invoice_has_payments",
        refusal_by_state={Status.VOID: "invoice_already_void", Status.DRAFT: "invoice_is_draft"},
        target=Status.VOID,
        refused_with_payments="invoice_has_payments",
        refused_with_credit_notes="invoice_has_credit_notes",
    ),
    Action.DELETE: Transition(
        allowed_from=frozenset({Status.DRAFT}),
        event_type="invoice.deleted",
        message="Draft invoice deleted.",
        refusal="invoice_not_draft",
        target=Status.DELETED,
    ),
    # Idempotent: allowed whatever the flag is; a call that changes nothing writes no event.
    Action.ARCHIVE: Transition(
        allowed_from=_LIVE, event_type="invoice.archived", message="Invoice archived.", refusal="invoice_not_found"
    ),
    Action.UNARCHIVE: Transition(
        allowed_from=_LIVE, event_type="invoice.unarchived", message="Invoice unarchived.", refusal="invoice_not_found"
    ),
    # Issuing a credit note against the invoice: what it credits comes off the amount due first.
    Action.CREDIT: Transition(
        allowed_from=_CREDITABLE,
        event_type="invoice.credited",
        message="Credit note issued.",
        refusal="invoice_not_creditable",
        refused_when_fully_credited="invoice_fully_credited",
        target=_settled_state,
    ),
    # The part of a credit beyond the amount due paid back to the customer (in the same request).
    Action.REFUND: Transition(
        allowed_from=_CREDITABLE,
        event_type="invoice.refunded",
        message="Refund recorded.",
        refusal="invoice_not_creditable",
        advertised=False,
    ),
    # Voiding one of its credit notes undoes what that note took off the amount due.
    Action.VOID_CREDIT_NOTE: Transition(
        allowed_from=_CREDITABLE,
        event_type="invoice.credit_voided",
        message="Credit note voided.",
        refusal="invoice_not_creditable",
        target=_settled_state,
        advertised=False,
    ),
    # Customer credit (from another invoice's credit note) applied to this one, like a payment.
    Action.APPLY_CREDIT: Transition(
        allowed_from=_PAYABLE,
        event_type="credit.applied",
        message="Credit applied.",
        refusal="invoice_not_payable",
        target=_settled_state,
    ),
}


class InvoiceNotFound(NotFound):
    code = "invoice_not_found"


class LifecycleRefused(Conflict):
    """A refused action: 409 with the stable code and the invoice's current status."""

    def __init__(self, action: Action, code: str, status: Status) -> None:
        super().__init__(
            f"The invoice cannot {action.value.replace('_', ' ')} while it is {STATUS_LABELS[status].lower()}.",
            code=code,
            extra={"invoice_status": status.value, "action": action.value},
        )
        self.action = action
        self.current_status = status


def refusal(action: Action, facts: InvoiceFacts) -> str | None:
    """The stable code that refuses `action` now, or None when it is allowed."""
    rule = LIFECYCLE[action]
    if facts.status not in rule.allowed_from:
        return rule.refusal_by_state.get(facts.status, rule.refusal)
    if rule.refused_with_payments and facts.has_payments:
        return rule.refused_with_payments
    if rule.refused_with_credit_notes and facts.has_credit_notes:
        return rule.refused_with_credit_notes
    if rule.refused_when_fully_credited and facts.fully_credited:
        return rule.refused_when_fully_credited
    return None


def guard(action: Action, facts: InvoiceFacts) -> None:
    """Raises unless `action` may run; a deleted invoice does not exist for any action."""
    if facts.status is Status.DELETED:
        raise InvoiceNotFound("Invoice not found.")
    code = refusal(action, facts)
    if code is not None:
        raise LifecycleRefused(action, code, facts.status)


def next_status(action: Action, facts: InvoiceFacts) -> Status:
    target = LIFECYCLE[action].target
    if target is None:
        return facts.status
    return target if isinstance(target, Status) else target(facts)


def allowed_from(action: Action) -> frozenset[Status]:
    return LIFECYCLE[action].allowed_from


def available_actions(facts: InvoiceFacts) -> list[str]:
    if facts.status is Status.DELETED:
        return []
    return [action.value for action in Action if LIFECYCLE[action].advertised and refusal(action, facts) is None]


def _open_amount(facts: InvoiceFacts) -> Decimal:
    settled = facts.amount_paid + facts.credited_against_due + facts.amount_credit_applied
    return MONEY_CONTEXT.subtract(facts.amount_payable, settled)


def amount_due(facts: InvoiceFacts) -> Decimal:
    """Nothing is due on a cancelled or void invoice; otherwise what is left to pay:
    payable - paid - credited against the due - credit applied (never negative: every
    payment, credit and allocation is capped by the amount due it finds)."""
    if facts.status in (Status.CANCELLED, Status.VOID, Status.DELETED):
        return Decimal(0)
    return _open_amount(facts)
