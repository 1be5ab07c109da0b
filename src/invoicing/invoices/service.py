"""Invoice services: one short function per action, in a fixed order.

not found -> input -> lock -> lifecycle guard -> change -> event (same transaction).
Services never commit: the caller's transaction does (the request, or the CLI).
"""

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import RowMapping

from invoicing.core.clock import utc_now
from invoicing.core.context import TenantContext
from invoicing.core.errors import Unprocessable
from invoicing.core.repository import Record
from invoicing.currencies.catalog import Currency
from invoicing.customers.service import CustomerNotFound, get_customer
from invoicing.documents.links import new_hosted_token
from invoicing.events.repository import EventRepository
from invoicing.invoices import drafts
from invoicing.invoices.catalogs import DEFAULT_DOCUMENT_CLASS, DEFAULT_DOCUMENT_TYPE, DEFAULT_PROFILE_BY_CLASS
from invoicing.invoices.lifecycle import AWAITING_PAYMENT, Action, InvoiceNotFound, Status, amount_due
from invoicing.invoices.money import MONEY_CONTEXT, ZERO
from invoicing.invoices.repository import InvoiceFilter, InvoiceRepository, InvoiceRow
from invoicing.invoices.schemas import InvoiceCreate, InvoiceUpdate, LineIn
from invoicing.invoices.transitions import InvoiceView, Locked, apply, facts_of, load, lock_for, record
from invoicing.parties.snapshot import frozen_parties
from invoicing.series.repository import SeriesRepository
from invoicing.series.service import format_document_number
from invoicing.tenants.repository import TenantRepository


async def create_draft(context: TenantContext, data: InvoiceCreate) -> InvoiceView:
    """A new draft (no number) and its `invoice.created` event. Raises Unprocessable on bad references."""
    tenant = await _tenant(context)
    currency = drafts.resolve_currency(data.currency or tenant["base_currency"])
    series = await _series(context, data.series_name)
    customer = await _customer(context, data.customer_id)
    exchange_rate = data.exchange_rate or drafts.ONE
    priced = _priced(tenant, currency, exchange_rate, data.lines or [])
    document_class = data.document_class or DEFAULT_DOCUMENT_CLASS
    now = utc_now()
    repository = InvoiceRepository(context.connection, context.tenant_id)
    invoice = await repository.insert(
        customer_id=data.customer_id,
        series_id=series["id"],
        series_name=series["name"],
        currency=currency.code,
        document_class=document_class,
        document_type=data.document_type or DEFAULT_DOCUMENT_TYPE,
        profile_id=data.profile_id or DEFAULT_PROFILE_BY_CLASS[document_class],
        issue_date=data.issue_date,
        due_date=data.due_date,
        delivery_date=data.delivery_date,
        notes=data.notes,
        exchange_rate=exchange_rate,
        sender_tax_number=tenant["tax_number"],
        **drafts.receiver_snapshot(customer),
        **priced.header,
        amount_paid=ZERO,
        status=Status.DRAFT.value,
        is_archived=False,
        is_read=False,
        is_printed=False,
        version=1,
        created_at=now,
        updated_at=now,
    )
    await repository.replace_lines(invoice["id"], priced.rows)
    await record(context, invoice, "invoice.created", from_status=None, at=now)
    return await get_invoice(context, invoice["id"])


async def price_draft(
    context: TenantContext, *, currency: str | None, lines: Sequence[LineIn], exchange_rate: Decimal | None = None
) -> tuple[Currency, drafts.PricedLines]:
    """The currency and the amounts `create_draft` would store for these lines (default currency: the
    tenant's), storing nothing: the dashboard's live totals. Raises Unprocessable as `create_draft` does."""
    tenant = await _tenant(context)
    resolved = drafts.resolve_currency(currency or tenant["base_currency"])
    return resolved, _priced(tenant, resolved, exchange_rate or drafts.ONE, lines)


async def open_balance_by_currency(context: TenantContext, customer_id: int) -> list[tuple[str, Decimal, int]]:
    """Per currency, in code order: what the customer's invoices awaiting payment still ask
    (the sum of their `amount_due`) and how many they are. Pre: the customer is the tenant's."""
    rows = await InvoiceRepository(context.connection, context.tenant_id).amounts_of_customer(
        customer_id, statuses=sorted(AWAITING_PAYMENT)
    )
    sums: dict[str, tuple[Decimal, int]] = {}
    # Summed as Decimals, with the lifecycle's own amount due: SQLite keeps money as text.
    for row in rows:
        due, count = sums.get(row["currency"], (ZERO, 0))
        sums[row["currency"]] = (MONEY_CONTEXT.add(due, amount_due(facts_of(row))), count + 1)
    return [(code, due, count) for code, (due, count) in sorted(sums.items())]


async def update_draft(context: TenantContext, invoice_id: int, data: InvoiceUpdate) -> InvoiceView:
    """Replaces the fields sent and recomputes totals. Pre: a draft; else 409 invoice_not_editable."""
    locked = await lock_for(context, invoice_id, Action.UPDATE)
    changes = data.model_dump(exclude_unset=True, exclude={"lines"})
    _refuse_cleared(changes, "currency", "series_name")
    invoice = locked.invoice
    tenant = await _tenant(context)
    currency = drafts.resolve_currency(changes.get("currency") or invoice["currency"])
    values: dict[str, Any] = {
        key: changes[key] for key in ("issue_date", "due_date", "delivery_date", "notes") if key in changes
    }
    _check_dates(values.get("issue_date", invoice["issue_date"]), values.get("due_date", invoice["due_date"]))
    for key in ("document_class", "document_type", "profile_id", "exchange_rate"):
        if changes.get(key) is not None:
            values[key] = changes[key]
    if "document_class" in values and "profile_id" not in values:
        values["profile_id"] = DEFAULT_PROFILE_BY_CLASS[values["document_class"]]
    if "series_name" in changes:
        series = await _series(context, changes["series_name"])
        values.update(series_id=series["id"], series_name=series["name"])
    if "customer_id" in changes:
        values["customer_id"] = changes["customer_id"]
        values.update(drafts.receiver_snapshot(await _customer(context, changes["customer_id"])))
    line_inputs = (
        drafts.line_inputs_from_request(data.lines)
        if data.lines is not None
        else drafts.line_inputs_from_rows((await locked.repository.lines_for([invoice_id]))[invoice_id])
    )
    priced = drafts.price_lines(
        line_inputs,
        currency=currency,
        exchange_rate=values["exchange_rate"] if "exchange_rate" in values else invoice["exchange_rate"],
        base_currency=drafts.resolve_currency(tenant["base_currency"]),
    )
    # Lines first: `apply` reads them back for the response.
    await locked.repository.replace_lines(invoice_id, priced.rows)
    values.update(currency=currency.code, **priced.header)
    view = await apply(context, locked, Action.UPDATE, at=utc_now(), values=values)
    # The locked view carries the customer from before the change; a new one is read back.
    return await get_invoice(context, invoice_id) if "customer_id" in changes else view


async def issue_invoice(context: TenantContext, invoice_id: int) -> InvoiceView:
    """Assigns the next gapless number of (series, year) and freezes the totals.

    Pre: a draft with a customer and at least one line. The number is taken in this
    transaction, so if anything later fails it is given back.
    """
    locked = await lock_for(context, invoice_id, Action.ISSUE)
    now = utc_now()
    values = await issuing_values(context, locked, at=now)
    data = {"document_number": values["document_number"]}
    return await apply(context, locked, Action.ISSUE, at=now, values=values, data=data)


async def issuing_values(context: TenantContext, locked: Locked, *, at: datetime) -> dict[str, Any]:
    """What issuing a locked draft writes: its number, issue date, receiver snapshot, the
    seller's and buyer's details and the locale frozen for its documents (parties.snapshot),
    and the hosted page's token (256 random bits: the link is the page's only credential).

    Raises Unprocessable: `customer_deleted` if its customer was deleted, `invoice_incomplete`
    without a customer or lines.
    """
    await _refuse_incomplete(locked)
    invoice = locked.invoice
    tenant = await _tenant(context)
    issue_date = invoice["issue_date"] or today_in(tenant["timezone"])
    receiver = drafts.receiver_snapshot(locked.row.customer)
    sequence = await SeriesRepository(context.connection, context.tenant_id).next_number(
        invoice["series_id"], issue_date.year
    )
    return {
        "document_number": format_document_number(invoice["series_name"], issue_date.year, sequence),
        "number_year": issue_date.year,
        "number_sequence": sequence,
        "issue_date": issue_date,
        "issued_at": at,
        "hosted_token": new_hosted_token(),
        **receiver,
        **frozen_parties(tenant, locked.row.customer, receiver),
    }


async def get_invoice(context: TenantContext, invoice_id: int) -> InvoiceView:
    repository = InvoiceRepository(context.connection, context.tenant_id)
    current = await load(repository, invoice_id)
    lines = (await repository.lines_for([invoice_id]))[invoice_id]
    return InvoiceView(invoice=current.invoice, customer=current.customer, lines=lines)


async def invoice_id_by_public_id(context: TenantContext, public_id: str, *, customer_id: int | None = None) -> int:
    """The integer id of a visible invoice named by its `public_id` (the dialects' string ids); with
    `customer_id`, only if it bills that customer. Raises InvoiceNotFound otherwise."""
    repository = InvoiceRepository(context.connection, context.tenant_id)
    found = await repository.id_by_public_id(public_id, customer_id=customer_id)
    if found is None:
        raise InvoiceNotFound("Invoice not found.")
    return found


async def set_highlevel_details(context: TenantContext, invoice_id: int, details: str) -> None:
    """HighLevel's own fields of the invoice (JSON text), in the transaction of the change they come with.
    Pre: the invoice is visible to `context` (the caller has just read or changed it)."""
    await InvoiceRepository(context.connection, context.tenant_id).set_highlevel_details(invoice_id, details)


async def invoice_as_changed(context: TenantContext, invoice_id: int) -> InvoiceView:
    """The invoice as this transaction left it, a deleted draft included (its webhook's data)."""
    repository = InvoiceRepository(context.connection, context.tenant_id)
    current = await repository.get(invoice_id, include_deleted=True)
    if current is None:
        raise InvoiceNotFound("Invoice not found.")
    lines = (await repository.lines_for([invoice_id]))[invoice_id]
    return InvoiceView(invoice=current.invoice, customer=current.customer, lines=lines)


class ListedLines(Enum):
    """What a list page reads of its invoices' lines (finding: a page of 20 invoices of 500
    lines was 7 MB). The single invoice always carries all of its lines."""

    NONE = "none"  # the primary API's lists: its invoice carries its own totals
    AMOUNTS = "amounts"  # the dialects' lists: each line's amounts, for the totals and counts they show
    ALL = "all"  # `expand=lines`: whole lines, for as many invoices as fit in the page's line budget


async def list_invoices(
    context: TenantContext,
    filters: InvoiceFilter,
    *,
    after_id: int | None,
    limit: int,
    lines: ListedLines = ListedLines.NONE,
    line_budget: int = 0,
    oldest_first: bool = False,
) -> tuple[list[InvoiceView], int]:
    """Newest first (or oldest first): `limit + 1` invoices at most (the extra one tells the caller another page
    exists), and the page size to cut them at: `limit`, or fewer with ListedLines.ALL when
    `limit` invoices would carry more than `line_budget` lines (the first invoice always fits)."""
    repository = InvoiceRepository(context.connection, context.tenant_id)
    rows = await repository.page(filters, after_id=after_id, limit=limit, oldest_first=oldest_first)
    size = limit
    if lines is ListedLines.ALL:
        size = await _fitting(repository, rows[:limit], line_budget) if rows else limit
        rows = rows[: size + 1]
    return await _views(repository, rows, rows[:size], lines), size


async def list_invoices_by_offset(
    context: TenantContext,
    filters: InvoiceFilter,
    *,
    offset: int,
    limit: int,
    by_issue_date: bool,
    ascending: bool,
    lines: ListedLines = ListedLines.NONE,
    line_budget: int = 0,
) -> tuple[list[InvoiceView], int]:
    """One offset page (HighLevel's lists) and how many invoices match the filters in all. With
    ListedLines.ALL the page ends early where `line_budget` would be exceeded (as `list_invoices`)."""
    repository = InvoiceRepository(context.connection, context.tenant_id)
    rows = await repository.offset_page(
        filters, offset=offset, limit=limit, by_issue_date=by_issue_date, ascending=ascending
    )
    if lines is ListedLines.ALL and rows:
        rows = rows[: await _fitting(repository, rows, line_budget)]
    return await _views(repository, rows, rows, lines), await repository.count(filters)


def fitting_count(line_counts: Sequence[int], budget: int) -> int:
    """How many invoices, in page order, fit in `budget` lines: at least one, whatever its lines."""
    carried = 0
    for taken, count in enumerate(line_counts):
        carried += count
        if carried > budget and taken > 0:
            return taken
    return len(line_counts)


async def _fitting(repository: InvoiceRepository, rows: Sequence[InvoiceRow], budget: int) -> int:
    counts = await repository.line_counts([row.invoice["id"] for row in rows])
    return fitting_count([counts[row.invoice["id"]] for row in rows], budget)


async def _views(
    repository: InvoiceRepository, rows: Sequence[InvoiceRow], shown: Sequence[InvoiceRow], lines: ListedLines
) -> list[InvoiceView]:
    """Views of `rows`, with what `lines` asks for read for the `shown` ones (the rest is never rendered)."""
    if lines is ListedLines.NONE:
        return [InvoiceView(row.invoice, row.customer, []) for row in rows]
    read = await repository.lines_for([row.invoice["id"] for row in shown], amounts_only=lines is ListedLines.AMOUNTS)
    if lines is ListedLines.AMOUNTS:
        return [InvoiceView(row.invoice, row.customer, [], read.get(row.invoice["id"], [])) for row in rows]
    return [InvoiceView(row.invoice, row.customer, read.get(row.invoice["id"], [])) for row in rows]


async def list_events(context: TenantContext, invoice_id: int) -> list[RowMapping]:
    await load(InvoiceRepository(context.connection, context.tenant_id), invoice_id)
    return await EventRepository(context.connection, context.tenant_id).for_invoice(invoice_id)


# -- helpers ----------------------------------------------------------------------------------


async def _refuse_incomplete(locked: Locked) -> None:
    errors: dict[str, list[str]] = {}
    customer = locked.row.customer
    if customer is not None and customer["deleted_at"] is not None:
        message = "The invoice's customer has been deleted; name another customer to issue it."
        raise Unprocessable.field("customer_id", message, code="customer_deleted")
    if customer is None:
        errors["customer_id"] = ["An invoice needs a customer to be issued."]
    if await locked.repository.count_lines(locked.invoice["id"]) == 0:
        errors["lines"] = ["An invoice needs at least one line to be issued."]
    if errors:
        raise Unprocessable("The invoice is incomplete.", code="invoice_incomplete", errors=errors)


async def _tenant(context: TenantContext) -> RowMapping:
    tenant = await TenantRepository(context.connection).get(context.tenant_id)
    if tenant is None:  # a token outlived its tenant: nothing of that tenant can be found
        raise InvoiceNotFound("Invoice not found.")
    return tenant


async def _series(context: TenantContext, name: str | None) -> RowMapping:
    repository = SeriesRepository(context.connection, context.tenant_id)
    series = await (repository.by_name(name) if name else repository.default())
    if series is not None and series["kind"] != "invoice":
        raise Unprocessable.field("series_name", f"The series {name} numbers credit notes.", code="unknown_series")
    if series is None:
        message = f"The series {name} does not exist." if name else "The tenant has no default series."
        raise Unprocessable.field("series_name", message, code="unknown_series")
    return series


async def _customer(context: TenantContext, customer_id: int | None) -> RowMapping | None:
    if customer_id is None:
        return None
    try:
        return await get_customer(context.connection, tenant_id=context.tenant_id, customer_id=customer_id)
    except CustomerNotFound:
        raise Unprocessable.field(
            "customer_id", f"Customer {customer_id} does not exist.", code="unknown_customer"
        ) from None


def _priced(
    tenant: RowMapping, currency: Currency, exchange_rate: Decimal, lines: Sequence[LineIn]
) -> drafts.PricedLines:
    """A new draft's lines as `create_draft` stores them (the preview's too, so the two agree)."""
    return drafts.price_lines(
        drafts.line_inputs_from_request(lines),
        currency=currency,
        exchange_rate=exchange_rate,
        base_currency=drafts.resolve_currency(tenant["base_currency"]),
    )


def _refuse_cleared(changes: Record, *keys: str) -> None:
    for key in keys:
        if key in changes and changes[key] is None:
            raise Unprocessable.field(key, f"{key} cannot be cleared.")


def _check_dates(issue_date: date | None, due_date: date | None) -> None:
    if issue_date and due_date and due_date < issue_date:
        raise Unprocessable.field("due_date", "due_date cannot be before issue_date.")


def today_in(timezone: str) -> date:
    """The tenant's today (its timezone's calendar day): issue dates and overdue are counted in it."""
    return datetime.now(ZoneInfo(timezone)).date()
