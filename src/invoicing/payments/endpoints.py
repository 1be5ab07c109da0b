from fastapi import Response

from invoicing.auth.dependencies import ReadContext, WriteContext
from invoicing.core.responses import JsonResponse, envelope
from invoicing.core.routing import api_router
from invoicing.core.schemas import AUTHENTICATED, CHANGES_INVOICE, Envelope, PositiveId, problem_responses
from invoicing.invoices.lifecycle import LIFECYCLE, Action
from invoicing.invoices.representation import invoice_resource, invoice_response
from invoicing.payments import service
from invoicing.payments.representation import payment_resource
from invoicing.payments.schemas import PaymentCreate, PaymentRecorded, PaymentResource

router = api_router(prefix="/invoices", tags=["payments"])


@router.post(
    "/{invoice_id}/payments",
    status_code=201,
    summary="Record a payment (in part or in full)",
    response_model=Envelope[PaymentRecorded],
    responses=problem_responses(*CHANGES_INVOICE),
)
async def record_payment(invoice_id: PositiveId, body: PaymentCreate, context: WriteContext) -> Response:
    recorded = await service.record_payment(context, invoice_id, body)
    currency = service.invoice_currency(recorded.invoice)
    data = {
        "message": LIFECYCLE[Action.RECORD_PAYMENT].message,
        "invoice": invoice_resource(recorded.invoice),
        "payment": payment_resource(recorded.payment, currency),
    }
    return invoice_response(recorded.invoice, envelope(data), status_code=201)


@router.get(
    "/{invoice_id}/payments",
    summary="An invoice's payments, oldest first",
    response_model=Envelope[list[PaymentResource]],
    responses=problem_responses(*AUTHENTICATED, 404),
)
async def list_payments(invoice_id: PositiveId, context: ReadContext) -> Response:
    rows, currency = await service.list_payments(context, invoice_id)
    return JsonResponse(envelope([payment_resource(row, currency) for row in rows]))
