"""What a person does to an invoice from its page: its lifecycle actions, a payment, a credit
note (with its refund). Thin: parse the form, call the same service as the API, redirect.

Every change carries the version the page showed (`page.expecting()`): if someone changed the
invoice since, the service answers 412 and the page offers to reload. A form the services
refuse (422) is shown again with the field named; its transaction was rolled back first, so
nothing of it stays. Void and delete are final: their buttons lead to a confirmation page, and
a post without its `confirmed` field goes there instead of changing anything.
"""

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from invoicing.core.conditional import PreconditionFailed
from invoicing.core.context import TenantContext
from invoicing.core.errors import Conflict, NotFound, Unprocessable
from invoicing.credit_notes.schemas import AllocationCreate, CreditNoteCreate
from invoicing.credit_notes.service import allocate_credit, create_credit_note
from invoicing.dashboard.context import Page, signed_in
from invoicing.dashboard.forms import validated
from invoicing.dashboard.invoice_page import BUTTONS, CONFIRMED, render_invoice
from invoicing.dashboard.security import PAGE_HEADERS
from invoicing.dashboard.templating import base_path, render
from invoicing.invoices import actions
from invoicing.invoices.lifecycle import Action, LifecycleRefused, guard
from invoicing.invoices.representation import invoice_resource
from invoicing.invoices.service import get_invoice, issue_invoice, today_in
from invoicing.invoices.transitions import InvoiceView, facts_of
from invoicing.payments.schemas import PaymentCreate
from invoicing.payments.service import record_payment
from invoicing.users.roles import Permission

router = APIRouter()

# The same service function per action as invoices/action_endpoints.py (and issue, endpoints.py).
ACTIONS: dict[Action, Callable[[TenantContext, int], Awaitable[InvoiceView]]] = {
    Action.ISSUE: issue_invoice,
    Action.SEND: actions.send_invoice,
    Action.CANCEL: actions.cancel_invoice,
    Action.REVERT_CANCEL: actions.revert_cancel,
    Action.VOID: actions.void_invoice,
    Action.DELETE: actions.delete_draft,
    Action.ARCHIVE: actions.archive_invoice,
    Action.UNARCHIVE: actions.unarchive_invoice,
}
assert set(ACTIONS) == set(BUTTONS), "every button has its service, and no service lacks a button"

# What an irreversible action does, in words, on its confirmation page.
CONSEQUENCES = {
    Action.VOID: (
        "Voiding is final. The invoice keeps its number {number} on record, but nothing is due on it any "
        "more and it cannot be reverted, paid or credited afterwards."
    ),
    Action.DELETE: (
        "Deleting removes this draft for good: it leaves the invoice list and cannot be opened again. "
        "A draft has no number yet, so no number is lost."
    ),
}
CONFIRM_VERBS = {Action.VOID: "Void", Action.DELETE: "Delete"}
# The lifecycle's refusal names the state; where the state is not the reason, these words say what is.
REASONS = {
    "invoice_has_credit_notes": "Credit notes have been issued against it.",
    "invoice_has_payments": "Payments are recorded on it; credit it instead.",
    "invoice_fully_credited": "It has been credited in full already.",
}
STALE = (
    "Someone else changed this invoice after you opened the page, so nothing was done. Reload it to see what changed."
)
PAYMENT_FIELDS = {"amount": "amount", "method": "method", "paid_at": "paid_on", "reference": "reference"}
REFUND_FIELDS = {
    "refund.amount": "refund_amount",
    "refund.method": "refund_method",
    "refund.reference": "refund_reference",
}


def invoice_link(request: Request, invoice_id: int, done: Action | None = None) -> str:
    return f"{base_path(request)}/invoices/{invoice_id}" + (f"?done={done.value}" if done else "")


def see_other(location: str) -> Response:
    return RedirectResponse(location, status_code=303, headers=PAGE_HEADERS)


def parse_action(name: str) -> Action:
    try:
        action = Action(name)
    except ValueError:
        raise NotFound("No such action.") from None
    if action not in ACTIONS:
        raise NotFound("No such action.")
    return action


@contextmanager
def refusals_in_words() -> Iterator[None]:
    """A refusal in a person's words (the error page shows the detail): a stale page, or a
    lifecycle refusal with its reason when that is not the invoice's state."""
    try:
        yield
    except PreconditionFailed as stale:
        # The API's words name its ETag; a person only needs to know the page is out of date.
        raise PreconditionFailed(STALE, extra=stale.extra) from stale
    except LifecycleRefused as refused:
        reason = REASONS.get(refused.error_code)
        if reason is None:
            raise
        raise Conflict(f"{refused.detail} {reason}", code=refused.error_code, extra=refused.extra) from refused


@router.get("/invoices/{invoice_id:int}/confirm/{action_name}")
async def confirm_page(request: Request, invoice_id: int, action_name: str) -> Response:
    async with signed_in(request, permission=Permission.BILL) as page:
        action = parse_action(action_name)
        if action not in CONFIRMED:
            raise NotFound("This action needs no confirmation.")
        view = await get_invoice(page.context, invoice_id)
        with refusals_in_words():
            guard(action, facts_of(view.invoice))  # offered only while the lifecycle allows it
        resource = invoice_resource(view)
        consequence = CONSEQUENCES[action].format(number=resource["document_number"])
        return render(
            request,
            "invoice/confirm.html",
            page=page,
            section="invoices",
            invoice=resource,
            action=action.value,
            label=CONFIRM_VERBS[action],
            consequence=consequence,
        )


@router.post("/invoices/{invoice_id:int}/actions/{action_name}")
async def take_action(request: Request, invoice_id: int, action_name: str) -> Response:
    async with signed_in(request, write=True, permission=Permission.BILL) as page:
        action = parse_action(action_name)
        if action in CONFIRMED and page.field("confirmed") != "yes":
            return see_other(f"{base_path(request)}/invoices/{invoice_id}/confirm/{action.value}")
        with refusals_in_words():
            await ACTIONS[action](page.expecting(), invoice_id)
    if action is Action.DELETE:
        return see_other(f"{base_path(request)}/invoices?done={action.value}")
    return see_other(invoice_link(request, invoice_id, action))


@router.post("/invoices/{invoice_id:int}/payments")
async def record_payment_form(request: Request, invoice_id: int) -> Response:
    try:
        async with signed_in(request, write=True, permission=Permission.BILL) as page:
            data = validated(PaymentCreate, payment_request(page))
            with refusals_in_words():
                await record_payment(page.expecting(), invoice_id, data)
    except Unprocessable as error:
        async with signed_in(request) as page:
            errors = _form_errors(error, PAYMENT_FIELDS, default="amount")
            form = _form_values(page)
            return await render_invoice(
                request, page, invoice_id, status_code=422, payment_form=form, payment_errors=errors
            )
    return see_other(invoice_link(request, invoice_id, Action.RECORD_PAYMENT))


@router.post("/invoices/{invoice_id:int}/credit-notes")
async def credit_form(request: Request, invoice_id: int) -> Response:
    try:
        async with signed_in(request, write=True, permission=Permission.BILL) as page:
            view = await get_invoice(page.context, invoice_id)
            data = validated(CreditNoteCreate, credit_request(page, view))
            with refusals_in_words():
                # Issued at once (`issue: true`), as the API's one-call flow: the page keeps no
                # draft credit notes, so what the person confirmed is what the invoice shows.
                await create_credit_note(page.expecting(), invoice_id, data)
    except Unprocessable as error:
        async with signed_in(request) as page:
            view = await get_invoice(page.context, invoice_id)
            errors = _form_errors(error, credit_lines(page, view)[1], default="lines")
            form = _form_values(page)
            return await render_invoice(
                request, page, invoice_id, status_code=422, credit_form=form, credit_errors=errors
            )
    return see_other(invoice_link(request, invoice_id, Action.CREDIT))


@router.post("/invoices/{invoice_id:int}/credit-allocations")
async def apply_credit_form(request: Request, invoice_id: int) -> Response:
    """Customer credit kept by one of the customer's credit notes, applied to this invoice."""
    try:
        async with signed_in(request, write=True, permission=Permission.BILL) as page:
            note = page.field("credit_note_id")
            body = {
                "credit_note_id": int(note) if note.isdigit() else note,
                "amount": page.field("credit_amount").strip(),
            }
            data = validated(AllocationCreate, body)
            with refusals_in_words():
                await allocate_credit(page.expecting(), invoice_id, data)
    except Unprocessable as error:
        async with signed_in(request) as page:
            # The API's `amount` is this form's `credit_amount` (the payment form has an `amount`).
            refused = error.errors or {"credit_amount": [error.detail]}
            errors = {("credit_amount" if name == "amount" else name): list(text) for name, text in refused.items()}
            return await render_invoice(
                request, page, invoice_id, status_code=422, apply_form=_form_values(page), apply_errors=errors
            )
    return see_other(invoice_link(request, invoice_id, Action.APPLY_CREDIT))


def payment_request(page: Page) -> dict[str, Any]:
    """PaymentCreate's body from the form; the day paid is noon of that day in the tenant's time
    zone (today: now), so the day shown is the day entered wherever it is read."""
    body: dict[str, Any] = {"amount": page.field("amount").strip(), "method": page.field("method")}
    reference = page.field("reference").strip()
    if reference:
        body["reference"] = reference
    paid_on = page.field("paid_on").strip()
    timezone = page.tenant["timezone"]
    if paid_on and paid_on != today_in(timezone).isoformat():
        body["paid_at"] = _noon(paid_on, timezone, field="paid_on")
    return body


def credit_request(page: Page, view: InvoiceView) -> dict[str, Any]:
    """CreditNoteCreate's body from the form. Each invoice line has a quantity and a net amount
    field (either, or neither); `whole` credits every line's full quantity. The refund is the
    part of the credit paid back (the rest beyond the amount due stays the customer's credit)."""
    lines, _fields, errors = credit_lines(page, view)
    if errors:
        raise Unprocessable("Please check what you entered.", errors=errors)
    if not lines:
        raise Unprocessable.field(
            "lines", "Choose what to credit: the whole invoice, or a quantity or amount of a line."
        )
    body: dict[str, Any] = {"lines": lines, "reason": page.field("reason").strip(), "issue": True}
    refund_amount = page.field("refund_amount").strip()
    if refund_amount:
        body["refund"] = {"amount": refund_amount, "method": page.field("refund_method")}
        if reference := page.field("refund_reference").strip():
            body["refund"]["reference"] = reference
    return body


def credit_lines(page: Page, view: InvoiceView) -> tuple[list[dict[str, Any]], dict[str, str], dict[str, list[str]]]:
    """The body's lines, the form's field for each of the body's paths, and the form's own errors."""
    lines: list[dict[str, Any]] = []
    fields = {"reason": "reason", **REFUND_FIELDS}
    errors: dict[str, list[str]] = {}
    whole = page.field("whole") == "yes"
    for line in view.lines:
        prefix = f"line-{line['id']}"
        quantity = page.field(f"{prefix}-quantity").strip()
        amount = page.field(f"{prefix}-amount").strip()
        if whole:
            quantity, amount = str(line["quantity"]), ""
        where = f"lines[{len(lines)}]"
        if quantity and amount:
            errors[f"{prefix}-quantity"] = ["Give a quantity or an amount to credit, not both."]
        elif quantity:
            lines.append({"invoice_line_id": line["id"], "quantity": quantity})
            fields |= {f"{where}.quantity": f"{prefix}-quantity", f"{where}.invoice_line_id": f"{prefix}-quantity"}
        elif amount:
            lines.append({"invoice_line_id": line["id"], "amount": amount})
            fields |= {f"{where}.amount": f"{prefix}-amount", f"{where}.invoice_line_id": f"{prefix}-amount"}
    if not page.field("reason").strip():
        errors["reason"] = ["Say why the invoice is corrected: the reason is printed on the credit note."]
    return lines, fields, errors


def _noon(day: str, timezone: str, *, field: str) -> str:
    try:
        moment = datetime.combine(datetime.strptime(day, "%Y-%m-%d").date(), time(12), ZoneInfo(timezone))
    except ValueError:
        raise Unprocessable.field(field, "Enter a date as YYYY-MM-DD.") from None
    return moment.isoformat()


def _form_errors(error: Unprocessable, fields: dict[str, str], *, default: str) -> dict[str, list[str]]:
    """The refusal's messages by the form's field names (the API's path where the form has none)."""
    named: dict[str, list[str]] = {}
    for path, messages in (error.errors or {default: [error.detail]}).items():
        named.setdefault(_form_field(path, fields, default), []).extend(messages)
    return named


def _form_field(path: str, fields: dict[str, str], default: str) -> str:
    if path in fields.values() or not any(mark in path for mark in ".["):
        return path  # the form's own name, or a top-level field of the API's body
    if path in fields:
        return fields[path]
    parent = path.rsplit(".", 1)[0]
    return fields.get(f"{parent}.quantity") or fields.get(f"{parent}.amount") or default


def _form_values(page: Page) -> dict[str, str]:
    if page.form is None:
        return {}
    return {name: value for name, value in page.form.items() if isinstance(value, str) and name != "csrf_token"}
