"""The primary API's credit note, allocation and credit balance: plain dicts, as invoices are."""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import orjson

from invoicing.core.conditional import entity_tag
from invoicing.core.render import day, money_text, timestamp
from invoicing.core.repository import Record
from invoicing.core.responses import JsonResponse
from invoicing.credit_notes.lifecycle import available_actions
from invoicing.credit_notes.service import CreditNoteView, facts_of_note
from invoicing.currencies.catalog import Currency, find_currency
from invoicing.invoices.representation import line_resource


def _currency(code: str) -> Currency:
    currency = find_currency(code)
    assert currency is not None, "stored currencies come from the catalogue"
    return currency


def credit_note_line_resource(row: Record) -> dict[str, Any]:
    """An invoice line's fields, and which invoice line it credits and how."""
    return {**line_resource(row), "invoice_line_id": row["invoice_line_id"], "credited_by": row["credited_by"]}


def credit_note_resource(view: CreditNoteView) -> dict[str, Any]:
    note = view.note
    quantum = _currency(note["currency"]).quantum
    refund = None
    if note["refund_amount"] is not None:
        refund = {
            "amount": money_text(note["refund_amount"], quantum),
            "method": note["refund_method"],
            "reference": note["refund_reference"],
            "refunded_at": timestamp(note["refunded_at"]),
        }
    return {
        "id": note["id"],
        "public_id": note["public_id"],
        "document_number": note["document_number"],
        "invoice_id": note["invoice_id"],
        "invoice_document_number": note["invoice_number"],
        "invoice_issue_date": day(note["invoice_issue_date"]),
        "customer_id": note["customer_id"],
        "series_name": note["series_name"],
        "currency": note["currency"],
        "status": note["status"],
        "reason": note["reason"],
        "issue_date": day(note["issue_date"]),
        "amount_tax_exclusive": money_text(note["amount_tax_exclusive"], quantum),
        "amount_tax_total": money_text(note["amount_tax_total"], quantum),
        "amount_total": money_text(note["amount_total"], quantum),
        "amount_reducing_due": money_text(note["amount_reducing_due"], quantum),
        "amount_refunded": money_text(note["amount_refunded"], quantum),
        "amount_kept_as_credit": money_text(note["amount_kept_as_credit"], quantum),
        "amount_allocated": money_text(note["amount_allocated"], quantum),
        "amount_available": money_text(note["amount_kept_as_credit"] - note["amount_allocated"], quantum),
        "refund": refund,
        "lines": [credit_note_line_resource(line) for line in view.lines],
        "available_actions": available_actions(facts_of_note(note)),
        "issued_at": timestamp(note["issued_at"]),
        "voided_at": timestamp(note["voided_at"]),
        "created_at": timestamp(note["created_at"]),
        "updated_at": timestamp(note["updated_at"]),
        "version": note["version"],
        "uuid": note["uuid"],
    }


def credit_note_response(view: CreditNoteView, body: object, *, status_code: int = 200) -> JsonResponse:
    """A response about one credit note, with its ETag for If-Match on its next change."""
    return JsonResponse(body, status_code=status_code, headers={"ETag": entity_tag(view.note["version"])})


def allocation_resource(row: Record, currency: str) -> dict[str, Any]:
    return {
        "id": row["id"],
        "public_id": row["public_id"],
        "credit_note_id": row["credit_note_id"],
        "credit_note_public_id": row["credit_note_public_id"],
        "credit_note_number": row["credit_note_number"],
        "invoice_id": row["invoice_id"],
        "amount": money_text(row["amount"], _currency(currency).quantum),
        "created_at": timestamp(row["created_at"]),
    }


def credit_note_event_resource(row: Record) -> dict[str, Any]:
    return {
        "id": row["id"],
        "public_id": row["public_id"],
        "credit_note_id": row["credit_note_id"],
        "sequence": row["sequence"],
        "type": row["type"],
        "from_status": row["from_status"],
        "to_status": row["to_status"],
        "actor": row["actor"],
        "request_id": row["request_id"],
        "data": orjson.loads(row["data"]) if row["data"] else None,
        "created_at": timestamp(row["created_at"]),
    }


def credit_balance_resource(customer_id: int, balances: Sequence[tuple[str, Decimal, Decimal]]) -> dict[str, Any]:
    entries = []
    for currency, kept, allocated in balances:
        quantum = _currency(currency).quantum
        entries.append(
            {
                "currency": currency,
                "amount_kept_as_credit": money_text(kept, quantum),
                "amount_allocated": money_text(allocated, quantum),
                "balance": money_text(kept - allocated, quantum),
            }
        )
    return {"customer_id": customer_id, "balances": entries}
