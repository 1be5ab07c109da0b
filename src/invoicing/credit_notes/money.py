"""Exact credit-note arithmetic: each line priced as invoice lines are (per-line rounding), the
line that closes an invoice line taking exactly what is left of it, and the split of a credit
into what reduces the amount due, what is refunded and what is kept as customer credit.

Pure: the service loads the rows, this decides the figures and raises Unprocessable naming the
field at fault.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from invoicing.core.errors import Unprocessable
from invoicing.core.repository import Record
from invoicing.credit_notes.schemas import CreditByAmount, CreditByQuantity, CreditLineIn, FreeCreditLine
from invoicing.currencies.catalog import Currency
from invoicing.documents.model import TaxCategory
from invoicing.invoices.money import ZERO, LineInput, document_totals, line_amounts, round_money
from invoicing.invoices.tax_codes import DEFAULT_UNIT_CODE, category_problems, default_category


@dataclass(frozen=True, slots=True)
class Credited:
    """What the live issued credit notes already credit of one invoice line."""

    quantity: Decimal = ZERO  # by quantity only
    net: Decimal = ZERO  # by quantity and by amount
    tax: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class CreditedTotals:
    """What the live issued credit notes of one invoice credit in all: the lines' amounts before
    discount (net + discount, as an invoice line's gross), their discount and their tax."""

    gross: Decimal = ZERO
    discount: Decimal = ZERO
    tax: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class PricedCredit:
    rows: list[dict[str, Any]]
    tax_exclusive: Decimal
    tax_total: Decimal
    total: Decimal


@dataclass(frozen=True, slots=True)
class Split:
    reducing_due: Decimal
    refunded: Decimal
    kept_as_credit: Decimal


def price_credit_lines(
    lines: Sequence[CreditLineIn],
    *,
    invoice_lines: Mapping[int, Record],
    credited: Mapping[int, Credited],
    currency: Currency,
) -> PricedCredit:
    """Rows to store for `lines`; `credited` is what earlier notes took of each invoice line.

    Raises Unprocessable: `unknown_invoice_line` (not a line of this invoice), `invalid_amount`
    (more decimals than the currency has), `credit_exceeds_line` (more than is left of a line,
    by quantity or net amount, counting earlier lines of the same request).
    """
    quantum = currency.quantum
    running = dict(credited)
    rows: list[dict[str, Any]] = []
    errors: dict[str, list[str]] = {}
    for index, line in enumerate(lines):
        where = f"lines[{index}]"
        if isinstance(line, FreeCreditLine):
            row, problems = _free_line(line, quantum, where)
            errors.update(problems)
        else:
            source = invoice_lines.get(line.invoice_line_id)
            if source is None:
                message = f"Invoice line {line.invoice_line_id} is not a line of this invoice."
                raise Unprocessable.field(f"{where}.invoice_line_id", message, code="unknown_invoice_line")
            before = running.get(line.invoice_line_id, Credited())
            row = _credited_line(line, source, before, quantum, where)
            running[line.invoice_line_id] = Credited(
                quantity=before.quantity + (line.quantity if isinstance(line, CreditByQuantity) else ZERO),
                net=before.net + row["amount_net"],
                tax=before.tax + row["amount_tax"],
            )
        rows.append({"position": index + 1, **row})
    if errors:
        raise Unprocessable(
            "Some lines' tax categories disagree with their rates or exemption reasons.",
            code="invalid_tax_category",
            errors=errors,
        )
    tax_exclusive = sum((row["amount_net"] for row in rows), round_money(ZERO, quantum))
    tax_total = sum((row["amount_tax"] for row in rows), round_money(ZERO, quantum))
    return PricedCredit(rows=rows, tax_exclusive=tax_exclusive, tax_total=tax_total, total=tax_exclusive + tax_total)


def split_credit(total: Decimal, *, amount_due: Decimal, refund: Decimal, refundable: Decimal) -> Split:
    """A credit comes off the amount due first; of the rest, `refund` is paid back and the
    remainder kept as customer credit. Raises Unprocessable `refund_exceeds_credit` (more than
    the credit beyond the amount due) or `refund_exceeds_paid` (more than paid and not yet refunded)."""
    reducing_due = min(total, max(amount_due, ZERO))
    beyond = total - reducing_due
    if refund > beyond:
        message = f"Only {beyond} of this credit goes beyond the amount due; that is the most it can refund."
        raise Unprocessable(
            "The refund exceeds the credit.", code="refund_exceeds_credit", errors={"refund.amount": [message]}
        )
    if refund > refundable:
        message = f"At most {refundable} was paid and not yet refunded."
        raise Unprocessable(
            "The refund exceeds what was paid.", code="refund_exceeds_paid", errors={"refund.amount": [message]}
        )
    return Split(reducing_due=reducing_due, refunded=refund, kept_as_credit=beyond - refund)


def _credited_line(
    line: CreditByQuantity | CreditByAmount, source: Record, before: Credited, quantum: Decimal, where: str
) -> dict[str, Any]:
    left_net = source["amount_net"] - before.net
    left_tax = source["amount_tax"] - before.tax
    if isinstance(line, CreditByQuantity):
        left_quantity = source["quantity"] - before.quantity
        if line.quantity > left_quantity:
            message = f"Only {left_quantity} of the line's {source['quantity']} units are left to credit."
            raise Unprocessable.field(f"{where}.quantity", message, code="credit_exceeds_line")
        priced = line_amounts(
            LineInput(
                name=source["name"],
                quantity=line.quantity,
                unit_price=source["unit_price"],
                vat_rate_percent=source["vat_rate_percent"],
                discount_percent=source["discount_percent"],
            ),
            quantum,
        )
        # Never more than is left of the line: each part is rounded on its own, and parts
        # rounded up could otherwise add up to more than the line. The last units take exactly
        # what is left, so a line credited in parts sums to the line to the minor unit.
        net, tax = min(priced.net, left_net), min(priced.tax, left_tax)
        if line.quantity == left_quantity:
            net, tax = left_net, left_tax
        quantity, unit_price = line.quantity, source["unit_price"]
        discount_percent = source["discount_percent"]
        discount = priced.discount + priced.net - net
        credited_by = "quantity"
    else:
        if line.amount != round_money(line.amount, quantum):
            raise Unprocessable.field(f"{where}.amount", "More decimals than the currency has.", code="invalid_amount")
        if line.amount > left_net:
            message = f"Only {left_net} of the line's net amount {source['amount_net']} is left to credit."
            raise Unprocessable.field(f"{where}.amount", message, code="credit_exceeds_line")
        net = line.amount
        priced = line_amounts(
            LineInput(
                name=source["name"], quantity=Decimal(1), unit_price=net, vat_rate_percent=source["vat_rate_percent"]
            ),
            quantum,
        )
        tax = left_tax if net == left_net else min(priced.tax, left_tax)
        quantity, unit_price, discount_percent, discount = Decimal(1), net, ZERO, round_money(ZERO, quantum)
        credited_by = "amount"
    return {
        "invoice_line_id": source["id"],
        "credited_by": credited_by,
        "name": source["name"],
        "quantity": quantity,
        "unit_price": unit_price,
        "vat_rate_percent": source["vat_rate_percent"],
        "discount_percent": discount_percent,
        "amount_discount": discount,
        "amount_net": net,
        "amount_tax": tax,
        "amount_total": net + tax,
        "tax_category": source["tax_category"],
        "tax_exemption_reason_code": source["tax_exemption_reason_code"],
        "tax_exemption_reason": source["tax_exemption_reason"],
        "unit_code": source["unit_code"],
    }


def _free_line(line: FreeCreditLine, quantum: Decimal, where: str) -> tuple[dict[str, Any], dict[str, list[str]]]:
    category = TaxCategory(line.tax_category) if line.tax_category else default_category(line.vat_rate_percent)
    has_reason = bool(line.tax_exemption_reason_code or line.tax_exemption_reason)
    problems = {
        f"{where}.{field}": [message]
        for field, message in category_problems(category, line.vat_rate_percent, has_reason=has_reason).items()
    }
    priced = line_amounts(
        LineInput(
            name=line.name, quantity=line.quantity, unit_price=line.unit_price, vat_rate_percent=line.vat_rate_percent
        ),
        quantum,
    )
    totals = document_totals([priced], quantum)
    row = {
        "invoice_line_id": None,
        "credited_by": "line",
        "name": line.name,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "vat_rate_percent": line.vat_rate_percent,
        "discount_percent": ZERO,
        "amount_discount": priced.discount,
        "amount_net": totals.tax_exclusive,
        "amount_tax": totals.tax_total,
        "amount_total": totals.payable,
        "tax_category": category.value,
        "tax_exemption_reason_code": line.tax_exemption_reason_code,
        "tax_exemption_reason": line.tax_exemption_reason,
        "unit_code": line.unit_code or DEFAULT_UNIT_CODE,
    }
    return row, problems
