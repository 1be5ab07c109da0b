"""Exact invoice arithmetic (SPEC 4). Decimal only; no float ever enters.

Each line's net and tax are rounded half-up to the currency's minor units on their own, and the
document totals are exact sums of those rounded figures, so
`amount_tax_exclusive + amount_tax_total == amount_payable` holds by construction. This is the
per-line method (Xero's "round each line"): lines 25.06, 25.61, 25.63 at 15% give tax 11.44,
where rounding the document once would give 11.45.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

HUNDRED = Decimal(100)
ZERO = Decimal(0)
# Wide enough that no product of bounded inputs (see schemas) is ever rounded before we round it.
MONEY_PRECISION = 60
# The same precision as a ready context, for reads that compute one amount per row: entering a
# local context per value costs more than the arithmetic.
MONEY_CONTEXT = Context(prec=MONEY_PRECISION)


@dataclass(frozen=True, slots=True)
class LineInput:
    name: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate_percent: Decimal
    discount_percent: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class LineAmounts:
    discount: Decimal
    net: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True, slots=True)
class DocumentTotals:
    tax_exclusive: Decimal
    tax_total: Decimal
    payable: Decimal


def round_money(amount: Decimal, quantum: Decimal) -> Decimal:
    """Half-up (away from zero at .5) to the currency's smallest unit."""
    with localcontext(prec=MONEY_PRECISION):
        return amount.quantize(quantum, rounding=ROUND_HALF_UP)


def line_amounts(line: LineInput, quantum: Decimal) -> LineAmounts:
    with localcontext(prec=MONEY_PRECISION):
        gross = line.quantity * line.unit_price
        net = round_money(gross - gross * line.discount_percent / HUNDRED, quantum)
        # The shown discount is what makes rounded gross and net agree to the unit.
        discount = round_money(gross, quantum) - net
        tax = round_money(net * line.vat_rate_percent / HUNDRED, quantum)
        return LineAmounts(discount=discount, net=net, tax=tax, total=net + tax)


def document_totals(lines: Iterable[LineAmounts], quantum: Decimal) -> DocumentTotals:
    with localcontext(prec=MONEY_PRECISION):
        tax_exclusive = round_money(ZERO, quantum)
        tax_total = round_money(ZERO, quantum)
        for line in lines:
            tax_exclusive += line.net
            tax_total += line.tax
        return DocumentTotals(tax_exclusive=tax_exclusive, tax_total=tax_total, payable=tax_exclusive + tax_total)


def amount_in_base_currency(amount: Decimal, exchange_rate: Decimal, base_quantum: Decimal) -> Decimal:
    with localcontext(prec=MONEY_PRECISION):
        return round_money(amount * exchange_rate, base_quantum)


@dataclass(frozen=True, slots=True)
class TaxGroup:
    """One group of the VAT breakdown (EN 16931 BG-23): every line of one tax category and rate."""

    category: str  # UNCL 5305 code (documents.model.TaxCategory)
    rate_percent: Decimal
    taxable_amount: Decimal
    tax_amount: Decimal


def tax_breakdown(lines: Iterable[tuple[str, Decimal, LineAmounts]], quantum: Decimal) -> list[TaxGroup]:
    """The lines' (category, rate, amounts) grouped per category and rate, in order of first appearance.

    Each group's taxable and tax amounts are exact sums of its lines' rounded net and tax, as the
    document totals are, so the groups add up to `document_totals` to the unit. (EN 16931's
    BR-CO-17 recomputes a group's tax from its taxable amount and allows one unit of difference
    for exactly this per-line rounding.) Rates compare by value: 19 and 19.00 are one group.
    """
    groups: dict[tuple[str, Decimal], list[Decimal]] = {}
    with localcontext(prec=MONEY_PRECISION):
        for category, rate, amounts in lines:
            sums = groups.setdefault((category, rate), [round_money(ZERO, quantum), round_money(ZERO, quantum)])
            sums[0] += amounts.net
            sums[1] += amounts.tax
    return [
        TaxGroup(category=category, rate_percent=rate, taxable_amount=taxable, tax_amount=tax)
        for (category, rate), (taxable, tax) in groups.items()
    ]
