"""Thin: parse, call one service, render."""

import re
from typing import Annotated

from fastapi import Query, Request
from pydantic import WithJsonSchema

from invoicing.auth.dependencies import ReadContext, WriteContext
from invoicing.core.errors import Unprocessable
from invoicing.core.pagination import cut_page, decode_cursor
from invoicing.core.paging_params import NO_NUL, Cursor, ExpandLines, Limit, line_budget, page_size
from invoicing.core.responses import JsonResponse, envelope
from invoicing.core.routing import api_router
from invoicing.core.schemas import (
    AUTHENTICATED,
    CHANGES_INVOICE,
    UNSAFE,
    Envelope,
    PageEnvelope,
    PositiveId,
    problem_responses,
)
from invoicing.core.wire_types import FilterDate
from invoicing.events.representation import event_resource
from invoicing.invoices import service
from invoicing.invoices.lifecycle import Status
from invoicing.invoices.repository import InvoiceFilter
from invoicing.invoices.representation import invoice_resource, invoice_response
from invoicing.invoices.schemas import EventResource, InvoiceCreate, InvoiceListItem, InvoiceResource, InvoiceUpdate

router = api_router(prefix="/invoices", tags=["invoices"])

LISTABLE_STATUSES = [status.value for status in Status if status is not Status.DELETED]


_ONE_STATUS = f" *({'|'.join(LISTABLE_STATUSES)}) *"
STATUS_FILTER_PATTERN = f"^({_ONE_STATUS}(,{_ONE_STATUS})*)?$"
_STATUS_FILTER = re.compile(STATUS_FILTER_PATTERN)


def _statuses(text: str | None) -> list[str] | None:
    if text is not None and not _STATUS_FILTER.search(text):
        raise Unprocessable.field(
            "status", f"status takes one or more of {', '.join(LISTABLE_STATUSES)}, comma-separated."
        )
    return [part.strip() for part in text.split(",")] if text and text.strip() else None


def _archived(text: str) -> bool | None:
    return {"false": False, "true": True, "any": None}[text]


@router.post(
    "",
    status_code=201,
    summary="Create a draft invoice",
    response_model=Envelope[InvoiceResource],
    responses=problem_responses(*UNSAFE),
)
async def create_invoice(body: InvoiceCreate, context: WriteContext) -> JsonResponse:
    view = await service.create_draft(context, body)
    return invoice_response(view, envelope(invoice_resource(view)), status_code=201)


@router.get(
    "",
    summary="List invoices (newest first, cursor pages; lines only with expand=lines)",
    response_model=PageEnvelope[InvoiceListItem],
    responses=problem_responses(*AUTHENTICATED),
)
async def list_invoices(
    request: Request,
    context: ReadContext,
    status: Annotated[
        str | None,
        WithJsonSchema({"type": "string", "pattern": STATUS_FILTER_PATTERN}),
        Query(description="One status or several, comma-separated."),
    ] = None,
    customer_id: Annotated[PositiveId | None, Query()] = None,
    archived: Annotated[
        str, Query(pattern="^(true|false|any)$", description="Archived invoices are hidden unless asked for.")
    ] = "false",
    issue_date_from: Annotated[FilterDate | None, Query()] = None,
    issue_date_to: Annotated[FilterDate | None, Query()] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=NO_NUL,
            description="Matches number, receiver name or notes, in any case (Turkish I/İ/ı/i alike).",
        ),
    ] = None,
    cursor: Cursor = None,
    limit: Limit = None,
    expand: ExpandLines = None,
) -> JsonResponse:
    size = page_size(request, limit)
    filters = InvoiceFilter(
        statuses=_statuses(status),
        customer_id=customer_id,
        archived=_archived(archived),
        issue_date_from=issue_date_from,
        issue_date_to=issue_date_to,
        search=q,
    )
    lines = service.ListedLines.ALL if expand else service.ListedLines.NONE
    views, size = await service.list_invoices(
        context, filters, after_id=decode_cursor(cursor), limit=size, lines=lines, line_budget=line_budget(request)
    )
    shown, meta = cut_page(views, size, lambda view: int(view.invoice["id"]))
    return JsonResponse(envelope([invoice_resource(view, with_lines=bool(expand)) for view in shown], meta=meta))


@router.get(
    "/{invoice_id}",
    summary="Get an invoice",
    response_model=Envelope[InvoiceResource],
    responses=problem_responses(*AUTHENTICATED, 404),
)
async def get_invoice(invoice_id: PositiveId, context: ReadContext) -> JsonResponse:
    view = await service.get_invoice(context, invoice_id)
    return invoice_response(view, envelope(invoice_resource(view)))


@router.patch(
    "/{invoice_id}",
    summary="Edit a draft",
    response_model=Envelope[InvoiceResource],
    responses=problem_responses(*CHANGES_INVOICE),
)
async def update_invoice(invoice_id: PositiveId, body: InvoiceUpdate, context: WriteContext) -> JsonResponse:
    view = await service.update_draft(context, invoice_id, body)
    return invoice_response(view, envelope(invoice_resource(view)))


@router.post(
    "/{invoice_id}/issue",
    summary="Issue a draft under the next gapless number",
    response_model=Envelope[InvoiceResource],
    responses=problem_responses(*CHANGES_INVOICE),
)
async def issue_invoice(invoice_id: PositiveId, context: WriteContext) -> JsonResponse:
    view = await service.issue_invoice(context, invoice_id)
    return invoice_response(view, envelope(invoice_resource(view)))


@router.get(
    "/{invoice_id}/events",
    summary="The invoice's events, oldest first",
    response_model=Envelope[list[EventResource]],
    responses=problem_responses(*AUTHENTICATED, 404),
)
async def list_invoice_events(invoice_id: PositiveId, context: ReadContext) -> JsonResponse:
    rows = await service.list_events(context, invoice_id)
    return JsonResponse(envelope([event_resource(row) for row in rows]))
