"""Thin: FlowPayroll ids to the services' ids, one service call, FlowPayroll's envelope."""

from collections.abc import Sequence
from typing import Annotated

from fastapi import Path, Query, Request
from pydantic import WithJsonSchema
from sqlalchemy import RowMapping

from invoicing.core import clock
from invoicing.core.context import TenantContext
from invoicing.core.errors import Unprocessable
from invoicing.core.pagination import CURSOR_PATTERN, cut_page, decode_cursor
from invoicing.core.paging_params import ExpandLines, line_budget
from invoicing.core.routing import api_router
from invoicing.core.wire_types import MAX_ID, PlainInteger
from invoicing.credit_notes.service import allocations_to
from invoicing.flowpayroll import lookups
from invoicing.flowpayroll.dependencies import ReadContext, WriteContext
from invoicing.flowpayroll.representation import envelope, invoice_data, line_item_data, message, owner_of
from invoicing.flowpayroll.responses import FlowPayrollResponse
from invoicing.flowpayroll.schemas import Content, Envelope, Invoice, LineItem, PageContent, error_responses
from invoicing.invoices import actions, service
from invoicing.invoices.lifecycle import LIFECYCLE, Action
from invoicing.invoices.repository import InvoiceFilter
from invoicing.invoices.transitions import InvoiceView

router = api_router(tags=["invoices"])

ClientId = Annotated[str, Path(alias="clientId", max_length=64, description="The client's (customer's) id.")]
InvoiceId = Annotated[str, Path(alias="invoiceId", max_length=64, description="The invoice's id.")]
# Checked by after_token (400 `invalid_pagination_token`), published here.
PaginationToken = Annotated[
    str | None,
    WithJsonSchema({"type": "string", "pattern": CURSOR_PATTERN}),
    Query(alias="paginationToken", max_length=200, description="`content.metadata.paginationToken` of the last page."),
]
# The maximum is the configured MAX_PAGE_SIZE; the app's document completion writes it in.
PageSize = Annotated[
    Annotated[int, PlainInteger(minimum=1, maximum=MAX_ID)] | None,
    Query(alias="pageSize", description="Invoices per page: default 50, at most MAX_PAGE_SIZE (200)."),
]

READ_ERRORS = error_responses(400, 401, 403, 404, 503)


async def received_allocations(context: TenantContext, views: Sequence[InvoiceView]) -> dict[int, list[RowMapping]]:
    """The credit allocations each invoice received, in one query for a whole page; none is made
    when no invoice shown received any (amount_credit_applied is their sum, kept on the invoice)."""
    credited = [int(view.invoice["id"]) for view in views if view.invoice["amount_credit_applied"] > 0]
    return await allocations_to(context, credited) if credited else {}


async def invoice_response(
    context: TenantContext, view: InvoiceView, *, said: dict[str, object]
) -> FlowPayrollResponse:
    organisation_id = await lookups.organisation_id(context)
    allocations = (await received_allocations(context, [view])).get(int(view.invoice["id"]), [])
    data = invoice_data(view, organisation_id=organisation_id, allocations=allocations, now=clock.utc_now())
    return FlowPayrollResponse(envelope(data, said=said))


@router.post(
    "/invoices/{clientId}/{invoiceId}/void",
    summary="Void Invoice",
    response_model=Envelope[Content[Invoice]],
    responses=error_responses(400, 401, 403, 404, 409, 503),
)
async def void_invoice(client_id: ClientId, invoice_id: InvoiceId, context: WriteContext) -> FlowPayrollResponse:
    invoice_pk = await lookups.invoice_id_of(context, client_id, invoice_id)
    view = await actions.void_invoice(context, invoice_pk)
    return await invoice_response(context, view, said=message(LIFECYCLE[Action.VOID].message, "invoice_voided"))


@router.get(
    "/invoices/{clientId}/{invoiceId}",
    summary="Get Invoice",
    response_model=Envelope[Content[Invoice]],
    responses=READ_ERRORS,
)
async def get_invoice(client_id: ClientId, invoice_id: InvoiceId, context: ReadContext) -> FlowPayrollResponse:
    view = await service.get_invoice(context, await lookups.invoice_id_of(context, client_id, invoice_id))
    return await invoice_response(context, view, said=message("Invoice retrieved.", "invoice_retrieved"))


@router.get(
    "/invoices/{clientId}/{invoiceId}/line-items",
    summary="List Invoice Line Items",
    response_model=Envelope[Content[list[LineItem]]],
    responses=READ_ERRORS,
)
async def list_line_items(client_id: ClientId, invoice_id: InvoiceId, context: ReadContext) -> FlowPayrollResponse:
    view = await service.get_invoice(context, await lookups.invoice_id_of(context, client_id, invoice_id))
    owner = owner_of(view, await lookups.organisation_id(context))
    items = [line_item_data(line, owner) for line in view.lines]
    return FlowPayrollResponse(envelope(items, said=message("Line items retrieved.", "line_items_retrieved")))


@router.get(
    "/clients/{clientId}/invoices",
    summary="List Client Invoices (newest first; line items only with expand=lines)",
    response_model=Envelope[PageContent[Invoice]],
    responses=READ_ERRORS,
)
async def list_client_invoices(
    request: Request,
    client_id: ClientId,
    context: ReadContext,
    pagination_token: PaginationToken = None,
    page_size: PageSize = None,
    expand: ExpandLines = None,
) -> FlowPayrollResponse:
    client = await lookups.client_of(context, client_id)
    limit = bounded_page_size(request, page_size)
    # Archived invoices are listed too: FlowPayroll has no archive, so hiding them would lose them.
    filters = InvoiceFilter(customer_id=client["id"], archived=None)
    # Without expand, `lineItems` is empty (its line-items endpoint has them); the totals by rate
    # and the line counts are still those of all the invoice's lines.
    lines = service.ListedLines.ALL if expand else service.ListedLines.AMOUNTS
    views, limit = await service.list_invoices(
        context,
        filters,
        after_id=after_token(pagination_token),
        limit=limit,
        lines=lines,
        line_budget=line_budget(request),
    )
    shown, meta = cut_page(views, limit, lambda view: int(view.invoice["id"]))
    organisation_id = await lookups.organisation_id(context)
    page = {"paginationToken": meta["next_cursor"], "pageSize": limit, "hasMorePages": meta["has_more"]}
    now = clock.utc_now()
    allocations = await received_allocations(context, shown)
    data = [
        invoice_data(
            view, organisation_id=organisation_id, allocations=allocations.get(int(view.invoice["id"]), []), now=now
        )
        for view in shown
    ]
    return FlowPayrollResponse(envelope(data, said=message("Invoices retrieved.", "invoices_retrieved"), page=page))


def bounded_page_size(request: Request, page_size: int | None) -> int:
    settings = request.app.state.settings
    if page_size is None:
        return int(settings.default_page_size)
    if page_size > settings.max_page_size:
        text = f"pageSize must be at most {settings.max_page_size}."
        raise Unprocessable.field("pageSize", text, code="page_size_too_large")
    return page_size


def after_token(pagination_token: str | None) -> int | None:
    """The core cursor, opaque to clients; a token this API never gave names the field it came in."""
    try:
        return decode_cursor(pagination_token)
    except Unprocessable:
        text = "The paginationToken is not one this API returned."
        raise Unprocessable.field("paginationToken", text, code="invalid_pagination_token") from None
