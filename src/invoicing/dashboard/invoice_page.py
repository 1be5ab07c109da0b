"""One invoice: header, lines, totals, payments, credit notes, its timeline, the PDF preview and
the buttons of its actions (the forms behind them are in invoice_actions).

Everything shown is the API's own resource (`invoice_resource`, `payment_resource`,
`credit_note_resource`): the page formats it and computes nothing. The buttons are the
resource's `available_actions`, so the page never offers what the lifecycle would refuse.
"""

from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from starlette.responses import Response

from invoicing.credit_notes.representation import credit_note_resource
from invoicing.credit_notes.service import list_credit_notes
from invoicing.dashboard.context import Page, signed_in
from invoicing.dashboard.invoice_list import chip
from invoicing.dashboard.security import FRAMED_CONTENT_SECURITY_POLICY, PAGE_HEADERS
from invoicing.dashboard.templating import render
from invoicing.documents import service as documents
from invoicing.invoices.lifecycle import LIFECYCLE, Action
from invoicing.invoices.representation import invoice_resource
from invoicing.invoices.service import get_invoice, list_events, today_in
from invoicing.payments.representation import payment_resource
from invoicing.payments.service import list_payments
from invoicing.users.roles import Permission
from invoicing.users.service import list_users

router = APIRouter()

CREDIT_NOTES_SHOWN = 100  # an invoice with more is corrected beyond what one page should list
# The actions the page offers as buttons, in the order shown, with their labels. Void and delete
# are irreversible: their button leads to a confirmation page first.
BUTTONS = {
    Action.ISSUE: "Issue",
    Action.SEND: "Send by e-mail",
    Action.CANCEL: "Cancel invoice",
    Action.REVERT_CANCEL: "Revert cancellation",
    Action.ARCHIVE: "Archive",
    Action.UNARCHIVE: "Unarchive",
    Action.VOID: "Void…",
    Action.DELETE: "Delete draft…",
}
CONFIRMED = frozenset({Action.VOID, Action.DELETE})
PAYMENT_METHODS = {
    "bank_transfer": "Bank transfer",
    "card": "Card",
    "cash": "Cash",
    "cheque": "Cheque",
    "other": "Other",
}
EVENT_WORDS = {
    "invoice.created": "Draft created",
    "invoice.updated": "Draft edited",
    "invoice.issued": "Issued",
    "invoice.sent": "Sent",
    "invoice.payment_recorded": "Payment recorded",
    "invoice.cancelled": "Cancelled",
    "invoice.cancel_reverted": "Cancellation reverted",
    "invoice.voided": "Voided",
    "invoice.deleted": "Deleted",
    "invoice.archived": "Archived",
    "invoice.unarchived": "Unarchived",
    "invoice.credited": "Credit note issued",
    "invoice.refunded": "Refund recorded",
    "invoice.credit_voided": "Credit note voided",
    "credit.applied": "Customer credit applied",
    "invoice.printed": "Marked as printed",
    "invoice.link_rotated": "Hosted link replaced",
    "invoice.viewed": "Viewed by the customer",
    "invoice.email_delivered": "E-mail delivered",
    "invoice.email_failed": "E-mail failed",
}


def buttons(resource: dict[str, Any]) -> list[dict[str, Any]]:
    """The resource's available actions that the page shows as buttons. Archive and unarchive
    are both always available (idempotent); the one that would change nothing is not shown."""
    available = set(resource["available_actions"])
    hidden = Action.UNARCHIVE if not resource["is_archived"] else Action.ARCHIVE
    return [
        {"action": action.value, "label": label, "confirm": action in CONFIRMED}
        for action, label in BUTTONS.items()
        if action.value in available and action is not hidden
    ]


def event_words(event_type: str) -> str:
    return EVENT_WORDS.get(event_type) or event_type.split(".")[-1].replace("_", " ").capitalize()


def done_message(done: str) -> str | None:
    """The notice after an action: the lifecycle's own message for it (`?done=cancel`)."""
    try:
        return LIFECYCLE[Action(done)].message
    except ValueError:
        return None


async def actor_names(page: Page) -> dict[str, str]:
    """Who each `user:<public_id>` actor is, by name; API clients and the CLI are shown as such."""
    users = await list_users(page.context.connection, tenant_id=page.context.tenant_id)
    return {f"user:{user['public_id']}": user["name"] for user in users}


def who(actor: str, names: dict[str, str]) -> str:
    if actor in names:
        return names[actor]
    kind = actor.split(":", 1)[0]
    return {"token": "API client", "cli": "Command line", "user": "A former user"}.get(kind, actor)


async def credit_to_apply(page: Page, invoice: dict[str, Any]) -> list[dict[str, Any]]:
    """The customer's issued credit notes with credit left, in the invoice's currency: what the
    apply-credit form offers (the service decides whether an application is allowed)."""
    if "apply_credit" not in invoice["available_actions"] or invoice["customer"] is None:
        return []
    notes = await list_credit_notes(
        page.context, customer_id=invoice["customer"]["id"], status="issued", after_id=None, limit=CREDIT_NOTES_SHOWN
    )
    currency = invoice["currency"]["code"]
    offered = [credit_note_resource(note) for note in notes[:CREDIT_NOTES_SHOWN]]
    return [note for note in offered if note["currency"] == currency and Decimal(note["amount_available"]) > 0]


async def invoice_values(page: Page, invoice_id: int) -> dict[str, Any]:
    """Everything the invoice page shows. Raises InvoiceNotFound (another tenant's, deleted)."""
    view = await get_invoice(page.context, invoice_id)
    resource = invoice_resource(view)
    resource["chip"] = chip(resource, today_in(page.tenant["timezone"]))
    timezone = ZoneInfo(page.tenant["timezone"])  # the day a payment was made, as the tenant counts days
    payment_rows, currency = await list_payments(page.context, invoice_id)
    notes = await list_credit_notes(page.context, invoice_id=invoice_id, after_id=None, limit=CREDIT_NOTES_SHOWN)
    names = await actor_names(page)
    events = [
        {
            "when": event["created_at"],
            "who": who(event["actor"], names),
            "what": event_words(event["type"]),
            "from_status": event["from_status"],
            "to_status": event["to_status"],
        }
        for event in reversed(await list_events(page.context, invoice_id))
    ]
    return {
        "invoice": resource,
        "currency": resource["currency"]["code"],
        "payments": [
            {**payment_resource(row, currency), "paid_on": row["paid_at"].astimezone(timezone).date()}
            for row in payment_rows
        ],
        "credit_notes": [credit_note_resource(note) for note in notes[:CREDIT_NOTES_SHOWN]],
        "credit_to_apply": await credit_to_apply(page, resource),
        "events": events,
        "buttons": buttons(resource) if page.may(Permission.BILL) else [],
        "may_bill": page.may(Permission.BILL),
        "payment_methods": PAYMENT_METHODS,
        "today": today_in(page.tenant["timezone"]).isoformat(),
    }


async def render_invoice(
    request: Request, page: Page, invoice_id: int, *, status_code: int = 200, **forms: Any
) -> Response:
    """The page; `forms` carries a refused form's values and errors back into it (422)."""
    values = await invoice_values(page, invoice_id)
    notice = done_message(request.query_params.get("done", ""))
    return render(
        request,
        "invoice/page.html",
        page=page,
        section="invoices",
        status_code=status_code,
        notice=notice,
        payment_form=forms.get("payment_form", {}),
        payment_errors=forms.get("payment_errors", {}),
        credit_form=forms.get("credit_form", {}),
        credit_errors=forms.get("credit_errors", {}),
        apply_form=forms.get("apply_form", {}),
        apply_errors=forms.get("apply_errors", {}),
        **values,
    )


@router.get("/invoices/{invoice_id:int}")
async def invoice_page(request: Request, invoice_id: int) -> Response:
    async with signed_in(request) as page:
        return await render_invoice(request, page, invoice_id)


@router.get("/invoices/{invoice_id:int}/pdf")
async def invoice_pdf(request: Request, invoice_id: int) -> Response:
    """The invoice's PDF as the API renders it (a draft's marked DRAFT). `?inline=1` is for the
    page's preview frame; the framed CSP lets only this origin frame it."""
    async with signed_in(request) as page:
        rendered = await documents.pdf(page.context, invoice_id)
    disposition = "inline" if request.query_params.get("inline") == "1" else "attachment"
    headers = {
        **PAGE_HEADERS,
        "Content-Security-Policy": FRAMED_CONTENT_SECURITY_POLICY,
        "Content-Disposition": f'{disposition}; filename="{rendered.filename}"',
        "ETag": rendered.entity_tag,
    }
    return Response(rendered.content, media_type=rendered.media_type, headers=headers)
