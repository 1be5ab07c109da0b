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
from invoicing.invoices.money import LineInput, amount_in_base_currency, document_totals, line_amounts
from invoicing.invoices.schemas import LineIn

ONE = Decimal(1)


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


def line_inputs_from_rows(rows: Sequence[Record]) -> list[LineInput]:
    return [
        LineInput(
            name=row["name"],
            quantity=row["quantity"],
            unit_price=row["unit_price"],
            vat_rate_percent=row["vat_rate_percent"],
            discount_percent=row["discount_percent"],
        )
        for row in rows
    ]


def line_inputs_from_request(lines: Sequence[LineIn]) -> list[LineInput]:
    return [
        LineInput(
            name=line.name,
            quantity=line.quantity,
            unit_price=line.unit_price,
            vat_rate_percent=line.vat_rate_percent,
            discount_percent=line.discount_percent,
        )
        for line in lines
    ]


def price_lines(
    lines: Sequence[LineInput], *, currency: Currency, exchange_rate: Decimal, base_currency: Currency
) -> PricedLines:
    """Line rows to store and the header's money fields (SPEC 4)."""
    rows: list[dict[str, Any]] = []
    amounts = []
    for position, line in enumerate(lines, start=1):
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
