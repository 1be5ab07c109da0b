"""The primary API's invoice object: every key of seed 000's `invoice`, plus additive keys.

Built as a plain dict (no pydantic on the way out); the shape tests hold it to the seed.
"""

from collections.abc import Sequence
from typing import Any

from invoicing.core.conditional import entity_tag
from invoicing.core.render import day, decimal_text, money_text, timestamp
from invoicing.core.repository import Record
from invoicing.core.responses import JsonResponse
from invoicing.currencies.catalog import find_currency
from invoicing.currencies.representation import currency_resource
from invoicing.customers.representation import customer_resource
from invoicing.documents.links import hosted_url
from invoicing.invoices.lifecycle import STATUS_LABELS, Status, amount_due, available_actions
from invoicing.invoices.transitions import InvoiceView, facts_of


def line_resource(row: Record) -> dict[str, Any]:
    return {
        "id": row["id"],
        "position": row["position"],
        "name": row["name"],
        "quantity": decimal_text(row["quantity"]),
        "unit_price": decimal_text(row["unit_price"]),
        "vat_rate_percent": decimal_text(row["vat_rate_percent"]),
        "discount_percent": decimal_text(row["discount_percent"]),
        "amount_discount": decimal_text(row["amount_discount"]),
        "amount_net": decimal_text(row["amount_net"]),
        "amount_tax": decimal_text(row["amount_tax"]),
        "amount_total": decimal_text(row["amount_total"]),
        "tax_category": row["tax_category"],
        "tax_exemption_reason_code": row["tax_exemption_reason_code"],
        "tax_exemption_reason": row["tax_exemption_reason"],
        "unit_code": row["unit_code"],
    }


def invoice_resource(view: InvoiceView, *, with_lines: bool = True) -> dict[str, Any]:
    """`with_lines=False` (list pages not expanded): no `lines` key, since an empty list would say
    the invoice has none."""
    invoice = view.invoice
    facts = facts_of(invoice)
    currency = find_currency(invoice["currency"])
    assert currency is not None, "stored currencies come from the catalogue"
    quantum = currency.quantum
    resource = {
        "id": invoice["id"],
        "public_id": invoice["public_id"],
        "document_number": invoice["document_number"],
        "document_class": invoice["document_class"],
        "document_type": invoice["document_type"],
        "profile_id": invoice["profile_id"],
        "issue_date": day(invoice["issue_date"]),
        "due_date": day(invoice["due_date"]),
        "sent_at": timestamp(invoice["sent_at"]),
        "sender_tax_number": invoice["sender_tax_number"],
        "receiver_name": invoice["receiver_name"],
        "receiver_tax_number": invoice["receiver_tax_number"],
        "receiver_email": invoice["receiver_email"],
        "exchange_rate": decimal_text(invoice["exchange_rate"]),
        "amount_tax_exclusive": money_text(invoice["amount_tax_exclusive"], quantum),
        "amount_tax_total": money_text(invoice["amount_tax_total"], quantum),
        "amount_payable": money_text(invoice["amount_payable"], quantum),
        "invoice_amount": decimal_text(invoice["invoice_amount"]),
        "amount_paid": money_text(invoice["amount_paid"], quantum),
        "amount_due": money_text(amount_due(facts), quantum),
        "amount_credited": money_text(invoice["amount_credited"], quantum),
        "amount_refunded": money_text(invoice["amount_refunded"], quantum),
        "amount_kept_as_credit": money_text(invoice["amount_kept_as_credit"], quantum),
        "amount_credit_applied": money_text(invoice["amount_credit_applied"], quantum),
        "status": facts.status.value,
        "status_label": STATUS_LABELS[facts.status],
        "is_printed": invoice["is_printed"],
        "is_cancelled": facts.status is Status.CANCELLED,
        "is_read": invoice["is_read"],
        "is_draft": facts.status is Status.DRAFT,
        "is_archived": invoice["is_archived"],
        "series_name": invoice["series_name"],
        "notes": invoice["notes"],
        "issued_at": timestamp(invoice["issued_at"]),
        "paid_at": timestamp(invoice["paid_at"]),
        "cancelled_at": timestamp(invoice["cancelled_at"]),
        "voided_at": timestamp(invoice["voided_at"]),
        "archived_at": timestamp(invoice["archived_at"]),
        "deleted_at": timestamp(invoice["deleted_at"]),
        "created_at": timestamp(invoice["created_at"]),
        "updated_at": timestamp(invoice["updated_at"]),
        "version": invoice["version"],
        "locale": invoice["locale"],
        "delivery_date": day(invoice["delivery_date"]),
        "uuid": invoice["uuid"],
        "available_actions": available_actions(facts),
        "customer": customer_resource(view.customer) if view.customer is not None else None,
        "currency": currency_resource(currency),
        "hosted_url": None if facts.status is Status.DRAFT else hosted_url(invoice["hosted_token"]),
    }
    if with_lines:
        resource["lines"] = [line_resource(line) for line in view.lines]
    return resource


def invoice_resources(views: Sequence[InvoiceView]) -> list[dict[str, Any]]:
    return [invoice_resource(view) for view in views]


def invoice_response(view: InvoiceView, body: object, *, status_code: int = 200) -> JsonResponse:
    """A response about one invoice, with its ETag for If-Match on the next change."""
    return JsonResponse(body, status_code=status_code, headers={"ETag": entity_tag(view.invoice["version"])})
