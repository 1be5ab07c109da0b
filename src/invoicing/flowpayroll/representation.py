"""Seed 004's shapes: the invoice `data`, its line items, and the response envelope.

Plain dicts; amounts stay `Decimal` (FlowPayrollResponse writes them as exact JSON numbers).
Every key the seed documents is present. An issued invoice's one attachment is its PDF, behind a
signed link that expires (documents.downloads). `appliedCredits` are the customer credit the invoice
received from credit notes (credit allocations), `totalCreditAmount` their sum. Keys for concepts
this service does not have (line attachments, tags, employees, pay elements, accounting sync) carry
their empty value: `[]` for lists, `0` for counts, `null` for text and dates, so nothing invented
looks like data.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, localcontext
from typing import Any

from invoicing.core.repository import Record
from invoicing.currencies.catalog import find_currency
from invoicing.documents.downloads.signing import DOWNLOAD_PATH, sign, token_of
from invoicing.documents.links import public_url
from invoicing.invoices.lifecycle import Status, amount_due, available_actions
from invoicing.invoices.money import MONEY_PRECISION
from invoicing.invoices.transitions import InvoiceView, facts_of

# Java DateTimeFormatter patterns, the notation FlowPayroll's `metadata` uses. Dates are calendar
# days in the tenant's zone; instants are always UTC, with milliseconds.
DATE_FORMAT = "yyyy-MM-dd"
DATE_TIME_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"

# FlowPayroll knows four statuses. partially_paid still has money due: Issued (balanceDue
# tells how much). cancelled owes nothing and takes no payment: Voided, as in the HighLevel
# dialect; `lifecycleStatus` keeps the exact state for clients that need to tell them apart.
FLOWPAYROLL_STATUS: Mapping[Status, str] = {
    Status.DRAFT: "Draft",
    Status.ISSUED: "Issued",
    Status.PARTIALLY_PAID: "Issued",
    Status.PAID: "Paid",
    Status.CANCELLED: "Voided",
    Status.VOID: "Voided",
}

# This service keeps unit prices net of tax and adds the tax per line (Xero's "Exclusive").
LINE_AMOUNT_TYPES = "Exclusive"


def date_formats() -> dict[str, str]:
    return {"dateFormat": DATE_FORMAT, "dateTimeFormat": DATE_TIME_FORMAT}


def flowpayroll_date(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def flowpayroll_date_time(value: datetime | None) -> str | None:
    if value is None:
        return None
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def money(value: Decimal, quantum: Decimal) -> Decimal:
    """An amount with exactly the currency's minor units (`1180.00`, JPY `5`)."""
    with localcontext(prec=MONEY_PRECISION):
        return value.quantize(quantum)


@dataclass(frozen=True, slots=True)
class Owner:
    """What every line item repeats about its invoice."""

    invoice_id: str
    organisation_id: str
    client_id: str | None
    created_date: str | None


def owner_of(view: InvoiceView, organisation_id: str) -> Owner:
    return Owner(
        invoice_id=view.invoice["public_id"],
        organisation_id=organisation_id,
        client_id=view.customer["public_id"] if view.customer is not None else None,
        created_date=flowpayroll_date_time(view.invoice["created_at"]),
    )


def line_item_data(line: Record, owner: Owner) -> dict[str, Any]:
    """`units`/`chargeUnits` are the quantity, `chargeRate` the unit price, `chargeValue` and
    `lineAmount` the net (after discount), `amount` the line's total with tax."""
    return {
        "id": line["public_id"],
        "invoiceId": owner.invoice_id,
        "organisationId": owner.organisation_id,
        "clientId": owner.client_id,
        "employeeId": None,
        "employeeName": None,
        "description": line["name"],
        "amount": line["amount_total"],
        "payElementId": None,
        "units": line["quantity"],
        "chargeRate": line["unit_price"],
        "chargeUnits": line["quantity"],
        "chargeValue": line["amount_net"],
        "date": None,
        "tags": [],
        # Lines have no timestamps of their own: they are written with the invoice.
        "createdDate": owner.created_date,
        "createdBy": None,
        "attachments": [],
        "payElementDescription": None,
        "accountCode": None,
        "taxType": None,
        "quantity": line["quantity"],
        "unitAmount": line["unit_price"],
        "lineAmount": line["amount_net"],
        "taxAmount": line["amount_tax"],
        "poNumber": None,
        # Additive: what the seed has no key for.
        "position": line["position"],
        "taxRatePercent": line["vat_rate_percent"],
        "discountPercent": line["discount_percent"],
        "discountAmount": line["amount_discount"],
    }


def subtotal_groups(lines: Sequence[Record]) -> list[dict[str, Any]]:
    """One group per tax rate, lowest rate first; sums of lines already rounded, so exact."""
    rates = sorted({line["vat_rate_percent"] for line in lines})
    groups = []
    for order, rate in enumerate(rates, start=1):
        chosen = [line for line in lines if line["vat_rate_percent"] == rate]
        with localcontext(prec=MONEY_PRECISION):
            net = sum((line["amount_net"] for line in chosen), Decimal(0))
            tax = sum((line["amount_tax"] for line in chosen), Decimal(0))
            total = sum((line["amount_total"] for line in chosen), Decimal(0))
        label = f"Tax {format(rate.normalize(), 'f')}%"
        groups.append({"label": label, "amount": net, "taxAmount": tax, "totalAmount": total, "sortOrder": order})
    return groups


def pdf_attachments(invoice: Record, status: Status, *, now: datetime) -> list[dict[str, Any]]:
    """The invoice's PDF, for an issued invoice (a draft's PDF is a preview, not a document).

    `fileSize` is null: knowing it means rendering the PDF, too costly on every read and list
    page; the download's Content-Length tells it (docs/decisions.md). `url` is the same signed
    link, so a client reading either key gets one that works."""
    if status is Status.DRAFT or invoice["document_number"] is None:
        return []
    link = sign(int(invoice["tenant_id"]), int(invoice["id"]), now=now)
    url = public_url(f"{DOWNLOAD_PATH}/{token_of(link)}")
    return [
        {
            "id": f"{invoice['public_id']}-pdf",
            "fileName": f"{invoice['document_number']}.pdf",
            "url": url,
            "description": None,
            "s3Key": None,
            "contentType": "application/pdf",
            "fileSize": None,
            "uploadedDate": flowpayroll_date_time(invoice["issued_at"]),
            "uploadedBy": None,
            "downloadUrl": url,
            "downloadUrlExpiresAt": flowpayroll_date_time(link.expires_at),
        }
    ]


def applied_credit(allocation: Record, quantum: Decimal) -> dict[str, Any]:
    """One allocation the invoice received: the credit note by its public id (as every FlowPayroll
    id is one), the amount, and when it was applied (an instant, like `createdDate`)."""
    return {
        "creditNoteId": allocation["credit_note_public_id"],
        "amountApplied": money(allocation["amount"], quantum),
        "appliedDate": flowpayroll_date_time(allocation["created_at"]),
        # Additive: the number printed on the credit note, which people quote.
        "creditNoteNumber": allocation["credit_note_number"],
    }


def invoice_data(
    view: InvoiceView, *, organisation_id: str, allocations: Sequence[Record], now: datetime
) -> dict[str, Any]:
    """`allocations` are those the invoice received, oldest first (credit_notes.service.allocations_to);
    `now` starts the attachments' download links' lifetime."""
    invoice = view.invoice
    facts = facts_of(invoice)
    currency = find_currency(invoice["currency"])
    assert currency is not None, "stored currencies come from the catalogue"
    quantum = currency.quantum
    owner = owner_of(view, organisation_id)
    line_count = len(view.summed_lines)
    applied = [applied_credit(allocation, quantum) for allocation in allocations]
    with localcontext(prec=MONEY_PRECISION):
        total_applied = sum((allocation["amount"] for allocation in allocations), Decimal(0))
    return {
        "id": invoice["public_id"],
        "organisationId": organisation_id,
        "clientId": owner.client_id,
        "amount": money(invoice["amount_payable"], quantum),
        "lineAmountTypes": LINE_AMOUNT_TYPES,
        "subTotal": money(invoice["amount_tax_exclusive"], quantum),
        "totalTax": money(invoice["amount_tax_total"], quantum),
        "totalCreditAmount": money(total_applied, quantum),
        "balanceDue": money(amount_due(facts), quantum),
        "currencyCode": invoice["currency"],
        "appliedCredits": applied,
        "groupingKey": None,
        "invoiceFormatTagGroup": None,
        "invoiceFormatTagName": None,
        "date": flowpayroll_date(invoice["issue_date"]),
        "dueDate": flowpayroll_date(invoice["due_date"]),
        "invoiceNumber": invoice["document_number"],
        "reference": None,
        "attachments": pdf_attachments(invoice, facts.status, now=now),
        "lineItemAttachmentCount": 0,
        "linesWithoutAttachmentsCount": line_count,
        "linesWithoutPoNumberCount": line_count,
        "lineItems": [line_item_data(line, owner) for line in view.lines],
        "subtotalGroups": subtotal_groups(view.summed_lines),
        "tags": [],
        "externalId": None,
        "externalProvider": None,
        "lastSyncedAt": None,
        "syncStatus": None,
        "syncErrorMessage": None,
        "syncErrorCode": None,
        "externalProviderStatus": None,
        "emailSent": invoice["sent_at"] is not None,
        "emailSentAt": flowpayroll_date_time(invoice["sent_at"]),
        "emailSentBy": None,
        "createdDate": owner.created_date,
        "createdBy": None,
        "updatedDate": flowpayroll_date_time(invoice["updated_at"]),
        "updatedBy": None,
        # Additive (SPEC 3): the status in FlowPayroll's words and exactly, and what may be done now.
        "status": FLOWPAYROLL_STATUS[facts.status],
        "lifecycleStatus": facts.status.value,
        "availableActions": available_actions(facts),
        "amountPaid": money(invoice["amount_paid"], quantum),
        # The invoice's own credit notes, as the primary API shows them; with these,
        # balanceDue = amount - amountPaid - (amountCredited - amountRefunded - amountKeptAsCredit)
        # - totalCreditAmount while the invoice is open (0 once cancelled or void).
        "amountCredited": money(invoice["amount_credited"], quantum),
        "amountRefunded": money(invoice["amount_refunded"], quantum),
        "amountKeptAsCredit": money(invoice["amount_kept_as_credit"], quantum),
        "notes": invoice["notes"],
    }


def message(text: str, text_id: str, **parameters: str) -> dict[str, Any]:
    return {"text": text, "textId": text_id, "textParameters": key_values(parameters)}


def key_values(parameters: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in parameters.items()]


def envelope(data: Any, *, said: Mapping[str, Any], page: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A success: `errors` is empty and `message` says what happened. A page's
    `paginationToken`, `pageSize` and `hasMorePages` sit beside the date formats in
    `content.metadata`, which describes `content`."""
    return {
        "content": {"data": data, "metadata": {**date_formats(), **(page or {})}},
        "metadata": date_formats(),
        "errors": [],
        "message": dict(said),
    }


def error_envelope(errors: Sequence[Mapping[str, Any]], *, said: Mapping[str, Any]) -> dict[str, Any]:
    """A refusal: no `content`, the reasons in `errors`, the summary in `message`."""
    return {"content": None, "metadata": date_formats(), "errors": list(errors), "message": dict(said)}
