"""Voiding an issued credit note from its invoice's page, after a confirmation (it cannot be
undone). The credit note's own lifecycle decides whether it may be voided; the page only offers
what its `available_actions` lists."""

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from invoicing.core.errors import Conflict
from invoicing.credit_notes.lifecycle import CreditNoteAction
from invoicing.credit_notes.representation import credit_note_resource
from invoicing.credit_notes.service import get_credit_note, void_credit_note
from invoicing.dashboard.context import signed_in
from invoicing.dashboard.security import PAGE_HEADERS
from invoicing.dashboard.templating import base_path, render
from invoicing.invoices.lifecycle import Action
from invoicing.users.roles import Permission

router = APIRouter()

CONSEQUENCE = (
    "Voiding {number} undoes its effect on the invoice: what it took off the amount due is owed again, and "
    "the customer credit it kept is gone. It keeps its number, marked void. This cannot be undone."
)


@router.get("/credit-notes/{credit_note_id:int}/confirm-void")
async def confirm_void(request: Request, credit_note_id: int) -> Response:
    async with signed_in(request, permission=Permission.BILL) as page:
        note = credit_note_resource(await get_credit_note(page.context, credit_note_id))
        if CreditNoteAction.VOID.value not in note["available_actions"]:
            raise Conflict(f"The credit note cannot be voided while it is {note['status']}.", code="not_voidable")
        return render(
            request,
            "invoice/credit_note_confirm.html",
            page=page,
            section="invoices",
            note=note,
            consequence=CONSEQUENCE.format(number=note["document_number"]),
        )


@router.post("/credit-notes/{credit_note_id:int}/void")
async def void(request: Request, credit_note_id: int) -> Response:
    async with signed_in(request, write=True, permission=Permission.BILL) as page:
        if page.field("confirmed") != "yes":
            target = f"{base_path(request)}/credit-notes/{credit_note_id}/confirm-void"
            return RedirectResponse(target, status_code=303, headers=PAGE_HEADERS)
        voided = await void_credit_note(page.expecting(), credit_note_id)
        invoice_id = voided.credit_note.note["invoice_id"]
    target = f"{base_path(request)}/invoices/{invoice_id}?done={Action.VOID_CREDIT_NOTE.value}"
    return RedirectResponse(target, status_code=303, headers=PAGE_HEADERS)
