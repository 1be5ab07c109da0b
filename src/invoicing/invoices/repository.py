"""All invoice SQL. Reads join the customer in the same statement; writes are conditional."""

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Label, RowMapping, delete, func, or_, select
from sqlalchemy.sql import Select

from invoicing.core.db import is_postgresql
from invoicing.core.ids import new_public_id
from invoicing.core.repository import TenantScopedRepository, fetch_one, fetch_optional
from invoicing.customers.repository import like_pattern
from invoicing.customers.tables import customers
from invoicing.events.repository import EventRepository, PendingEvent
from invoicing.invoices.tables import invoice_lines, invoices

CUSTOMER_PREFIX = "customer__"
_CUSTOMER_COLUMNS: list[Label[Any]] = [column.label(CUSTOMER_PREFIX + column.name) for column in customers.c]


@dataclass(frozen=True, slots=True)
class InvoiceRow:
    invoice: RowMapping
    customer: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class InvoiceFilter:
    statuses: Collection[str] | None = None
    customer_id: int | None = None
    archived: bool | None = False
    issue_date_from: date | None = None
    issue_date_to: date | None = None
    search: str | None = None


def _split(row: RowMapping) -> InvoiceRow:
    customer = {key[len(CUSTOMER_PREFIX) :]: value for key, value in row.items() if key.startswith(CUSTOMER_PREFIX)}
    return InvoiceRow(invoice=row, customer=customer if customer.get("id") is not None else None)


class InvoiceRepository(TenantScopedRepository):
    table = invoices

    def _with_customer(self) -> Select[Any]:
        # The customer is joined on (tenant_id, id): it can only ever be this tenant's.
        joined = invoices.outerjoin(
            customers, (customers.c.tenant_id == invoices.c.tenant_id) & (customers.c.id == invoices.c.customer_id)
        )
        return (
            select(invoices, *_CUSTOMER_COLUMNS)
            .select_from(joined)
            .where(self.tenant_filter(), invoices.c.status != "deleted")
        )

    async def insert(self, **values: Any) -> RowMapping:
        statement = self.insert_values(public_id=new_public_id(), **values).returning(invoices)
        return await fetch_one(self.connection, statement)

    async def get(self, invoice_id: int, *, for_update: bool = False) -> InvoiceRow | None:
        """A visible (not deleted) invoice with its customer; `for_update` locks the row."""
        statement = self._with_customer().where(invoices.c.id == invoice_id)
        if for_update:
            statement = statement.with_for_update(of=invoices)
        row = await fetch_optional(self.connection, statement)
        return _split(row) if row is not None else None

    async def id_by_public_id(self, public_id: str, *, customer_id: int | None = None) -> int | None:
        """The integer id of a visible invoice named by its `public_id` (dialects' string ids);
        with `customer_id`, only if it bills that customer."""
        statement = self.select_from_table(invoices.c.id).where(
            invoices.c.public_id == public_id, invoices.c.status != "deleted"
        )
        if customer_id is not None:
            statement = statement.where(invoices.c.customer_id == customer_id)
        found: int | None = (await self.connection.execute(statement)).scalar_one_or_none()
        return found

    async def claim(
        self,
        invoice_id: int,
        *,
        from_statuses: Iterable[str],
        expected_version: int | None = None,
        event: PendingEvent | None = None,
        **values: Any,
    ) -> RowMapping | None:
        """Apply `values` only if the invoice is still in one of `from_statuses` (and, if given,
        still at `expected_version`), and append `event` for the change.

        The check and the write are one statement, so of concurrent writers only those that
        find the state they expect win; `version` moves by one with every change. On PostgreSQL
        the event is written by the same statement (a data-modifying CTE): one round trip.
        """
        statement = self.update_table().where(invoices.c.id == invoice_id, invoices.c.status.in_(list(from_statuses)))
        if expected_version is not None:
            statement = statement.where(invoices.c.version == expected_version)
        statement = statement.values(version=invoices.c.version + 1, **values).returning(invoices)
        events = EventRepository(self.connection, self.tenant_id)
        if event is not None and is_postgresql(self.connection):
            changed = statement.cte("changed")
            appended = events.append_after(changed, event).cte("appended")
            return await fetch_optional(self.connection, select(changed).add_cte(appended))
        row = await fetch_optional(self.connection, statement)
        if row is not None and event is not None:
            await events.append_for(row, event)  # SQLite has no data-modifying CTEs
        return row

    async def replace_lines(self, invoice_id: int, lines: Sequence[Mapping[str, Any]]) -> None:
        await self.connection.execute(
            delete(invoice_lines).where(self.tenant_filter(invoice_lines), invoice_lines.c.invoice_id == invoice_id)
        )
        if lines:
            rows = [
                {"tenant_id": self.tenant_id, "invoice_id": invoice_id, "public_id": new_public_id(), **line}
                for line in lines
            ]
            await self.connection.execute(invoice_lines.insert(), rows)

    async def lines_for(self, invoice_ids: Collection[int]) -> dict[int, list[RowMapping]]:
        if not invoice_ids:
            return {}
        statement = (
            self.select_from_table(table=invoice_lines)
            .where(invoice_lines.c.invoice_id.in_(list(invoice_ids)))
            .order_by(invoice_lines.c.invoice_id, invoice_lines.c.position)
        )
        grouped: dict[int, list[RowMapping]] = {invoice_id: [] for invoice_id in invoice_ids}
        for row in (await self.connection.execute(statement)).mappings():
            grouped[row["invoice_id"]].append(row)
        return grouped

    async def count_lines(self, invoice_id: int) -> int:
        statement = self.select_from_table(func.count(), table=invoice_lines).where(
            invoice_lines.c.invoice_id == invoice_id
        )
        return int((await self.connection.execute(statement)).scalar_one())

    async def page(self, filters: InvoiceFilter, *, after_id: int | None, limit: int) -> list[InvoiceRow]:
        """Newest first; `limit + 1` rows so the caller can tell whether more follow."""
        statement = self._filtered(self._with_customer(), filters)
        if after_id is not None:
            statement = statement.where(invoices.c.id < after_id)
        statement = statement.order_by(invoices.c.id.desc()).limit(limit + 1)
        return [_split(row) for row in (await self.connection.execute(statement)).mappings()]

    async def offset_page(
        self, filters: InvoiceFilter, *, offset: int, limit: int, by_issue_date: bool, ascending: bool
    ) -> list[InvoiceRow]:
        """Offset pages (HighLevel's `offset`/`limit`): by issue date or by id, ties broken by id."""
        key = invoices.c.issue_date if by_issue_date else invoices.c.id
        # NULLS LAST on both databases (their defaults differ): undated drafts come after dated ones.
        order = (
            [key.asc().nulls_last(), invoices.c.id.asc()]
            if ascending
            else [key.desc().nulls_last(), invoices.c.id.desc()]
        )
        statement = self._filtered(self._with_customer(), filters).order_by(*order).offset(offset).limit(limit)
        return [_split(row) for row in (await self.connection.execute(statement)).mappings()]

    async def count(self, filters: InvoiceFilter) -> int:
        statement = self._filtered(self.select_from_table(func.count()).where(invoices.c.status != "deleted"), filters)
        return int((await self.connection.execute(statement)).scalar_one())

    async def set_highlevel_details(self, invoice_id: int, details: str) -> None:
        """HighLevel-only fields (JSON text), written in the same transaction as the change they belong to."""
        statement = self.update_table().where(invoices.c.id == invoice_id).values(highlevel_details=details)
        await self.connection.execute(statement)

    def _filtered(self, statement: Select[Any], filters: InvoiceFilter) -> Select[Any]:
        if filters.statuses:
            statement = statement.where(invoices.c.status.in_(list(filters.statuses)))
        if filters.customer_id is not None:
            statement = statement.where(invoices.c.customer_id == filters.customer_id)
        if filters.archived is not None:
            statement = statement.where(invoices.c.is_archived.is_(filters.archived))
        if filters.issue_date_from is not None:
            statement = statement.where(invoices.c.issue_date >= filters.issue_date_from)
        if filters.issue_date_to is not None:
            statement = statement.where(invoices.c.issue_date <= filters.issue_date_to)
        if filters.search:
            pattern = like_pattern(filters.search)
            statement = statement.where(
                or_(
                    func.lower(invoices.c.document_number).like(pattern, escape="\\"),
                    func.lower(invoices.c.receiver_name).like(pattern, escape="\\"),
                    func.lower(invoices.c.notes).like(pattern, escape="\\"),
                )
            )
        return statement
