"""The reports' SQL: one grouped pass each over a tenant's invoices or payments.

Money stays exact on both databases. PostgreSQL sums NUMERIC in the query and answers one row
per group. SQLite keeps money as TEXT, which its sum() would add as floats (SPEC 4), so there
the same query answers one row per invoice or payment, not grouped, and the service adds them
as Decimals. The service folds rows by their keys either way, so both databases give the same
figures from the same statement (`_totals` is the one place that differs).

Buckets and months are CASE expressions over boundaries computed in Python (dates, or UTC
instants of the tenant's month starts), so no dialect's date arithmetic or time zone functions
are needed.
"""

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, Select, and_, case, func, literal_column

from invoicing.core.db import is_postgresql
from invoicing.core.repository import TenantScopedRepository, fetch_all
from invoicing.core.types import ExactDecimal
from invoicing.customers.tables import customers
from invoicing.invoices.lifecycle import FACT_COLUMNS
from invoicing.invoices.lifecycle_sql import amount_due_sql
from invoicing.invoices.tables import invoices
from invoicing.payments.tables import payments

# What an invoice counts as invoiced is made of (the service subtracts: payable less credited).
INVOICED = {"amount_payable": invoices.c.amount_payable, "amount_credited": invoices.c.amount_credited}


def bounds_reached(column: Any, bounds: Sequence[Any]) -> ColumnElement[int]:
    """How many of `bounds` (ascending) `column` is at or past: 0 before the first, len(bounds)
    from the last on (a NULL reaches none)."""
    whens = [(column >= bound, count) for count, bound in reversed(list(enumerate(bounds, start=1)))]
    return case(*whens, else_=0)


class ReportsRepository(TenantScopedRepository):
    table = invoices

    def _totals(
        self,
        statement: Select[Any],
        keys: Sequence[ColumnElement[Any]],
        summed: Mapping[str, ColumnElement[Any]],
        row_columns: Mapping[str, ColumnElement[Any]],
    ) -> Select[Any]:
        """`statement` answering `keys` with the sums of `summed` per group on PostgreSQL, and
        `keys` with `row_columns` for every row on SQLite (the service adds those as Decimals)."""
        if is_postgresql(self.connection):
            sums = [func.sum(column).label(name) for name, column in summed.items()]
            return statement.with_only_columns(*keys, *sums).group_by(*keys)
        return statement.with_only_columns(*keys, *(column.label(name) for name, column in row_columns.items()))

    async def receivables_by_due_date(self, statuses: Sequence[str], due_bounds: Sequence[date]) -> list[RowMapping]:
        """Invoices in `statuses` by currency and `bucket`: how many of `due_bounds` (ascending)
        their due date reaches, all of them without a due date. PostgreSQL answers `amount_due`
        per group (the lifecycle's SQL twin), SQLite FACT_COLUMNS per invoice."""
        reached = bounds_reached(invoices.c.due_date, due_bounds)
        bucket = case((invoices.c.due_date.is_(None), len(due_bounds)), else_=reached)
        keys = [invoices.c.currency, bucket.label("bucket")]
        due = literal_column(amount_due_sql(invoices.name), type_=ExactDecimal())
        statement = self.select_from_table().where(invoices.c.status.in_(statuses))
        facts = {name: invoices.c[name] for name in FACT_COLUMNS}
        return await fetch_all(self.connection, self._totals(statement, keys, {"amount_due": due}, facts))

    async def invoiced_by_month(self, statuses: Sequence[str], month_starts: Sequence[date]) -> list[RowMapping]:
        """Invoices in `statuses` issued from `month_starts[0]` until before `month_starts[-1]`, by
        currency and `month` (its index in `month_starts`): their amount payable and amount credited."""
        month = bounds_reached(invoices.c.issue_date, month_starts[1:-1])
        statement = self.select_from_table().where(
            invoices.c.status.in_(statuses),
            invoices.c.issue_date >= month_starts[0],
            invoices.c.issue_date < month_starts[-1],
        )
        keys = [invoices.c.currency, month.label("month")]
        return await fetch_all(self.connection, self._totals(statement, keys, INVOICED, INVOICED))

    async def invoiced_by_customer(self, statuses: Sequence[str], since: date, until: date) -> list[RowMapping]:
        """Invoices in `statuses` issued from `since` until before `until`, by currency and customer:
        their amount payable and amount credited."""
        statement = self.select_from_table().where(
            invoices.c.status.in_(statuses), invoices.c.issue_date >= since, invoices.c.issue_date < until
        )
        keys = [invoices.c.currency, invoices.c.customer_id]
        return await fetch_all(self.connection, self._totals(statement, keys, INVOICED, INVOICED))

    async def collected_by_month(self, month_starts: Sequence[datetime]) -> list[RowMapping]:
        """Payments received from `month_starts[0]` until before `month_starts[-1]` (instants), by
        their invoice's currency and `month` (its index in `month_starts`): the amounts received."""
        month = bounds_reached(payments.c.paid_at, month_starts[1:-1])
        paid_for = and_(invoices.c.id == payments.c.invoice_id, self.tenant_filter(invoices))
        statement = (
            self.select_from_table(table=payments)
            .join_from(payments, invoices, paid_for)
            .where(payments.c.paid_at >= month_starts[0], payments.c.paid_at < month_starts[-1])
        )
        amounts = {"amount": payments.c.amount}
        keys = [invoices.c.currency, month.label("month")]
        return await fetch_all(self.connection, self._totals(statement, keys, amounts, amounts))

    async def customer_names(self, customer_ids: Sequence[int]) -> list[RowMapping]:
        """The naming columns of these customers, deleted ones too (their invoices still count)."""
        if not customer_ids:
            return []
        statement = self.select_from_table(
            customers.c.id, customers.c.company_name, customers.c.first_name, customers.c.last_name, table=customers
        ).where(customers.c.id.in_(customer_ids))
        return await fetch_all(self.connection, statement)
