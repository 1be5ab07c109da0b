"""The credit-note lifecycle as data: one table, one guard (as invoices.lifecycle).

draft -> issued (takes its number, changes the invoice) -> void (keeps its number, undoes its
effect; refused once its credit was refunded or applied to another invoice). A draft may be
deleted.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from invoicing.core.errors import Conflict, NotFound


class CreditNoteStatus(StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"
    VOID = "void"
    DELETED = "deleted"


class CreditNoteAction(StrEnum):
    ISSUE = "issue"
    VOID = "void"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class CreditNoteFacts:
    status: CreditNoteStatus
    amount_refunded: Decimal = Decimal(0)
    amount_allocated: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class CreditNoteTransition:
    allowed_from: frozenset[CreditNoteStatus]
    target: CreditNoteStatus
    event_type: str
    message: str
    refusal: str
    refusal_by_state: Mapping[CreditNoteStatus, str] = field(default_factory=dict)
    refused_when_refunded: str | None = None
    refused_when_allocated: str | None = None


CREDIT_NOTE_LIFECYCLE: Mapping[CreditNoteAction, CreditNoteTransition] = {
    CreditNoteAction.ISSUE: CreditNoteTransition(
        allowed_from=frozenset({CreditNoteStatus.DRAFT}),
        target=CreditNoteStatus.ISSUED,
        event_type="credit_note.issued",
        message="Credit note issued.",
        refusal="credit_note_not_draft",
    ),
    CreditNoteAction.VOID: CreditNoteTransition(
        allowed_from=frozenset({CreditNoteStatus.ISSUED}),
        target=CreditNoteStatus.VOID,
        event_type="credit_note.voided",
        message="Credit note voided.",
        refusal="credit_note_not_issued",
        refusal_by_state={CreditNoteStatus.VOID: "credit_note_already_void"},
        refused_when_refunded="credit_note_refunded",
        refused_when_allocated="credit_note_applied",
    ),
    CreditNoteAction.DELETE: CreditNoteTransition(
        allowed_from=frozenset({CreditNoteStatus.DRAFT}),
        target=CreditNoteStatus.DELETED,
        event_type="credit_note.deleted",
        message="Draft credit note deleted.",
        refusal="credit_note_not_draft",
    ),
}


class CreditNoteNotFound(NotFound):
    code = "credit_note_not_found"


class CreditNoteRefused(Conflict):
    """A refused credit-note action: 409 with the stable code and the note's current status."""

    def __init__(self, action: CreditNoteAction, code: str, status: CreditNoteStatus) -> None:
        super().__init__(
            f"The credit note cannot {action.value} while it is {status.value}"
            + (
                " and its credit was refunded or applied."
                if code in ("credit_note_refunded", "credit_note_applied")
                else "."
            ),
            code=code,
            extra={"credit_note_status": status.value, "action": action.value},
        )


def refusal(action: CreditNoteAction, facts: CreditNoteFacts) -> str | None:
    rule = CREDIT_NOTE_LIFECYCLE[action]
    if facts.status not in rule.allowed_from:
        return rule.refusal_by_state.get(facts.status, rule.refusal)
    if rule.refused_when_refunded and facts.amount_refunded > 0:
        return rule.refused_when_refunded
    if rule.refused_when_allocated and facts.amount_allocated > 0:
        return rule.refused_when_allocated
    return None


def guard(action: CreditNoteAction, facts: CreditNoteFacts) -> None:
    """Raises unless `action` may run; a deleted draft does not exist for any action."""
    if facts.status is CreditNoteStatus.DELETED:
        raise CreditNoteNotFound("Credit note not found.")
    code = refusal(action, facts)
    if code is not None:
        raise CreditNoteRefused(action, code, facts.status)


def available_actions(facts: CreditNoteFacts) -> list[str]:
    if facts.status is CreditNoteStatus.DELETED:
        return []
    return [action.value for action in CreditNoteAction if refusal(action, facts) is None]
