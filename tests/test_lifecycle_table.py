"""SPEC section 3's lifecycle table, written out here independently, against invoicing.invoices.lifecycle.

Pure: no database. Each cell is either the state an allowed action leads to (SAME: status unchanged;
a callable: depends on the facts) or the refusal code. Deleted answers "not found" to everything.
"""

from collections.abc import Callable
from decimal import Decimal
from itertools import product

import pytest

from invoicing.invoices.lifecycle import (
    Action,
    InvoiceFacts,
    InvoiceNotFound,
    LifecycleRefused,
    Status,
    available_actions,
    guard,
    next_status,
    refusal,
)
from tests.spec_lifecycle import ACTIONS, INTERNAL_ACTIONS, REFUSAL_CODES, SAME, STATES


def _after_payment(facts: InvoiceFacts) -> str:
    credited_against_due = facts.amount_credited - facts.amount_refunded - facts.amount_kept_as_credit
    settled = facts.amount_paid + credited_against_due + facts.amount_credit_applied
    return "paid" if settled >= facts.amount_payable else "partially_paid"


def _settled(facts: InvoiceFacts) -> str:
    """Paid once nothing is due, by any mix of payments, credit notes and applied credit."""
    credited_against_due = facts.amount_credited - facts.amount_refunded - facts.amount_kept_as_credit
    due = facts.amount_payable - facts.amount_paid - credited_against_due - facts.amount_credit_applied
    if due <= 0:
        return "paid"
    return "partially_paid" if facts.amount_paid > 0 or facts.amount_credit_applied > 0 else "issued"


def _before_cancel(facts: InvoiceFacts) -> str:
    assert facts.cancelled_from is not None
    return facts.cancelled_from.value


Outcome = str | Callable[[InvoiceFacts], str]

# SPEC 3, row by row ("refused with" codes are 409s). Send from a draft issues it first, in the
# same change: the draft leaves as `issued`.
TABLE: dict[str, dict[str, Outcome]] = {
    "update": {
        "draft": SAME,
        "issued": "invoice_not_editable",
        "partially_paid": "invoice_not_editable",
        "paid": "invoice_not_editable",
        "cancelled": "invoice_not_editable",
        "void": "invoice_not_editable",
    },
    "issue": {
        "draft": "issued",
        "issued": "invoice_not_draft",
        "partially_paid": "invoice_not_draft",
        "paid": "invoice_not_draft",
        "cancelled": "invoice_not_draft",
        "void": "invoice_not_draft",
    },
    "send": {
        "draft": "issued",
        "issued": SAME,
        "partially_paid": SAME,
        "paid": SAME,
        "cancelled": "invoice_not_sendable",
        "void": "invoice_not_sendable",
    },
    "record_payment": {
        "draft": "invoice_not_payable",
        "issued": _after_payment,
        "partially_paid": _after_payment,
        "paid": "invoice_not_payable",
        "cancelled": "invoice_not_payable",
        "void": "invoice_not_payable",
    },
    "cancel": {
        "draft": "invoice_not_cancellable",
        "issued": "cancelled",
        "partially_paid": "cancelled",
        "paid": "invoice_not_cancellable",
        "cancelled": "invoice_already_cancelled",
        "void": "invoice_not_cancellable",
    },
    "revert_cancel": {
        "draft": "invoice_not_cancelled",
        "issued": "invoice_not_cancelled",
        "partially_paid": "invoice_not_cancelled",
        "paid": "invoice_not_cancelled",
        "cancelled": _before_cancel,
        "void": "invoice_not_cancelled",
    },
    "void": {
        "draft": "invoice_is_draft",
        "issued": "void",  # with no payment recorded; see PAYMENT_REFUSALS
        "partially_paid": "invoice_has_payments",
        "paid": "invoice_has_payments",
        "cancelled": "void",  # with no payment recorded
        "void": "invoice_already_void",
    },
    "delete": {
        "draft": "deleted",
        "issued": "invoice_not_draft",
        "partially_paid": "invoice_not_draft",
        "paid": "invoice_not_draft",
        "cancelled": "invoice_not_draft",
        "void": "invoice_not_draft",
    },
    "archive": dict.fromkeys(STATES, SAME),
    "unarchive": dict.fromkeys(STATES, SAME),
    # Issue 12: credit notes against issued, partly paid and paid invoices.
    "credit": {
        "draft": "invoice_not_creditable",
        "issued": _settled,
        "partially_paid": _settled,
        "paid": _settled,
        "cancelled": "invoice_not_creditable",
        "void": "invoice_not_creditable",
    },
    "refund": {
        "draft": "invoice_not_creditable",
        "issued": SAME,
        "partially_paid": SAME,
        "paid": SAME,
        "cancelled": "invoice_not_creditable",
        "void": "invoice_not_creditable",
    },
    "void_credit_note": {
        "draft": "invoice_not_creditable",
        "issued": _settled,
        "partially_paid": _settled,
        "paid": _settled,
        "cancelled": "invoice_not_creditable",
        "void": "invoice_not_creditable",
    },
    "apply_credit": {
        "draft": "invoice_not_payable",
        "issued": _settled,
        "partially_paid": _settled,
        "paid": "invoice_not_payable",
        "cancelled": "invoice_not_payable",
        "void": "invoice_not_payable",
    },
}


D = Decimal
# Every realistic set of facts per state: what was paid, and for a cancelled invoice where it came from.
FACTS: dict[str, list[InvoiceFacts]] = {
    "draft": [InvoiceFacts(Status.DRAFT, D("100.00"), D("0.00"))],
    "issued": [
        InvoiceFacts(Status.ISSUED, D("100.00"), D("0.00")),
        InvoiceFacts(Status.ISSUED, D("0"), D("0")),
        InvoiceFacts(Status.ISSUED, D("100.00"), D("0.00"), amount_credited=D("30.00")),
    ],
    "partially_paid": [
        InvoiceFacts(Status.PARTIALLY_PAID, D("100.00"), D("40.00")),
        InvoiceFacts(Status.PARTIALLY_PAID, D("100.00"), D("0.00"), amount_credit_applied=D("40.00")),
    ],
    "paid": [
        InvoiceFacts(Status.PAID, D("100.00"), D("100.00")),
        # Paid, then credited in full: 40.00 refunded, 60.00 kept as customer credit.
        InvoiceFacts(
            Status.PAID,
            D("100.00"),
            D("100.00"),
            amount_credited=D("100.00"),
            amount_refunded=D("40.00"),
            amount_kept_as_credit=D("60.00"),
        ),
        # Settled by credit notes alone.
        InvoiceFacts(Status.PAID, D("100.00"), D("0.00"), amount_credited=D("100.00")),
    ],
    "cancelled": [
        InvoiceFacts(Status.CANCELLED, D("100.00"), D("0.00"), cancelled_from=Status.ISSUED),
        InvoiceFacts(Status.CANCELLED, D("100.00"), D("40.00"), cancelled_from=Status.PARTIALLY_PAID),
    ],
    "void": [InvoiceFacts(Status.VOID, D("100.00"), D("0.00"))],
}
# Void is refused once any payment is recorded (or customer credit applied), even from a state
# that otherwise allows it; cancel and void are refused while live credit notes correct it.
PAYMENT_REFUSALS = {("void", "issued"), ("void", "cancelled")}
CREDIT_NOTE_REFUSALS = {("cancel", "issued"), ("cancel", "partially_paid"), ("void", "issued"), ("void", "cancelled")}

CELLS = [
    pytest.param(action, state, facts, id=f"{action}-{state}-{index}")
    for action, state in product(ACTIONS, STATES)
    for index, facts in enumerate(FACTS[state])
]


def expected(action: str, state: str, facts: InvoiceFacts) -> tuple[bool, str]:
    """(allowed, next state or refusal code) for one cell."""
    if (action, state) in PAYMENT_REFUSALS and (facts.amount_paid > 0 or facts.amount_credit_applied > 0):
        return False, "invoice_has_payments"
    if (action, state) in CREDIT_NOTE_REFUSALS and facts.amount_credited > 0:
        return False, "invoice_has_credit_notes"
    if (
        action == "credit"
        and state in ("issued", "partially_paid", "paid")
        and facts.amount_credited >= facts.amount_payable
    ):
        return False, "invoice_fully_credited"
    outcome = TABLE[action][state]
    if callable(outcome):
        return True, outcome(facts)
    if outcome == SAME:
        return True, state
    if outcome in REFUSAL_CODES:
        return False, outcome
    return True, outcome


def test_the_table_covers_every_state_and_action_of_the_module() -> None:
    assert set(ACTIONS) == {action.value for action in Action}
    assert set(STATES) | {"deleted"} == {status.value for status in Status}
    assert all(set(TABLE[action]) == set(STATES) for action in ACTIONS)
    assert all(facts.status.value == state for state, variants in FACTS.items() for facts in variants)


@pytest.mark.parametrize(("action", "state", "facts"), CELLS)
def test_guard_next_status_and_refusal_agree_with_spec_section_3(action: str, state: str, facts: InvoiceFacts) -> None:
    allowed, outcome = expected(action, state, facts)
    if allowed:
        guard(Action(action), facts)
        assert refusal(Action(action), facts) is None
        assert next_status(Action(action), facts).value == outcome
    else:
        assert refusal(Action(action), facts) == outcome
        with pytest.raises(LifecycleRefused) as refused:
            guard(Action(action), facts)
        assert refused.value.error_code == outcome
        assert refused.value.status == 409
        assert refused.value.current_status.value == state
        assert refused.value.extra == {"invoice_status": state, "action": action}


@pytest.mark.parametrize("action", ACTIONS)
def test_a_deleted_invoice_is_not_found_for_every_action(action: str) -> None:
    deleted = InvoiceFacts(Status.DELETED, D("100.00"), D("0.00"))
    with pytest.raises(InvoiceNotFound) as missing:
        guard(Action(action), deleted)
    assert missing.value.error_code == "invoice_not_found"
    assert missing.value.status == 404


def test_a_deleted_invoice_offers_no_action() -> None:
    assert available_actions(InvoiceFacts(Status.DELETED, D("100.00"), D("0.00"))) == []


@pytest.mark.parametrize(("state", "facts"), [(state, facts) for state in STATES for facts in FACTS[state]])
def test_available_actions_lists_exactly_the_allowed_actions(state: str, facts: InvoiceFacts) -> None:
    allowed = [action for action in ACTIONS if action not in INTERNAL_ACTIONS and expected(action, state, facts)[0]]
    assert available_actions(facts) == allowed  # both directions, in the module's fixed order


def test_available_actions_per_state_spelled_out() -> None:
    everywhere = ["archive", "unarchive"]
    assert available_actions(FACTS["draft"][0]) == ["update", "issue", "send", "delete", *everywhere]
    assert available_actions(FACTS["issued"][0]) == [
        "send",
        "record_payment",
        "cancel",
        "void",
        *everywhere,
        "credit",
        "apply_credit",
    ]
    assert available_actions(FACTS["issued"][2]) == ["send", "record_payment", *everywhere, "credit", "apply_credit"]
    assert available_actions(FACTS["partially_paid"][0]) == [
        "send",
        "record_payment",
        "cancel",
        *everywhere,
        "credit",
        "apply_credit",
    ]
    assert available_actions(FACTS["paid"][0]) == ["send", *everywhere, "credit"]
    assert available_actions(FACTS["paid"][1]) == ["send", *everywhere]
    assert available_actions(FACTS["cancelled"][0]) == ["revert_cancel", "void", *everywhere]
    assert available_actions(FACTS["cancelled"][1]) == ["revert_cancel", *everywhere]
    assert available_actions(FACTS["void"][0]) == everywhere


@pytest.mark.parametrize(
    ("paid", "result"),
    [("0.01", "partially_paid"), ("99.99", "partially_paid"), ("100.00", "paid"), ("100", "paid")],
)
@pytest.mark.parametrize("state", [Status.ISSUED, Status.PARTIALLY_PAID])
def test_recording_a_payment_leads_to_partially_paid_or_paid_by_amount(state: Status, paid: str, result: str) -> None:
    # The facts carry the amount paid including the payment being recorded.
    facts = InvoiceFacts(state, amount_payable=D("100.00"), amount_paid=D(paid))
    assert next_status(Action.RECORD_PAYMENT, facts).value == result


@pytest.mark.parametrize("origin", [Status.ISSUED, Status.PARTIALLY_PAID])
def test_reverting_a_cancel_returns_to_the_kept_prior_state(origin: Status) -> None:
    paid = D("40.00") if origin is Status.PARTIALLY_PAID else D("0")
    facts = InvoiceFacts(Status.CANCELLED, D("100.00"), paid, cancelled_from=origin)
    guard(Action.REVERT_CANCEL, facts)
    assert next_status(Action.REVERT_CANCEL, facts) is origin


@pytest.mark.parametrize("state", [Status.ISSUED, Status.CANCELLED])
def test_void_is_refused_with_invoice_has_payments_once_anything_is_paid(state: Status) -> None:
    facts = InvoiceFacts(state, D("100.00"), D("0.01"), cancelled_from=Status.PARTIALLY_PAID)
    assert refusal(Action.VOID, facts) == "invoice_has_payments"
    with pytest.raises(LifecycleRefused) as refused:
        guard(Action.VOID, facts)
    assert refused.value.error_code == "invoice_has_payments"
    assert "void" not in available_actions(facts)
    unpaid = InvoiceFacts(state, D("100.00"), D("0"), cancelled_from=Status.ISSUED)
    guard(Action.VOID, unpaid)
    assert next_status(Action.VOID, unpaid) is Status.VOID
