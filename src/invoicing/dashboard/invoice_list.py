"""The invoice list: filters, search, sort, cursor pages, totals per currency, CSV export.

The filters map onto the API's own (`InvoiceFilter`); overdue is the lifecycle's
(`AWAITING_PAYMENT` past the due date in the tenant's today). Totals add the API's decimal
strings as Decimals, per currency, for the invoices shown.
"""

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import Response

from invoicing.core.errors import Unprocessable
from invoicing.core.pagination import decode_cursor, encode_cursor
from invoicing.customers.service import list_customers
from invoicing.dashboard.context import Page, signed_in
from invoicing.dashboard.security import PAGE_HEADERS
from invoicing.dashboard.templating import render
from invoicing.invoices.lifecycle import AWAITING_PAYMENT, INVOICED, is_overdue
from invoicing.invoices.repository import InvoiceFilter
from invoicing.invoices.representation import invoice_resource
from invoicing.invoices.service import list_invoices, today_in
from invoicing.invoices.transitions import InvoiceView

router = APIRouter()

PAGE_SIZE = 50
CSV_PAGE = 500
CSV_MAX_ROWS = 50_000  # one export's bound; narrow the filters for more
CUSTOMER_CHOICES = 500  # the customer filter lists this many, by name; more are reached by search
OVERDUE = "overdue"
STATUS_CHOICES = ("draft", "issued", OVERDUE, "partially_paid", "paid", "cancelled", "void")
ARCHIVED_CHOICES = {"no": False, "yes": True, "any": None}
SORTS = ("newest", "oldest")
CSV_COLUMNS = (
    "document_number",
    "status",
    "receiver_name",
    "issue_date",
    "due_date",
    "currency",
    "amount_tax_exclusive",
    "amount_tax_total",
    "amount_payable",
    "amount_paid",
    "amount_due",
    "is_archived",
    "public_id",
)


@dataclass(frozen=True, slots=True)
class ListQuery:
    search: str
    status: str
    customer_id: int | None
    date_from: date | None
    date_to: date | None
    archived: str
    sort: str
    cursor: str

    def link(self, **changes: Any) -> str:
        values = {
            "q": self.search,
            "status": self.status,
            "customer": "" if self.customer_id is None else str(self.customer_id),
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "archived": self.archived,
            "sort": self.sort,
            "cursor": "",
        } | changes
        return "?" + "&".join(f"{name}={quote(value, safe='')}" for name, value in values.items() if value)


def parse_query(request: Request) -> ListQuery:
    """The list's query string; a value it cannot use is a 422 naming the field."""
    params = request.query_params
    status = params.get("status", "")
    if status and status not in STATUS_CHOICES:
        raise Unprocessable.field("status", "Choose a status from the list.")
    archived = params.get("archived", "no") or "no"
    if archived not in ARCHIVED_CHOICES:
        raise Unprocessable.field("archived", "archived is no, yes or any.")
    sort = params.get("sort", "newest") or "newest"
    if sort not in SORTS:
        raise Unprocessable.field("sort", "sort is newest or oldest.")
    customer = params.get("customer", "")
    if customer and not customer.isdigit():
        raise Unprocessable.field("customer", "Choose a customer from the list.")
    query = ListQuery(
        search=params.get("q", "").strip()[:200],
        status=status,
        customer_id=int(customer) if customer else None,
        date_from=_date(params.get("from", ""), "from"),
        date_to=_date(params.get("to", ""), "to"),
        archived=archived,
        sort=sort,
        cursor=params.get("cursor", ""),
    )
    if query.date_from and query.date_to and query.date_to < query.date_from:
        raise Unprocessable.field("to", "The end of the date range is before its start.")
    return query


def _date(text: str, field: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Unprocessable.field(field, "Enter a date as YYYY-MM-DD.") from None


def invoice_filter(query: ListQuery, today: date) -> InvoiceFilter:
    statuses: tuple[str, ...] | None = None
    due_before = None
    if query.status == OVERDUE:
        statuses, due_before = tuple(sorted(AWAITING_PAYMENT)), today
    elif query.status:
        statuses = (query.status,)
    return InvoiceFilter(
        statuses=statuses,
        customer_id=query.customer_id,
        archived=ARCHIVED_CHOICES[query.archived],
        issue_date_from=query.date_from,
        issue_date_to=query.date_to,
        search=query.search or None,
        due_before=due_before,
    )


def listed(views: Sequence[InvoiceView], today: date) -> list[dict[str, Any]]:
    """The rows of an invoice table: each invoice's resource (no lines) with its status chip."""
    resources = [invoice_resource(view, with_lines=False) for view in views]
    for resource in resources:
        resource["chip"] = chip(resource, today)
    return resources


def chip(resource: dict[str, Any], today: date) -> str:
    """The status chip: the status, or overdue when it waits for money past its due date."""
    due = date.fromisoformat(resource["due_date"]) if resource["due_date"] else None
    return OVERDUE if is_overdue(resource["status"], due, today) else resource["status"]


def totals_by_currency(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    sums: dict[str, dict[str, Decimal]] = defaultdict(lambda: {"payable": Decimal(0), "due": Decimal(0)})
    counts: dict[str, int] = defaultdict(int)
    for resource in resources:
        if resource["status"] not in INVOICED:
            continue  # drafts, cancelled and void invoices bill nothing; they would distort the sums
        code = resource["currency"]["code"]
        sums[code]["payable"] += Decimal(resource["amount_payable"])
        sums[code]["due"] += Decimal(resource["amount_due"])
        counts[code] += 1
    return [
        {"currency": code, "count": counts[code], "payable": str(sums[code]["payable"]), "due": str(sums[code]["due"])}
        for code in sorted(sums)
    ]


async def _page_of(page: Page, query: ListQuery, *, limit: int, cursor: str) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the list's rows and the cursor of the next, if there is one."""
    today = today_in(page.tenant["timezone"])
    views, size = await list_invoices(
        page.context,
        invoice_filter(query, today),
        after_id=decode_cursor(cursor),
        limit=limit,
        oldest_first=query.sort == "oldest",
    )
    next_cursor = encode_cursor(views[size - 1].invoice["id"]) if len(views) > size else None
    return listed(views[:size], today), next_cursor


def _cell(value: object) -> str:
    """A CSV cell; text a spreadsheet would run as a formula (=, +, -, @ first) is quoted as text."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


@router.get("/invoices")
async def invoices_page(request: Request) -> Response:
    async with signed_in(request) as page:
        query = parse_query(request)
        resources, next_cursor = await _page_of(page, query, limit=PAGE_SIZE, cursor=query.cursor)
        customers = await list_customers(
            page.context.connection,
            tenant_id=page.context.tenant_id,
            search=None,
            after_id=None,
            limit=CUSTOMER_CHOICES,
        )
        return render(
            request,
            "invoices/list.html",
            page=page,
            section="invoices",
            query=query,
            invoices=resources,
            totals=totals_by_currency(resources),
            next_link=query.link(cursor=next_cursor) if next_cursor else None,
            first_link=query.link() if query.cursor else None,
            customers=customers,
            status_choices=STATUS_CHOICES,
        )


@router.get("/invoices.csv")
async def invoices_csv(request: Request) -> Response:
    async with signed_in(request) as page:
        query = parse_query(request)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        cursor, written = "", 0
        while written < CSV_MAX_ROWS:
            resources, next_cursor = await _page_of(page, query, limit=CSV_PAGE, cursor=cursor)
            for resource in resources:
                row = {**resource, "currency": resource["currency"]["code"]}
                writer.writerow([_cell(row[column]) for column in CSV_COLUMNS])
            written += len(resources)
            if next_cursor is None:
                break
            cursor = next_cursor
    headers = {**PAGE_HEADERS, "Content-Disposition": 'attachment; filename="invoices.csv"'}
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
