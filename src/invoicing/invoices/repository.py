"""All invoice SQL. Reads join the customer in the same statement; writes are conditional."""

import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import Executable, Integer, Label, RowMapping, bindparam, delete, func, select, update
from sqlalchemy.sql import Select

from invoicing.core.db import is_postgresql
from invoicing.core.ids import new_public_id
from invoicing.core.repository import TenantScopedRepository, fetch_all, fetch_one, fetch_optional, tenant_bound
from invoicing.core.search import like_pattern, search_key
from invoicing.customers.tables import customers
from invoicing.events.repository import EventRepository, PendingEvent, append_after
from invoicing.invoices.lifecycle import FACT_COLUMNS
from invoicing.invoices.tables import invoice_lines, invoices
from invoicing.outbox.messages import INVOICE, note_event

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
    due_before: date | None = None  # due strictly before this day (with AWAITING_PAYMENT: overdue)


# The columns list search covers, in the order their keys are joined.
SEARCHED = ("document_number", "receiver_name", "notes")


def invoice_search_key(values: Mapping[str, Any]) -> str:
    """The stored search key of an invoice with these SEARCHED values, one line per field (so a
    term never matches across two fields unless it holds a line break itself)."""
    return "\n".join(search_key(values[name]) for name in SEARCHED if values.get(name))


def with_search_key(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """`changes` plus the search key they make, if they touch a searched column."""
    if not any(name in changes for name in SEARCHED):
        return dict(changes)
    return {**changes, "search_key": invoice_search_key({**current, **changes})}


_CUSTOMER_KEYS = [(CUSTOMER_PREFIX + column.name, column.name) for column in customers.c]


def _split(row: RowMapping) -> InvoiceRow:
    if row[CUSTOMER_PREFIX + "id"] is None:
        return InvoiceRow(invoice=row, customer=None)
    return InvoiceRow(invoice=row, customer={key: row[labelled] for labelled, key in _CUSTOMER_KEYS})


def _visible_with_customer(*, include_deleted: bool = False) -> Select[Any]:
    """Visible (not deleted) invoices of the bound tenant, each with its customer; with
    `include_deleted`, deleted ones too (what an `invoice.deleted` webhook shows)."""
    # The customer is joined on (tenant_id, id): it can only ever be this tenant's.
    joined = invoices.outerjoin(
        customers, (customers.c.tenant_id == invoices.c.tenant_id) & (customers.c.id == invoices.c.customer_id)
    )
    statement = select(invoices, *_CUSTOMER_COLUMNS).select_from(joined).where(tenant_bound(invoices))
    return statement if include_deleted else statement.where(invoices.c.status != "deleted")


@cache
def _one_with_customer(*, for_update: bool, include_deleted: bool = False) -> Select[Any]:
    statement = _visible_with_customer(include_deleted=include_deleted).where(invoices.c.id == bindparam("invoice_id"))
    return statement.with_for_update(of=invoices) if for_update else statement


@cache
def _lines_of_invoice() -> Select[Any]:
    # One invoice (a read, every transition): `=`, not an expanding IN, whose list is rendered
    # into the SQL text at every execution.
    return (
        select(invoice_lines)
        .where(tenant_bound(invoice_lines), invoice_lines.c.invoice_id == bindparam("invoice_id"))
        .order_by(invoice_lines.c.position)
    )


# What the dialects' list pages show of lines they do not carry: totals by tax rate and counts.
_LINE_AMOUNTS = ("invoice_id", "vat_rate_percent", "amount_discount", "amount_net", "amount_tax", "amount_total")


@cache
def _lines_of_invoices(*, amounts_only: bool) -> Select[Any]:
    columns = [invoice_lines.c[name] for name in _LINE_AMOUNTS] if amounts_only else [invoice_lines]
    return (
        select(*columns)
        .where(tenant_bound(invoice_lines), invoice_lines.c.invoice_id.in_(bindparam("invoice_ids", expanding=True)))
        .order_by(invoice_lines.c.invoice_id, invoice_lines.c.position)
    )


@cache
def _line_counts_of_invoices() -> Select[Any]:
    return (
        select(invoice_lines.c.invoice_id, func.count())
        .where(tenant_bound(invoice_lines), invoice_lines.c.invoice_id.in_(bindparam("invoice_ids", expanding=True)))
        .group_by(invoice_lines.c.invoice_id)
    )


@cache
def _claim(value_keys: tuple[str, ...], *, pinned_version: bool, event_keys: tuple[str, ...] | None) -> Executable:
    """The conditional update of a transition, built once per shape (which columns it sets,
    whether it pins the version, whether its event is written by the same statement)."""
    statement = update(invoices).where(
        tenant_bound(invoices),
        invoices.c.id == bindparam("invoice_id"),
        invoices.c.status.in_(bindparam("from_statuses", expanding=True)),
    )
    if pinned_version:
        statement = statement.where(invoices.c.version == bindparam("expected_version"))
    changes = {key: bindparam(f"set_{key}", type_=invoices.c[key].type) for key in value_keys}
    statement = statement.values(version=invoices.c.version + 1, **changes).returning(invoices)
    if event_keys is None:
        return statement
    changed = statement.cte("changed")
    return select(changed).add_cte(append_after(changed, event_keys).cte("appended"))


def _filter_values(filters: InvoiceFilter) -> dict[str, Any]:
    """The filters given, as the parameters `_where` binds (`f_<name>`), in a fixed order."""
    given: dict[str, Any] = {
        "statuses": list(filters.statuses) if filters.statuses else None,
        "customer_id": filters.customer_id,
        "archived": filters.archived,
        "issue_date_from": filters.issue_date_from,
        "issue_date_to": filters.issue_date_to,
        "search": like_pattern(filters.search) if filters.search else None,
        "due_before": filters.due_before,
    }
    return {f"f_{name}": value for name, value in given.items() if value is not None}


def _where(statement: Select[Any], names: tuple[str, ...]) -> Select[Any]:
    """`statement` narrowed by the filters named (`_filter_values`' keys), values left to bind."""
    conditions: dict[str, Any] = {
        "f_statuses": lambda: invoices.c.status.in_(bindparam("f_statuses", expanding=True)),
        "f_customer_id": lambda: invoices.c.customer_id == bindparam("f_customer_id"),
        "f_archived": lambda: invoices.c.is_archived == bindparam("f_archived"),
        "f_issue_date_from": lambda: invoices.c.issue_date >= bindparam("f_issue_date_from"),
        "f_issue_date_to": lambda: invoices.c.issue_date <= bindparam("f_issue_date_to"),
        "f_search": lambda: invoices.c.search_key.like(bindparam("f_search"), escape="\\"),
        "f_due_before": lambda: invoices.c.due_date < bindparam("f_due_before"),
    }
    return statement.where(*(conditions[name]() for name in names))


@cache
def _page(names: tuple[str, ...], *, after: bool, oldest_first: bool = False) -> Select[Any]:
    """A keyset page, newest first (or oldest first), built once per combination of filters."""
    statement = _where(_visible_with_customer(), names)
    if after:
        statement = statement.where(
            invoices.c.id > bindparam("after_id") if oldest_first else invoices.c.id < bindparam("after_id")
        )
    order = invoices.c.id.asc() if oldest_first else invoices.c.id.desc()
    return statement.order_by(order).limit(bindparam("row_limit", type_=Integer))


class InvoiceRepository(TenantScopedRepository):
    table = invoices

    def _with_customer(self) -> Select[Any]:
        return _visible_with_customer().params(**self.bound())

    async def insert(self, **values: Any) -> RowMapping:
        """A new invoice, with its stable UUID (documents' id; UBL-TR's cbc:UUID)."""
        values.setdefault("uuid", str(uuid.uuid4()))
        statement = self.insert_values(
            public_id=new_public_id(), search_key=invoice_search_key(values), **values
        ).returning(invoices)
        return await fetch_one(self.connection, statement)

    async def get(
        self, invoice_id: int, *, for_update: bool = False, include_deleted: bool = False
    ) -> InvoiceRow | None:
        """A visible (not deleted) invoice with its customer; `for_update` locks the row;
        `include_deleted` finds a deleted one too."""
        statement = _one_with_customer(for_update=for_update, include_deleted=include_deleted)
        row = await fetch_optional(self.connection, statement, self.bound(invoice_id=invoice_id))
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
        # A searched column changes with its key (`with_search_key`), or search would miss it.
        if any(name in values for name in SEARCHED) and "search_key" not in values:
            raise ValueError("a change of a searched column must set search_key too (with_search_key)")
        # SQLite has no data-modifying CTEs: there the event is a second statement.
        pending = event.values() if event is not None and is_postgresql(self.connection) else {}
        statement = _claim(
            tuple(sorted(values)),
            pinned_version=expected_version is not None,
            event_keys=tuple(sorted(pending)) if pending else None,
        )
        params = self.bound(
            invoice_id=invoice_id,
            from_statuses=list(from_statuses),
            expected_version=expected_version,
            **{f"set_{key}": value for key, value in values.items()},
            **{f"event_{key}": value for key, value in pending.items()},
        )
        row = await fetch_optional(self.connection, statement, params)
        if row is not None and event is not None:
            if pending:  # written by the statement itself; its webhook goes out as every event's does
                note_event(self.connection, self.tenant_id, INVOICE, row["id"], event.type, event.at)
            else:
                await EventRepository(self.connection, self.tenant_id).append_for(row, event)
        return row

    async def mark_read(self, invoice_id: int, *, event: PendingEvent) -> RowMapping | None:
        """Sets `is_read` on an invoice with a number that is not read yet, and appends `event`;
        None when it was read already (or is a draft): of concurrent first opens exactly one wins."""
        statement = (
            self.update_table()
            .where(
                invoices.c.id == invoice_id,
                invoices.c.is_read.is_(False),
                invoices.c.status.not_in(["draft", "deleted"]),
            )
            .values(is_read=True, version=invoices.c.version + 1, updated_at=event.at)
            .returning(invoices)
        )
        row = await fetch_optional(self.connection, statement)
        if row is not None:
            await EventRepository(self.connection, self.tenant_id).append_for(row, event)
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

    async def lines_for(
        self, invoice_ids: Collection[int], *, amounts_only: bool = False
    ) -> dict[int, list[RowMapping]]:
        """Each invoice's lines in order; `amounts_only`: only `invoice_id`, the rate and the amounts."""
        if not invoice_ids:
            return {}
        if len(invoice_ids) == 1 and not amounts_only:
            (only,) = invoice_ids
            statement, params = _lines_of_invoice(), self.bound(invoice_id=only)
        else:
            statement = _lines_of_invoices(amounts_only=amounts_only)
            params = self.bound(invoice_ids=list(invoice_ids))
        grouped: dict[int, list[RowMapping]] = {invoice_id: [] for invoice_id in invoice_ids}
        for row in (await self.connection.execute(statement, params)).mappings():
            grouped[row["invoice_id"]].append(row)
        return grouped

    async def line_counts(self, invoice_ids: Collection[int]) -> dict[int, int]:
        """How many lines each invoice has (0 for one without lines)."""
        counts = dict.fromkeys(invoice_ids, 0)
        if counts:
            params = self.bound(invoice_ids=list(counts))
            for invoice_id, count in (await self.connection.execute(_line_counts_of_invoices(), params)).all():
                counts[invoice_id] = int(count)
        return counts

    async def count_lines(self, invoice_id: int) -> int:
        statement = self.select_from_table(func.count(), table=invoice_lines).where(
            invoice_lines.c.invoice_id == invoice_id
        )
        return int((await self.connection.execute(statement)).scalar_one())

    async def page(
        self, filters: InvoiceFilter, *, after_id: int | None, limit: int, oldest_first: bool = False
    ) -> list[InvoiceRow]:
        """Newest first (or oldest); `limit + 1` rows so the caller can tell whether more follow."""
        values = _filter_values(filters)
        statement = _page(tuple(values), after=after_id is not None, oldest_first=oldest_first)
        params = self.bound(after_id=after_id, row_limit=limit + 1, **values)
        return [_split(row) for row in (await self.connection.execute(statement, params)).mappings()]

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

    async def amounts_of_customer(self, customer_id: int, *, statuses: Collection[str]) -> list[RowMapping]:
        """The currency, status and money columns (what `facts_of` reads) of the customer's
        invoices in `statuses`."""
        columns = [invoices.c[name] for name in ("currency", *FACT_COLUMNS)]
        statement = self.select_from_table(*columns).where(
            invoices.c.customer_id == customer_id, invoices.c.status.in_(list(statuses))
        )
        return await fetch_all(self.connection, statement)

    async def set_highlevel_details(self, invoice_id: int, details: str) -> None:
        """HighLevel-only fields (JSON text), written in the same transaction as the change they belong to."""
        statement = self.update_table().where(invoices.c.id == invoice_id).values(highlevel_details=details)
        await self.connection.execute(statement)

    def _filtered(self, statement: Select[Any], filters: InvoiceFilter) -> Select[Any]:
        values = _filter_values(filters)
        return _where(statement, tuple(values)).params(**values)
