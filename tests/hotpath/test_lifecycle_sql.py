"""The lifecycle's SQL twins (invoices.lifecycle_sql) say what the table says, for every status and
every combination of amounts that decides an action (PostgreSQL: the hot path's renderer)."""

import itertools
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.core.db import transaction
from invoicing.invoices.lifecycle import InvoiceFacts, Status, amount_due, available_actions
from invoicing.invoices.lifecycle_sql import amount_due_sql, available_actions_sql

# Each amount at zero or not, and credit at, under and over the payable: every branch of the rules.
CHOICES = {
    "amount_payable": ("120.00",),
    "amount_paid": ("0", "40.00", "120.00"),
    "amount_credited": ("0", "10.00", "120.00", "130.00"),
    "amount_refunded": ("0", "10.00"),
    "amount_kept_as_credit": ("0",),
    "amount_credit_applied": ("0", "5.00"),
}


def combinations() -> list[InvoiceFacts]:
    names = list(CHOICES)
    facts = []
    for status in Status:
        for values in itertools.product(*(CHOICES[name] for name in names)):
            amounts = {name: Decimal(value) for name, value in zip(names, values, strict=True)}
            facts.append(InvoiceFacts(status=status, **amounts))
    return facts


async def test_available_actions_and_the_amount_due_agree_with_the_table(engine: AsyncEngine, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("the SQL twins run on PostgreSQL only")
    cases = combinations()
    columns = ["status", *CHOICES]
    rows = ", ".join(
        f"(:status_{n}, " + ", ".join(f"CAST(:{name}_{n} AS numeric)" for name in CHOICES) + ")"
        for n in range(len(cases))
    )
    params: dict[str, object] = {}
    for n, facts in enumerate(cases):
        params[f"status_{n}"] = facts.status.value
        for name in CHOICES:
            params[f"{name}_{n}"] = str(getattr(facts, name))
    query = text(
        f"SELECT {available_actions_sql('i')} AS actions, {amount_due_sql('i')} AS due "  # noqa: S608 (generated, no input)
        f"FROM (VALUES {rows}) AS i({', '.join(columns)})"
    )
    async with transaction(engine, write=False) as connection:
        found = (await connection.execute(query, params)).all()
    assert len(found) == len(cases)
    for facts, (actions, due) in zip(cases, found, strict=True):
        assert list(actions) == available_actions(facts), facts
        assert due == amount_due(facts), facts
