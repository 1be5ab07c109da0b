"""What the lifecycle table says about an invoice, as SQL over its row (for the database-rendered
representation, invoices.sql_representation).

Generated from `LIFECYCLE` itself: each advertised action's allowed states and refusal flags
become one condition, so `available_actions` in SQL cannot drift from the table. The facts'
predicates (`InvoiceFacts.has_payments`, ...) and the amount due have their SQL twins here, one
line each; tests/hotpath/test_lifecycle_sql.py compares them with the Python ones over every
status and combination of amounts.
"""

from invoicing.invoices.lifecycle import LIFECYCLE, Action, Status


def _statuses(statuses: frozenset[Status]) -> str:
    return ", ".join(f"'{status.value}'" for status in sorted(statuses))


def has_payments_sql(row: str) -> str:
    return f"({row}.amount_paid > 0 OR {row}.amount_credit_applied > 0)"


def has_credit_notes_sql(row: str) -> str:
    return f"({row}.amount_credited > 0)"


def fully_credited_sql(row: str) -> str:
    return f"({row}.amount_credited >= {row}.amount_payable)"


def open_amount_sql(row: str) -> str:
    settled = (
        f"{row}.amount_paid + ({row}.amount_credited - {row}.amount_refunded - {row}.amount_kept_as_credit)"
        f" + {row}.amount_credit_applied"
    )
    return f"({row}.amount_payable - ({settled}))"


def amount_due_sql(row: str) -> str:
    closed = _statuses(frozenset({Status.CANCELLED, Status.VOID, Status.DELETED}))
    return f"(CASE WHEN {row}.status IN ({closed}) THEN 0::numeric ELSE {open_amount_sql(row)} END)"


def allowed_sql(action: Action, row: str) -> str:
    """`refusal(action, facts) is None` (and the invoice is not deleted), as a condition."""
    rule = LIFECYCLE[action]
    conditions = [f"{row}.status IN ({_statuses(rule.allowed_from - {Status.DELETED})})"]
    if rule.refused_with_payments:
        conditions.append(f"NOT {has_payments_sql(row)}")
    if rule.refused_with_credit_notes:
        conditions.append(f"NOT {has_credit_notes_sql(row)}")
    if rule.refused_when_fully_credited:
        conditions.append(f"NOT {fully_credited_sql(row)}")
    return " AND ".join(conditions)


def available_actions_sql(row: str) -> str:
    """`available_actions(facts)`: a text[] (a JSON array in row_to_json), in the table's order."""
    advertised = [action for action in Action if LIFECYCLE[action].advertised]
    cases = ", ".join(f"CASE WHEN {allowed_sql(action, row)} THEN '{action.value}' END" for action in advertised)
    return f"array_remove(ARRAY[{cases}]::text[], NULL)"
