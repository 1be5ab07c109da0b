"""The lifecycle table drawn as a Mermaid state diagram, for docs/lifecycle.md (a test keeps them equal)."""

from decimal import Decimal

from invoicing.invoices.lifecycle import Action, InvoiceFacts, Status, next_status, refusal

# Flags, not states (allowed everywhere but deleted), and the credit-note actions, whose target
# depends on how much they settle: said so under the diagram instead.
_FLAG_ACTIONS = (
    Action.ARCHIVE,
    Action.UNARCHIVE,
    Action.CREDIT,
    Action.REFUND,
    Action.VOID_CREDIT_NOTE,
    Action.APPLY_CREDIT,
)


def _examples(status: Status) -> list[InvoiceFacts]:
    """Facts that reach every outcome the table allows from `status`."""
    payable = Decimal(100)
    paid_amounts = [Decimal(0), Decimal(40), payable]
    prior_states = [None, Status.ISSUED, Status.PARTIALLY_PAID]
    return [
        InvoiceFacts(status=status, amount_payable=payable, amount_paid=paid, cancelled_from=prior)
        for paid in paid_amounts
        for prior in prior_states
    ]


def edges() -> list[tuple[Status, Status, Action]]:
    found: set[tuple[Status, Status, Action]] = set()
    for status in Status:
        for action in Action:
            if action in _FLAG_ACTIONS:
                continue
            for facts in _examples(status):
                if status is not Status.DELETED and refusal(action, facts) is None:
                    found.add((status, next_status(action, facts), action))
    order = list(Status)
    return sorted(found, key=lambda edge: (order.index(edge[0]), order.index(edge[1]), list(Action).index(edge[2])))


def mermaid_state_diagram() -> str:
    lines = ["stateDiagram-v2", f"    [*] --> {Status.DRAFT.value}: create"]
    grouped: dict[tuple[Status, Status], list[str]] = {}
    for source, target, action in edges():
        grouped.setdefault((source, target), []).append(action.value)
    for (source, target), actions in grouped.items():
        lines.append(f"    {source.value} --> {target.value}: {', '.join(actions)}")
    lines += [f"    {Status.VOID.value} --> [*]", f"    {Status.DELETED.value} --> [*]"]
    return "\n".join(lines)
