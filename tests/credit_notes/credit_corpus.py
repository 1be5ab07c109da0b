"""A deterministic corpus of credit notes, priced by the service's own code.

Each invoice of the documents corpus (tests/documents/corpus.py) is credited twice, through
`credit_notes.money.price_credit_lines` and `documents.snapshot.build_credit_note_document`
exactly as the service prices and snapshots an issued note: a first note credits part of each
line (by quantity, by net amount, or not at all) and may add a free goodwill line; a second
note credits what is left of every line by quantity, so its lines close their invoice lines and
carry the rounding residue the parts left (a negative `amount_discount`, shown as a charge).
"""

import random
import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

from invoicing.credit_notes.money import Credited, price_credit_lines
from invoicing.credit_notes.schemas import CreditByAmount, CreditByQuantity, CreditLineIn, FreeCreditLine
from invoicing.currencies.catalog import find_currency
from invoicing.documents.model import DocumentLine, InvoiceDocument, TaxCategory
from invoicing.documents.snapshot import build_credit_note_document
from invoicing.invoices.money import ZERO
from tests.documents.corpus import corpus

SEED = 20261203
INVOICES = 140  # of the documents corpus; two notes each


def credit_note_corpus(seed: int = SEED, invoices: int = INVOICES) -> list[InvoiceDocument]:
    rng = random.Random(seed)
    notes: list[InvoiceDocument] = []
    for index, invoice in enumerate(corpus()[:invoices]):
        source = {line.position: _invoice_line(line) for line in invoice.lines}
        first = _partial_requests(rng, invoice)
        credited: dict[int, Credited] = {}
        if first:
            notes.append(_note(invoice, first, source, credited, number=2 * index + 1))
            credited = _credited_after(first, source, credited, invoice)
        rest = [
            CreditByQuantity(
                invoice_line_id=position, quantity=line["quantity"] - credited.get(position, Credited()).quantity
            )
            for position, line in source.items()
            if line["quantity"] - credited.get(position, Credited()).quantity > 0
        ]
        if rest:
            notes.append(_note(invoice, rest, source, credited, number=2 * index + 2))
    return notes


def _invoice_line(line: DocumentLine) -> dict[str, Any]:
    """The invoice line as the service stores it (its position stands in for its id)."""
    return {
        "id": line.position,
        "name": line.name,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "vat_rate_percent": line.vat_rate_percent,
        "discount_percent": line.discount_percent,
        "amount_net": line.amount_net,
        "amount_tax": line.amount_tax,
        "tax_category": line.tax_category.value,
        "tax_exemption_reason_code": line.tax_exemption_reason_code,
        "tax_exemption_reason": line.tax_exemption_reason,
        "unit_code": line.unit_code,
    }


def _partial_requests(rng: random.Random, invoice: InvoiceDocument) -> list[CreditLineIn]:
    quantum = Decimal(1).scaleb(-invoice.minor_units)
    requests: list[CreditLineIn] = []
    for line in invoice.lines:
        choice = rng.choice(("quantity", "quantity", "amount", "none"))
        part = (line.quantity * Decimal(rng.choice(("0.5", "0.25", "0.75")))).quantize(
            Decimal("0.000001"), rounding=ROUND_DOWN
        )
        if choice == "quantity" and 0 < part < line.quantity:
            requests.append(CreditByQuantity(invoice_line_id=line.position, quantity=part))
        elif choice == "amount":
            amount = (line.amount_net * Decimal("0.3")).quantize(quantum, rounding=ROUND_DOWN)
            if amount > 0:
                requests.append(CreditByAmount(invoice_line_id=line.position, amount=amount))
    standard = [line for line in invoice.lines if line.tax_category is TaxCategory.STANDARD]
    if standard and rng.random() < 0.4:
        goodwill = Decimal(rng.choice(("5", "12.5", "40"))).quantize(quantum) or quantum
        requests.append(
            FreeCreditLine(
                name="Goodwill",
                quantity=Decimal(1),
                unit_price=goodwill,
                vat_rate_percent=standard[0].vat_rate_percent,
            )
        )
    return requests


def _note(
    invoice: InvoiceDocument,
    requests: list[CreditLineIn],
    source: dict[int, dict[str, Any]],
    credited: dict[int, Credited],
    *,
    number: int,
) -> InvoiceDocument:
    currency = find_currency(invoice.currency)
    assert currency is not None
    priced = price_credit_lines(requests, invoice_lines=source, credited=credited, currency=currency)
    assert invoice.number is not None
    assert invoice.issue_date is not None
    issued_at = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
    row = {
        "id": number,
        "public_id": f"cn{number:022d}",
        "uuid": str(uuid.UUID(int=number)),
        "status": "issued",
        "document_number": f"CRN2026{number:09d}",
        "issue_date": invoice.issue_date,
        "currency": invoice.currency,
        "reason": "Goods returned and a price correction",
        "amount_tax_exclusive": priced.tax_exclusive,
        "amount_tax_total": priced.tax_total,
        "amount_total": priced.total,
        "amount_reducing_due": priced.total,
        "amount_refunded": ZERO,
        "amount_kept_as_credit": ZERO,
        "issued_at": issued_at,
        "invoice_number": invoice.number,
        "invoice_issue_date": invoice.issue_date,
    }
    lines = [{**line, "id": position} for position, line in enumerate(priced.rows, start=1)]
    return build_credit_note_document(
        row,
        lines,
        {
            "profile_id": invoice.profile_id,
            "document_class": invoice.document_class,
            "delivery_date": invoice.delivery_date,
        },
        seller=asdict(invoice.seller),
        buyer=asdict(invoice.buyer),
        locale=invoice.locale,
        logo=None,
    )


def _credited_after(
    requests: list[CreditLineIn],
    source: dict[int, dict[str, Any]],
    before: dict[int, Credited],
    invoice: InvoiceDocument,
) -> dict[int, Credited]:
    """What the first note credits of each invoice line, as `credited_by_line` reads it back."""
    currency = find_currency(invoice.currency)
    assert currency is not None
    priced = price_credit_lines(requests, invoice_lines=source, credited=before, currency=currency)
    sums = dict(before)
    for row in priced.rows:
        if row["invoice_line_id"] is None:
            continue
        was = sums.get(row["invoice_line_id"], Credited())
        sums[row["invoice_line_id"]] = Credited(
            quantity=was.quantity + (row["quantity"] if row["credited_by"] == "quantity" else ZERO),
            net=was.net + row["amount_net"],
            tax=was.tax + row["amount_tax"],
        )
    return sums
