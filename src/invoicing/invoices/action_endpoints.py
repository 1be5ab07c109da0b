"""Lifecycle actions over HTTP: thin, each calls one service function and renders the seeds' envelopes."""

from typing import Annotated

from fastapi import Body, Query

from invoicing.auth.dependencies import WriteContext
from invoicing.core.errors import Unprocessable
from invoicing.core.responses import JsonResponse, envelope
from invoicing.core.routing import api_router
from invoicing.core.schemas import CHANGES_INVOICE, Envelope, PositiveId, problem_responses
from invoicing.invoices import actions
from invoicing.invoices.lifecycle import LIFECYCLE, Action
from invoicing.invoices.representation import invoice_resource, invoice_response
from invoicing.invoices.schemas import ActionResult, InvoiceIdBody, InvoiceResource
from invoicing.invoices.transitions import InvoiceView

router = api_router(prefix="/invoices", tags=["invoice lifecycle"])

REFUSABLE = problem_responses(*CHANGES_INVOICE)
OptionalIdBody = Annotated[InvoiceIdBody | None, Body(description='`{"id": N}`, N equal to the path id.')]


def action_result(action: Action, view: InvoiceView) -> JsonResponse:
    return invoice_response(view, envelope({"message": LIFECYCLE[action].message, "invoice": invoice_resource(view)}))


def require_path_id(path_id: int, given: int | None, *, where: str) -> None:
    """Seed quirk: the id repeated in the body or query must be the path's."""
    if given is None:
        raise Unprocessable.field("id", f"id is required in the {where}.", code="id_required")
    if given != path_id:
        raise Unprocessable.field("id", f"id ({given}) must equal the invoice id in the path ({path_id}).")


@router.post(
    "/{invoice_id}/cancel",
    summary="Cancel an invoice (revertible)",
    response_model=Envelope[ActionResult],
    responses=REFUSABLE,
)
async def cancel(invoice_id: PositiveId, context: WriteContext, body: OptionalIdBody = None) -> JsonResponse:
    require_path_id(invoice_id, body.id if body else None, where="body")
    return action_result(Action.CANCEL, await actions.cancel_invoice(context, invoice_id))


@router.post(
    "/{invoice_id}/revert-cancel",
    summary="Revert a cancelled invoice",
    response_model=Envelope[ActionResult],
    responses=REFUSABLE,
)
async def revert_cancel(invoice_id: PositiveId, context: WriteContext, body: OptionalIdBody = None) -> JsonResponse:
    require_path_id(invoice_id, body.id if body else None, where="body")
    return action_result(Action.REVERT_CANCEL, await actions.revert_cancel(context, invoice_id))


@router.post(
    "/{invoice_id}/archive",
    summary="Archive an invoice (idempotent)",
    response_model=Envelope[InvoiceResource],
    responses=problem_responses(*CHANGES_INVOICE),
)
async def archive(invoice_id: PositiveId, context: WriteContext) -> JsonResponse:
    view = await actions.archive_invoice(context, invoice_id)
    return invoice_response(view, envelope(invoice_resource(view)))


@router.delete(
    "/{invoice_id}/archive",
    summary="Unarchive an invoice (idempotent)",
    response_model=Envelope[InvoiceResource],
    responses=problem_responses(*CHANGES_INVOICE),
)
async def unarchive(
    invoice_id: PositiveId,
    context: WriteContext,
    query_id: Annotated[
        PositiveId | None, Query(alias="id", description="The invoice id again; when sent, it must equal the path id.")
    ] = None,
) -> JsonResponse:
    # The seed documents `?id` as required, yet its own curl example sends none; both forms work.
    if query_id is not None:
        require_path_id(invoice_id, query_id, where="query")
    view = await actions.unarchive_invoice(context, invoice_id)
    return invoice_response(view, envelope(invoice_resource(view)))


@router.post(
    "/{invoice_id}/void",
    summary="Void an invoice (final)",
    response_model=Envelope[ActionResult],
    responses=REFUSABLE,
)
async def void(invoice_id: PositiveId, context: WriteContext) -> JsonResponse:
    return action_result(Action.VOID, await actions.void_invoice(context, invoice_id))


@router.delete(
    "/{invoice_id}",
    summary="Delete a draft",
    response_model=Envelope[ActionResult],
    responses=REFUSABLE,
)
async def delete(invoice_id: PositiveId, context: WriteContext) -> JsonResponse:
    return action_result(Action.DELETE, await actions.delete_draft(context, invoice_id))


@router.post(
    "/{invoice_id}/send",
    summary="Send an invoice (a draft is issued first)",
    response_model=Envelope[ActionResult],
    responses=REFUSABLE,
)
async def send(invoice_id: PositiveId, context: WriteContext) -> JsonResponse:
    return action_result(Action.SEND, await actions.send_invoice(context, invoice_id))
