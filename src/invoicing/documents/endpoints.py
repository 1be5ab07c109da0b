"""The primary API's document calls on one invoice: thin, as every endpoint."""

from typing import Annotated, Any

from fastapi import Header
from starlette.responses import Response

from invoicing.auth.dependencies import ReadContext, WriteContext
from invoicing.core.responses import JsonResponse, envelope
from invoicing.core.routing import api_router
from invoicing.core.schemas import AUTHENTICATED, CHANGES_INVOICE, Envelope, PositiveId, problem_responses
from invoicing.documents import actions, service
from invoicing.documents.service import EInvoiceFormat, Rendered
from invoicing.invoices.representation import invoice_resource, invoice_response
from invoicing.invoices.schemas import InvoiceResource

router = api_router(prefix="/invoices", tags=["invoice documents"])


@router.post(
    "/{invoice_id}/printed",
    summary="Record that the invoice was printed (idempotent)",
    description="Sets `is_printed` with one `invoice.printed` event; later calls change nothing. "
    "Fetching the PDF never does this: it stays a safe request. A draft answers 409 `invoice_not_issued`.",
    response_model=Envelope[InvoiceResource],
    responses=problem_responses(*CHANGES_INVOICE),
)
async def mark_printed(invoice_id: PositiveId, context: WriteContext) -> JsonResponse:
    view = await actions.mark_printed(context, invoice_id)
    return invoice_response(view, envelope(invoice_resource(view)))


@router.post(
    "/{invoice_id}/rotate-link",
    summary="Replace the invoice's hosted link",
    description="A new `hosted_url`; the previous one answers 404 from now on. One `invoice.link_rotated` event. "
    "A draft (which has no link) answers 409 `invoice_not_issued`.",
    response_model=Envelope[InvoiceResource],
    responses=problem_responses(*CHANGES_INVOICE),
)
async def rotate_link(invoice_id: PositiveId, context: WriteContext) -> JsonResponse:
    view = await actions.rotate_link(context, invoice_id)
    return invoice_response(view, envelope(invoice_resource(view)))


IfNoneMatchHeader = Annotated[str | None, Header(alias="If-None-Match", description="304 while the ETag matches.")]


def document_responses(media_type: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": "The document.",
            "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
        },
        304: {"description": "Unchanged since the ETag in If-None-Match."},
        **problem_responses(*AUTHENTICATED, 404, 409),
    }


def document_response(rendered: Rendered, if_none_match: str | None) -> Response:
    headers = {
        "ETag": rendered.entity_tag,
        "Content-Disposition": f'attachment; filename="{rendered.filename}"',
        "Cache-Control": "private, no-cache",
    }
    tags = {tag.strip() for tag in (if_none_match or "").split(",")}
    if rendered.entity_tag in tags or "*" in tags:
        return Response(status_code=304, headers=headers)
    return Response(rendered.content, media_type=rendered.media_type, headers=headers)


@router.get(
    "/{invoice_id}/pdf",
    summary="The invoice as PDF (PDF/A-3b; Factur-X with its CII when issued and complete)",
    description="A draft renders marked DRAFT, without a number. Safe: fetching never marks it printed "
    "(POST /invoices/{id}/printed does).",
    response_class=Response,
    responses=document_responses("application/pdf"),
)
async def get_pdf(invoice_id: PositiveId, context: ReadContext, if_none_match: IfNoneMatchHeader = None) -> Response:
    return document_response(await service.pdf(context, invoice_id), if_none_match)


@router.get(
    "/{invoice_id}/cii",
    summary="The invoice as Factur-X / ZUGFeRD CII XML (EN 16931)",
    description="Issued invoices only (a draft: 409 `invoice_not_issued`); 422 `einvoice_incomplete` names "
    "what a valid e-invoice lacks. The same bytes as the PDF's embedded factur-x.xml.",
    response_class=Response,
    responses=document_responses("application/xml"),
)
async def get_cii(invoice_id: PositiveId, context: ReadContext, if_none_match: IfNoneMatchHeader = None) -> Response:
    return document_response(await service.einvoice(context, invoice_id, EInvoiceFormat.CII), if_none_match)


@router.get(
    "/{invoice_id}/ubl",
    summary="The invoice as UBL 2.1 (EN 16931, Peppol BIS 3, or UBL-TR by the seller's country)",
    description="Issued invoices only (a draft: 409 `invoice_not_issued`); 422 `einvoice_incomplete` names "
    "what a valid e-invoice lacks.",
    response_class=Response,
    responses=document_responses("application/xml"),
)
async def get_ubl(invoice_id: PositiveId, context: ReadContext, if_none_match: IfNoneMatchHeader = None) -> Response:
    return document_response(await service.einvoice(context, invoice_id, EInvoiceFormat.UBL), if_none_match)
