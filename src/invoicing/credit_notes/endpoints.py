"""Credit notes over HTTP: thin, each route calls one service function and renders."""

from typing import Annotated, Literal

from fastapi import Query, Request
from starlette.responses import Response

from invoicing.auth.dependencies import ReadContext, WriteContext
from invoicing.core.pagination import cut_page, decode_cursor
from invoicing.core.paging_params import Cursor, Limit, page_size
from invoicing.core.responses import JsonResponse, envelope
from invoicing.core.routing import api_router
from invoicing.core.schemas import AUTHENTICATED, CHANGES_INVOICE, Envelope, PageEnvelope, PositiveId, problem_responses
from invoicing.credit_notes import service
from invoicing.credit_notes.lifecycle import CREDIT_NOTE_LIFECYCLE, CreditNoteAction
from invoicing.credit_notes.representation import (
    allocation_resource,
    credit_balance_resource,
    credit_note_event_resource,
    credit_note_resource,
    credit_note_response,
)
from invoicing.credit_notes.schemas import (
    AllocationCreate,
    AllocationResource,
    AllocationResult,
    CreditBalance,
    CreditNoteActionResult,
    CreditNoteCreate,
    CreditNoteCreated,
    CreditNoteEventResource,
    CreditNoteResource,
)
from invoicing.documents import service as documents
from invoicing.documents.endpoints import IfNoneMatchHeader, document_response, document_responses
from invoicing.documents.service import EInvoiceFormat
from invoicing.invoices.lifecycle import LIFECYCLE, Action
from invoicing.invoices.representation import invoice_resource, invoice_response
from invoicing.invoices.service import get_invoice

router = api_router(tags=["credit notes"])

CreditNoteStatusFilter = Annotated[Literal["draft", "issued", "void"] | None, Query(description="One status.")]


def _result(message: str, credited: service.Credited, *, status_code: int = 200) -> JsonResponse:
    data = {
        "message": message,
        "credit_note": credit_note_resource(credited.credit_note),
        "invoice": invoice_resource(credited.invoice) if credited.invoice else None,
    }
    return credit_note_response(credited.credit_note, envelope(data), status_code=status_code)


@router.post(
    "/invoices/{invoice_id}/credit-notes",
    status_code=201,
    summary="Credit an invoice: a draft credit note, or issued at once with `issue: true`",
    response_model=Envelope[CreditNoteCreated],
    responses=problem_responses(*CHANGES_INVOICE),
)
async def create_credit_note(invoice_id: PositiveId, body: CreditNoteCreate, context: WriteContext) -> JsonResponse:
    credited = await service.create_credit_note(context, invoice_id, body)
    invoice = credited.invoice or await get_invoice(context, invoice_id)
    message = CREDIT_NOTE_LIFECYCLE[CreditNoteAction.ISSUE].message if credited.invoice else "Credit note drafted."
    data = {
        "message": message,
        "credit_note": credit_note_resource(credited.credit_note),
        "invoice": invoice_resource(invoice),
    }
    # The ETag names the resource the path names (If-Match did too): the invoice, as for
    # payments. The new note's own version is in its body; its ETag is `"v<version>"`.
    return invoice_response(invoice, envelope(data), status_code=201)


@router.get(
    "/invoices/{invoice_id}/credit-notes",
    summary="An invoice's credit notes, newest first",
    response_model=PageEnvelope[CreditNoteResource],
    responses=problem_responses(*AUTHENTICATED, 404),
)
async def list_invoice_credit_notes(
    request: Request, invoice_id: PositiveId, context: ReadContext, cursor: Cursor = None, limit: Limit = None
) -> JsonResponse:
    size = page_size(request, limit)
    views = await service.list_credit_notes(context, invoice_id=invoice_id, after_id=decode_cursor(cursor), limit=size)
    shown, meta = cut_page(views, size, lambda view: int(view.note["id"]))
    return JsonResponse(envelope([credit_note_resource(view) for view in shown], meta=meta))


@router.post(
    "/invoices/{invoice_id}/credit-allocations",
    status_code=201,
    summary="Apply a customer's credit (from one credit note) to an open invoice",
    response_model=Envelope[AllocationResult],
    responses=problem_responses(*CHANGES_INVOICE),
)
async def allocate_credit(invoice_id: PositiveId, body: AllocationCreate, context: WriteContext) -> JsonResponse:
    allocated = await service.allocate_credit(context, invoice_id, body)
    data = {
        "message": LIFECYCLE[Action.APPLY_CREDIT].message,
        "allocation": allocation_resource(allocated.allocation, allocated.invoice.invoice["currency"]),
        "credit_note": credit_note_resource(allocated.credit_note),
        "invoice": invoice_resource(allocated.invoice),
    }
    return invoice_response(allocated.invoice, envelope(data), status_code=201)


@router.get(
    "/invoices/{invoice_id}/credit-allocations",
    summary="The customer credit applied to an invoice, oldest first",
    response_model=Envelope[list[AllocationResource]],
    responses=problem_responses(*AUTHENTICATED, 404),
)
async def list_allocations(invoice_id: PositiveId, context: ReadContext) -> JsonResponse:
    invoice = await service.load_invoice(context, invoice_id)
    rows = await service.list_allocations(context, invoice_id)
    currency = invoice.invoice["currency"]
    return JsonResponse(envelope([allocation_resource(row, currency) for row in rows]))


@router.get(
    "/credit-notes",
    summary="List credit notes (newest first, cursor pages)",
    response_model=PageEnvelope[CreditNoteResource],
    responses=problem_responses(*AUTHENTICATED),
)
async def list_credit_notes(
    request: Request,
    context: ReadContext,
    customer_id: Annotated[PositiveId | None, Query()] = None,
    status: CreditNoteStatusFilter = None,
    cursor: Cursor = None,
    limit: Limit = None,
) -> JsonResponse:
    size = page_size(request, limit)
    views = await service.list_credit_notes(
        context, customer_id=customer_id, status=status, after_id=decode_cursor(cursor), limit=size
    )
    shown, meta = cut_page(views, size, lambda view: int(view.note["id"]))
    return JsonResponse(envelope([credit_note_resource(view) for view in shown], meta=meta))


@router.get(
    "/credit-notes/{credit_note_id}",
    summary="Get a credit note",
    response_model=Envelope[CreditNoteResource],
    responses=problem_responses(*AUTHENTICATED, 404),
)
async def get_credit_note(credit_note_id: PositiveId, context: ReadContext) -> JsonResponse:
    view = await service.get_credit_note(context, credit_note_id)
    return credit_note_response(view, envelope(credit_note_resource(view)))


@router.post(
    "/credit-notes/{credit_note_id}/issue",
    summary="Issue a draft credit note under the next number of its series",
    response_model=Envelope[CreditNoteActionResult],
    responses=problem_responses(*CHANGES_INVOICE),
)
async def issue_credit_note(credit_note_id: PositiveId, context: WriteContext) -> JsonResponse:
    credited = await service.issue_credit_note(context, credit_note_id)
    return _result(CREDIT_NOTE_LIFECYCLE[CreditNoteAction.ISSUE].message, credited)


@router.post(
    "/credit-notes/{credit_note_id}/void",
    summary="Void an issued credit note (keeps its number, undoes its effect)",
    response_model=Envelope[CreditNoteActionResult],
    responses=problem_responses(*CHANGES_INVOICE),
)
async def void_credit_note(credit_note_id: PositiveId, context: WriteContext) -> JsonResponse:
    credited = await service.void_credit_note(context, credit_note_id)
    return _result(CREDIT_NOTE_LIFECYCLE[CreditNoteAction.VOID].message, credited)


@router.delete(
    "/credit-notes/{credit_note_id}",
    summary="Delete a draft credit note",
    response_model=Envelope[CreditNoteActionResult],
    responses=problem_responses(*CHANGES_INVOICE),
)
async def delete_credit_note(credit_note_id: PositiveId, context: WriteContext) -> JsonResponse:
    view = await service.delete_draft_credit_note(context, credit_note_id)
    return _result(CREDIT_NOTE_LIFECYCLE[CreditNoteAction.DELETE].message, service.Credited(view, None))


@router.get(
    "/credit-notes/{credit_note_id}/events",
    summary="The credit note's events, oldest first",
    response_model=Envelope[list[CreditNoteEventResource]],
    responses=problem_responses(*AUTHENTICATED, 404),
)
async def list_credit_note_events(credit_note_id: PositiveId, context: ReadContext) -> JsonResponse:
    rows = await service.list_credit_note_events(context, credit_note_id)
    return JsonResponse(envelope([credit_note_event_resource(row) for row in rows]))


@router.get(
    "/customers/{customer_id}/credit-balance",
    summary="A customer's credit balance per currency (kept credit less what was applied)",
    response_model=Envelope[CreditBalance],
    responses=problem_responses(*AUTHENTICATED, 404),
)
async def credit_balance(customer_id: PositiveId, context: ReadContext) -> JsonResponse:
    balances = await service.credit_balance(context, customer_id)
    return JsonResponse(envelope(credit_balance_resource(customer_id, balances)))


@router.get(
    "/credit-notes/{credit_note_id}/pdf",
    summary="The credit note as PDF (PDF/A-3b; Factur-X with its CII, type 381, when issued and complete)",
    description="A draft renders marked DRAFT, without a number.",
    response_class=Response,
    responses=document_responses("application/pdf"),
)
async def get_pdf(
    credit_note_id: PositiveId, context: ReadContext, if_none_match: IfNoneMatchHeader = None
) -> Response:
    return document_response(await documents.credit_note_pdf(context, credit_note_id), if_none_match)


@router.get(
    "/credit-notes/{credit_note_id}/cii",
    summary="The credit note as Factur-X / ZUGFeRD CII XML (EN 16931, type 381, citing its invoice)",
    description="Issued credit notes only (a draft: 409 `credit_note_not_issued`); 422 `einvoice_incomplete` "
    "names what a valid e-invoice lacks.",
    response_class=Response,
    responses=document_responses("application/xml"),
)
async def get_cii(
    credit_note_id: PositiveId, context: ReadContext, if_none_match: IfNoneMatchHeader = None
) -> Response:
    rendered = await documents.credit_note_einvoice(context, credit_note_id, EInvoiceFormat.CII)
    return document_response(rendered, if_none_match)


@router.get(
    "/credit-notes/{credit_note_id}/ubl",
    summary="The credit note as UBL 2.1: a CreditNote (EN 16931, Peppol BIS 3), or UBL-TR IADE for a Turkish seller",
    description="Issued credit notes only (a draft: 409 `credit_note_not_issued`); 422 `einvoice_incomplete` "
    "names what a valid e-invoice lacks.",
    response_class=Response,
    responses=document_responses("application/xml"),
)
async def get_ubl(
    credit_note_id: PositiveId, context: ReadContext, if_none_match: IfNoneMatchHeader = None
) -> Response:
    rendered = await documents.credit_note_einvoice(context, credit_note_id, EInvoiceFormat.UBL)
    return document_response(rendered, if_none_match)
