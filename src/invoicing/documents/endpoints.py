"""The primary API's document calls on one invoice: thin, as every endpoint."""

from invoicing.auth.dependencies import WriteContext
from invoicing.core.responses import JsonResponse, envelope
from invoicing.core.routing import api_router
from invoicing.core.schemas import CHANGES_INVOICE, Envelope, PositiveId, problem_responses
from invoicing.documents import actions
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
