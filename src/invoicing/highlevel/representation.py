"""HighLevel's invoice object (DefaultInvoiceResponseDto and GetInvoiceResponseDto), as a plain dict.

Every key of the DTOs is present with its JSON type (tests/test_highlevel_shapes.py); amounts
are Decimals, written as JSON numbers by HighLevelResponse. Additive keys: `documentNumber`,
`termsNotes`, `availableActions` (SPEC 3), and the credit figures of the primary API.

HighLevel has no credit notes, so its three figures carry them: `total` is the invoice less its
live credit notes, `amountPaid` what the customer has paid towards it net (payments less what was
refunded or kept as customer credit, plus credit applied from other notes), `amountDue` the amount
due; total = amountPaid + amountDue holds while the invoice is open (docs/highlevel.md).
"""

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from invoicing.core.render import day
from invoicing.core.repository import Record
from invoicing.credit_notes.money import CreditedTotals
from invoicing.currencies.catalog import find_currency
from invoicing.highlevel.mapping import details_of
from invoicing.invoices.lifecycle import InvoiceFacts, Status, amount_due, available_actions
from invoicing.invoices.money import MONEY_CONTEXT, ZERO
from invoicing.invoices.transitions import InvoiceView, facts_of

# SPEC 6. A deleted invoice is shown only in the answer to its delete: it was a draft then.
HIGHLEVEL_STATUS: Mapping[Status, str] = {
    Status.DRAFT: "draft",
    Status.ISSUED: "sent",
    Status.PARTIALLY_PAID: "partially_paid",
    Status.PAID: "paid",
    Status.VOID: "void",
    Status.CANCELLED: "void",
    Status.DELETED: "draft",
}


def highlevel_time(moment: datetime) -> str:
    """`2023-12-12T09:27:42.355Z`: UTC with milliseconds, as HighLevel writes them."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def invoice_object(view: InvoiceView, location: Record, credited: CreditedTotals | None = None) -> dict[str, Any]:
    """`credited`: what the invoice's live credit notes credit (credit_notes.service.credited_totals);
    needed only when it has any (amount_credited > 0)."""
    invoice = view.invoice
    details = details_of(invoice)
    facts = facts_of(invoice)
    quantum = _quantum(invoice["currency"])
    assert credited is not None or not facts.has_credit_notes, "a credited invoice is shown with its credit notes"
    return {
        "_id": invoice["public_id"],
        "status": HIGHLEVEL_STATUS[facts.status],
        "liveMode": bool(details.get("liveMode", False)),
        "amountPaid": net_paid(facts).quantize(quantum),
        "altId": location["public_id"],
        "altType": "location",
        "name": details.get("name") or "Invoice",
        "businessDetails": details.get("businessDetails") or {"name": location["name"]},
        # A number, as the DTO types it: the sequence within its series and year; 0 until the
        # invoice is numbered (at send), since drafts take no number (SPEC 3).
        "invoiceNumber": invoice["number_sequence"] or 0,
        "documentNumber": invoice["document_number"],
        "currency": invoice["currency"],
        "contactDetails": _contact(view.customer, details.get("contact")),
        "issueDate": day(invoice["issue_date"]),
        "dueDate": day(invoice["due_date"]),
        "discount": details.get("discount") or {"type": "percentage", "value": 0},
        "invoiceItems": _items(view.lines, invoice["currency"], details.get("items")),
        "total": MONEY_CONTEXT.subtract(invoice["amount_payable"], invoice["amount_credited"]),
        "title": details.get("title") or "INVOICE",
        "termsNotes": invoice["notes"],
        "amountDue": amount_due(facts).quantize(quantum),
        "createdAt": highlevel_time(invoice["created_at"]),
        "updatedAt": highlevel_time(invoice["updated_at"]),
        "automaticTaxesEnabled": False,
        "automaticTaxesCalculated": False,
        # Features this service does not have, present (empty) because the DTOs list them.
        "paymentSchedule": {},
        "remindersConfiguration": {},
        "totalSummary": _total_summary(
            view.summed_lines, invoice["amount_tax_total"], credited or CreditedTotals(), quantum
        ),
        "availableActions": available_actions(facts),
        # Additive: the primary API's credit figures, for a client that must tell them apart.
        "amountCredited": invoice["amount_credited"].quantize(quantum),
        "amountRefunded": invoice["amount_refunded"].quantize(quantum),
        "amountKeptAsCredit": invoice["amount_kept_as_credit"].quantize(quantum),
        "amountCreditApplied": invoice["amount_credit_applied"].quantize(quantum),
    }


def net_paid(facts: InvoiceFacts) -> Decimal:
    """What the customer has paid towards the invoice, net: payments and customer credit applied
    from other notes, less what its own credit notes refunded or kept as credit (that money left
    this invoice). Never negative: a credit goes beyond the amount due only once all was settled."""
    received = facts.amount_paid + facts.amount_credit_applied
    return MONEY_CONTEXT.subtract(received, facts.amount_refunded + facts.amount_kept_as_credit)


def _quantum(currency_code: str) -> Decimal:
    currency = find_currency(currency_code)
    assert currency is not None, "stored currencies come from the catalogue"
    return currency.quantum


def _contact(customer: Record | None, extras: dict[str, Any] | None) -> dict[str, Any]:
    if customer is None:
        return {}
    # Address and custom fields were kept for the contact they came with; not for another one.
    kept = extras if extras and extras.get("id") == customer["public_id"] else {}
    return {
        "id": customer["public_id"],
        "name": " ".join(part for part in (customer["first_name"], customer["last_name"]) if part),
        "email": customer["email"] or "",
        "phoneNo": customer["phone_number"] or "",
        "companyName": customer["company_name"] or "",
        "address": kept.get("address", {}),
        "additionalEmails": kept.get("additionalEmails", []),
        "customFields": kept.get("customFields", []),
    }


def _items(lines: Sequence[Record], currency: str, extras: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    kept = extras or []
    # Extras belong to the lines they were sent with; lines replaced through another API have none.
    if len(kept) != len(lines) or any(extra["name"] != line["name"] for extra, line in zip(kept, lines, strict=False)):
        kept = [{} for _ in lines]
    return [_item(line, currency, extra) for line, extra in zip(lines, kept, strict=True)]


def _item(line: Record, currency: str, extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "_id": line["public_id"],
        "name": line["name"],
        "description": extra.get("description") or "",
        "productId": extra.get("productId") or "",
        "priceId": extra.get("priceId") or "",
        "currency": currency,
        "amount": line["unit_price"],
        "qty": line["quantity"],
        "taxes": extra.get("taxes") or _vat(line),
        "taxInclusive": False,
        "type": extra.get("type") or "one_time",
    }


def _vat(line: Record) -> list[dict[str, Any]]:
    rate = line["vat_rate_percent"]
    if rate == 0:
        return []
    return [{"_id": "vat", "name": "VAT", "rate": rate, "calculation": "exclusive"}]


def _total_summary(
    lines: Sequence[Record], tax_total: Decimal, credited: CreditedTotals, quantum: Decimal
) -> dict[str, Decimal]:
    # Each line's rounded gross is its net plus its discount (invoices.money), and so is each
    # credit note line's: subTotal - discount + tax is exactly `total`, the invoice less its credits.
    discount = sum((line["amount_discount"] for line in lines), ZERO)
    net = sum((line["amount_net"] for line in lines), ZERO)
    return {
        "subTotal": (net + discount - credited.gross).quantize(quantum),
        "discount": (discount - credited.discount).quantize(quantum),
        "tax": (tax_total - credited.tax).quantize(quantum),
    }
