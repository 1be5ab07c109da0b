"""HighLevel's invoice endpoints: parse, check the location, call the services, render.

Paths as the SDK builds them: `/invoices/` with its trailing slash (and without, for hand-written
clients), `/invoices/{invoiceId}` and its actions.
"""

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import Path, Query, Request
from pydantic import WithJsonSchema

from invoicing.core.context import TenantContext
from invoicing.core.errors import Unprocessable
from invoicing.core.paging_params import NO_NUL, ExpandLines, line_budget
from invoicing.core.repository import Record
from invoicing.core.routing import api_router
from invoicing.core.wire_types import MAX_ID, FilterDate, PlainInteger
from invoicing.credit_notes.money import CreditedTotals
from invoicing.credit_notes.service import credited_totals
from invoicing.highlevel import lookups
from invoicing.highlevel.dependencies import ReadContext, WriteContext
from invoicing.highlevel.mapping import (
    created_details,
    details_of,
    details_text,
    lines_of,
    refuse_oversized,
    service_input,
    stored_discount,
    updated_details,
)
from invoicing.highlevel.openapi import InvoiceList, InvoiceOut, PaymentRecorded, SentInvoice, error_responses
from invoicing.highlevel.representation import invoice_object
from invoicing.highlevel.responses import HighLevelResponse
from invoicing.highlevel.schemas import (
    STATUS_LIST,
    STATUS_LIST_PATTERN,
    AltType,
    CreateInvoice,
    RecordPayment,
    SendInvoice,
    UpdateInvoice,
    VoidInvoice,
)
from invoicing.invoices import actions, service
from invoicing.invoices.repository import InvoiceFilter
from invoicing.invoices.schemas import InvoiceCreate, InvoiceUpdate
from invoicing.invoices.transitions import InvoiceView
from invoicing.payments.schemas import PaymentCreate
from invoicing.payments.service import pay_in_full, record_payment

router = api_router(tags=["Invoice"])
ERRORS = error_responses()

AltIdQuery = Annotated[str, Query(alias="altId", max_length=64, description="The location id: the tenant's public_id.")]
AltTypeQuery = Annotated[AltType, Query(alias="altType")]
# Checked by _statuses with Python's `re` (as the document's readers match patterns), published here.
StatusQuery = Annotated[
    str | None,
    WithJsonSchema({"type": "string", "maxLength": 200, "pattern": STATUS_LIST_PATTERN}),
    Query(max_length=200, description="Statuses to list, comma-separated."),
]
InvoiceIdPath = Annotated[str, Path(alias="invoiceId", max_length=64, description="The invoice's public_id.")]
# HighLevel status -> the service's statuses it covers (SPEC 6). `payment_processing` has no
# counterpart here, so it matches nothing.
STATUS_FILTER: dict[str, list[str]] = {
    "draft": ["draft"],
    "sent": ["issued"],
    "partially_paid": ["partially_paid"],
    "paid": ["paid"],
    "void": ["void", "cancelled"],
    "payment_processing": ["payment_processing"],
}


async def invoice_objects(
    context: TenantContext, views: Sequence[InvoiceView], location: Record
) -> list[dict[str, Any]]:
    """The invoices as HighLevel shows them, their credit notes' totals read in one query for a
    whole page, and none when no invoice shown has a credit note."""
    ids = [int(view.invoice["id"]) for view in views if view.invoice["amount_credited"] > 0]
    credited: dict[int, CreditedTotals] = await credited_totals(context, ids) if ids else {}
    return [invoice_object(view, location, credited.get(int(view.invoice["id"]))) for view in views]


async def shown(context: TenantContext, view: InvoiceView, location: Record) -> dict[str, Any]:
    return (await invoice_objects(context, [view], location))[0]


async def answer(context: TenantContext, view: InvoiceView, location: Record) -> HighLevelResponse:
    return HighLevelResponse(await shown(context, view, location))


async def _save_details(context: TenantContext, invoice_id: int, details: dict[str, Any]) -> InvoiceView:
    await service.set_highlevel_details(context, invoice_id, details_text(details))
    return await service.get_invoice(context, invoice_id)


@router.post("/invoices/", summary="Create Invoice", response_model=InvoiceOut, responses=ERRORS)
@router.post("/invoices", include_in_schema=False)
async def create_invoice(request: Request, body: CreateInvoice, context: WriteContext) -> HighLevelResponse:
    location = await lookups.location_of(context, body.alt_id)
    refuse_oversized(body.free_form(), _free_form_bytes(request))
    customer_id = await lookups.customer_for_contact(context, body.contact_details)
    draft = service_input(
        InvoiceCreate,
        "invoice",
        customer_id=customer_id,
        currency=body.currency,
        # Dates as text, the form the primary API's inputs take them in.
        issue_date=body.issue_date.isoformat(),
        # HighLevel's due date is optional; an invoice without one is due on its issue date.
        due_date=(body.due_date or body.issue_date).isoformat(),
        notes=body.terms_notes,
        lines=lines_of(body.items, currency=body.currency, discount=body.discount),
    )
    view = await service.create_draft(context, draft)
    return await answer(context, await _save_details(context, view.invoice["id"], created_details(body)), location)


@router.get("/invoices/", summary="List invoices", response_model=InvoiceList, responses=ERRORS)
@router.get("/invoices", include_in_schema=False)
async def list_invoices(
    request: Request,
    context: ReadContext,
    alt_id: AltIdQuery,
    alt_type: AltTypeQuery,
    limit: Annotated[int, PlainInteger(minimum=1, maximum=MAX_ID), Query()],
    offset: Annotated[int, PlainInteger(minimum=0, maximum=10**9), Query()],
    status: StatusQuery = None,
    start_at: Annotated[FilterDate | None, Query(alias="startAt")] = None,
    end_at: Annotated[FilterDate | None, Query(alias="endAt")] = None,
    search: Annotated[str | None, Query(max_length=200, pattern=NO_NUL)] = None,
    contact_id: Annotated[str | None, Query(alias="contactId", max_length=64)] = None,
    sort_field: Annotated[Literal["issueDate"] | None, Query(alias="sortField")] = None,
    sort_order: Annotated[Literal["ascend", "descend"], Query(alias="sortOrder")] = "descend",
    expand: ExpandLines = None,
) -> HighLevelResponse:
    location = await lookups.location_of(context, alt_id)
    _check_limit(request, limit)
    filters = InvoiceFilter(
        statuses=_statuses(status),
        customer_id=await _contact_filter(context, contact_id),
        archived=None,  # HighLevel has no archive: archived invoices are listed like the others
        issue_date_from=start_at,
        issue_date_to=end_at,
        search=search,
    )
    views, total = await service.list_invoices_by_offset(
        context,
        filters,
        offset=offset,
        limit=limit,
        by_issue_date=sort_field == "issueDate",
        ascending=sort_order == "ascend",
        # Without expand, `invoiceItems` is empty (GET /invoices/{invoiceId} has them); `totalSummary`
        # is still that of all the invoice's lines.
        lines=service.ListedLines.ALL if expand else service.ListedLines.AMOUNTS,
        line_budget=line_budget(request),
    )
    return HighLevelResponse({"invoices": await invoice_objects(context, views, location), "total": total})


@router.get("/invoices/{invoiceId}", summary="Get invoice", response_model=InvoiceOut, responses=ERRORS)
async def get_invoice(
    invoice_public_id: InvoiceIdPath,
    context: ReadContext,
    alt_id: AltIdQuery,
    alt_type: AltTypeQuery,
) -> HighLevelResponse:
    location = await lookups.location_of(context, alt_id)
    view = await service.get_invoice(context, await lookups.invoice_id_of(context, invoice_public_id))
    return await answer(context, view, location)


@router.put("/invoices/{invoiceId}", summary="Update invoice", response_model=InvoiceOut, responses=ERRORS)
async def update_invoice(
    request: Request, invoice_public_id: InvoiceIdPath, body: UpdateInvoice, context: WriteContext
) -> HighLevelResponse:
    location = await lookups.location_of(context, body.alt_id)
    refuse_oversized(body.free_form(), _free_form_bytes(request))
    invoice_id = await lookups.invoice_id_of(context, invoice_public_id)
    discount = body.discount or stored_discount(details_of((await service.get_invoice(context, invoice_id)).invoice))
    changes: dict[str, Any] = {
        "currency": body.currency,
        "issue_date": body.issue_date.isoformat(),
        "due_date": body.due_date.isoformat(),
        "lines": lines_of(body.invoice_items, currency=body.currency, discount=discount),
    }
    if body.terms_notes is not None:
        changes["notes"] = body.terms_notes
    if body.contact_details is not None:
        changes["customer_id"] = await lookups.customer_for_contact(context, body.contact_details)
    elif body.contact_id is not None:
        changes["customer_id"] = await lookups.existing_customer_id(context, body.contact_id)
    # Only the fields set are changed (exclude_unset), so they are passed as constructor arguments.
    view = await service.update_draft(context, invoice_id, service_input(InvoiceUpdate, "invoice", **changes))
    # Merged into the fields as read under the update's lock, so concurrent updates never lose each other's.
    saved = await _save_details(context, invoice_id, updated_details(details_of(view.invoice), body))
    return await answer(context, saved, location)


@router.delete("/invoices/{invoiceId}", summary="Delete invoice", response_model=InvoiceOut, responses=ERRORS)
async def delete_invoice(
    invoice_public_id: InvoiceIdPath,
    context: WriteContext,
    alt_id: AltIdQuery,
    alt_type: AltTypeQuery,
) -> HighLevelResponse:
    location = await lookups.location_of(context, alt_id)
    view = await actions.delete_draft(context, await lookups.invoice_id_of(context, invoice_public_id))
    return await answer(context, view, location)


@router.post("/invoices/{invoiceId}/void", summary="Void invoice", response_model=InvoiceOut, responses=ERRORS)
async def void_invoice(invoice_public_id: InvoiceIdPath, body: VoidInvoice, context: WriteContext) -> HighLevelResponse:
    location = await lookups.location_of(context, body.alt_id)
    view = await actions.void_invoice(context, await lookups.invoice_id_of(context, invoice_public_id))
    return await answer(context, view, location)


@router.post("/invoices/{invoiceId}/send", summary="Send invoice", response_model=SentInvoice, responses=ERRORS)
async def send_invoice(invoice_public_id: InvoiceIdPath, body: SendInvoice, context: WriteContext) -> HighLevelResponse:
    location = await lookups.location_of(context, body.alt_id)
    # E-mailed when HighLevel would e-mail it: an action with e-mail in it, in live mode (test
    # mode sends nothing). SMS is not a channel of this service; "sms" only marks the invoice sent.
    emailed = body.action in ("sms_and_email", "email") and body.live_mode
    invoice_id = await lookups.invoice_id_of(context, invoice_public_id)
    view = await actions.send_invoice(context, invoice_id, email=emailed)
    return HighLevelResponse({"invoice": await shown(context, view, location), "smsData": {}, "emailData": {}})


@router.post(
    "/invoices/{invoiceId}/record-payment",
    summary="Record a manual payment for an invoice",
    response_model=PaymentRecorded,
    responses=ERRORS,
)
async def record_invoice_payment(
    request: Request,
    invoice_public_id: InvoiceIdPath,
    body: RecordPayment,
    context: WriteContext,
) -> HighLevelResponse:
    location = await lookups.location_of(context, body.alt_id)
    refuse_oversized(body.free_form(), _free_form_bytes(request))
    invoice_id = await lookups.invoice_id_of(context, invoice_public_id)
    if body.amount is None:  # HighLevel: no amount pays what is due (RecordPayment checked the rest)
        recorded = await pay_in_full(
            context, invoice_id, method=body.mode, paid_at=body.fulfilled_at, reference=body.notes
        )
    else:
        # As text, the form the primary API's input takes it in.
        paid_at = body.fulfilled_at.isoformat() if body.fulfilled_at else None
        payment = service_input(
            PaymentCreate, "payment", amount=body.amount, method=body.mode, paid_at=paid_at, reference=body.notes
        )
        recorded = await record_payment(context, invoice_id, payment)
    return HighLevelResponse({"success": True, "invoice": await shown(context, recorded.invoice, location)})


# -- helpers ----------------------------------------------------------------------------------


def _statuses(text: str | None) -> list[str] | None:
    if text is None:
        return None
    if not STATUS_LIST.search(text):
        raise Unprocessable.field("status", f"status must be a comma-separated list of: {', '.join(STATUS_FILTER)}")
    wanted = [part.strip(" \n") for part in text.split(",") if part.strip(" \n")]
    if not wanted:
        return None
    return [status for name in wanted for status in STATUS_FILTER[name]]


async def _contact_filter(context: TenantContext, contact_id: str | None) -> int | None:
    if contact_id is None:
        return None
    # An unknown contact has no invoices: filter on an id no customer has, rather than on none.
    return await lookups.customer_id_of(context, contact_id) or 0


def _free_form_bytes(request: Request) -> int:
    return int(request.app.state.settings.max_free_form_bytes)


def _check_limit(request: Request, limit: int) -> None:
    maximum = request.app.state.settings.max_page_size
    if limit > maximum:
        raise Unprocessable.field("limit", f"limit must not be greater than {maximum}")
