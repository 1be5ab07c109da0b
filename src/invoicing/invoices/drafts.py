"""Turning request fields into stored draft values: references resolved, money computed.

Pure computation over rows the service already loaded, so the service functions stay short.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from invoicing.core.errors import Unprocessable
from invoicing.core.repository import Record
from invoicing.currencies.catalog import Currency, find_currency
from invoicing.customers.representation import display_name
from invoicing.documents.model import TaxCategory
from invoicing.invoices.money import LineInput, amount_in_base_currency, document_totals, line_amounts
from invoicing.invoices.schemas import LineIn
from invoicing.invoices.tax_codes import DEFAULT_UNIT_CODE, category_problems, default_category

ONE = Decimal(1)


@dataclass(frozen=True, slots=True)
class LineTax:
    """What a line says about its VAT beyond the rate (EN 16931 BT-151, BT-120, BT-121) and its unit."""

    category: TaxCategory
    exemption_reason_code: str | None = None
    exemption_reason: str | None = None
    unit_code: str = DEFAULT_UNIT_CODE

    def columns(self) -> dict[str, Any]:
        return {
            "tax_category": self.category.value,
            "tax_exemption_reason_code": self.exemption_reason_code,
            "tax_exemption_reason": self.exemption_reason,
            "unit_code": self.unit_code,
        }


@dataclass(frozen=True, slots=True)
class DraftLine:
    amounts: LineInput
    tax: LineTax


@dataclass(frozen=True, slots=True)
class PricedLines:
    rows: list[dict[str, Any]]
    header: dict[str, Decimal]


def resolve_currency(code: str) -> Currency:
    currency = find_currency(code) if code.isupper() else None  # codes are upper case, as published
    if currency is None:
        raise Unprocessable.field("currency", f"{code!r} is not an ISO 4217 currency code.", code="unknown_currency")
    return currency


def receiver_snapshot(customer: Record | None) -> dict[str, Any]:
    """What the invoice prints about its receiver, copied so later customer edits don't rewrite it."""
    if customer is None:
        return {"receiver_name": None, "receiver_tax_number": None, "receiver_email": None}
    return {
        "receiver_name": display_name(customer),
        "receiver_tax_number": customer["tax_number"] or customer["identity_number"],
        "receiver_email": customer["email"],
    }


def line_inputs_from_rows(rows: Sequence[Record]) -> list[DraftLine]:
    return [
        DraftLine(
            LineInput(
                name=row["name"],
                quantity=row["quantity"],
                unit_price=row["unit_price"],
                vat_rate_percent=row["vat_rate_percent"],
                discount_percent=row["discount_percent"],
            ),
            LineTax(
                TaxCategory(row["tax_category"]),
                row["tax_exemption_reason_code"],
                row["tax_exemption_reason"],
                row["unit_code"],
            ),
        )
        for row in rows
    ]


def line_inputs_from_request(lines: Sequence[LineIn]) -> list[DraftLine]:
    """The lines, each with its tax category (defaulted from the rate). Raises Unprocessable
    (`invalid_tax_category`) naming `lines[i].<field>` where category, rate and reason disagree."""
    drafted = []
    errors: dict[str, list[str]] = {}
    for index, line in enumerate(lines):
        category = TaxCategory(line.tax_category) if line.tax_category else default_category(line.vat_rate_percent)
        has_reason = bool(line.tax_exemption_reason_code or line.tax_exemption_reason)
        for field, message in category_problems(category, line.vat_rate_percent, has_reason=has_reason).items():
            errors.setdefault(f"lines[{index}].{field}", []).append(message)
        amounts = LineInput(
            name=line.name,
            quantity=line.quantity,
            unit_price=line.unit_price,
            vat_rate_percent=line.vat_rate_percent,
            discount_percent=line.discount_percent,
        )
        tax = LineTax(
            category, line.tax_exemption_reason_code, line.tax_exemption_reason, line.unit_code or DEFAULT_UNIT_CODE
        )
        drafted.append(DraftLine(amounts, tax))
    if errors:
        message = "Some lines' tax categories disagree with their rates or exemption reasons."
        raise Unprocessable(message, code="invalid_tax_category", errors=errors)
    return drafted


def price_lines(
    lines: Sequence[DraftLine | LineInput], *, currency: Currency, exchange_rate: Decimal, base_currency: Currency
) -> PricedLines:
    """Line rows to store and the header's money fields (SPEC 4). A bare LineInput (the
    benchmark's data) gets the default category of its rate."""
    rows: list[dict[str, Any]] = []
    amounts = []
    for position, drafted in enumerate(lines, start=1):
        line, tax = (
            (drafted.amounts, drafted.tax)
            if isinstance(drafted, DraftLine)
            else (drafted, LineTax(default_category(drafted.vat_rate_percent)))
        )
        priced = line_amounts(line, currency.quantum)
        amounts.append(priced)
        rows.append(
            {
                "position": position,
                "name": line.name,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "vat_rate_percent": line.vat_rate_percent,
                "discount_percent": line.discount_percent,
                "amount_discount": priced.discount,
                "amount_net": priced.net,
                "amount_tax": priced.tax,
                "amount_total": priced.total,
                **tax.columns(),
            }
        )
    totals = document_totals(amounts, currency.quantum)
    return PricedLines(
        rows=rows,
        header={
            "amount_tax_exclusive": totals.tax_exclusive,
            "amount_tax_total": totals.tax_total,
            "amount_payable": totals.payable,
            "invoice_amount": amount_in_base_currency(totals.payable, exchange_rate, base_currency.quantum),
        },
    )
