"""Value formatting shared by the primary API's representations."""

from datetime import date, datetime
from decimal import Decimal

from invoicing.invoices.money import MONEY_CONTEXT


def timestamp(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def decimal_text(value: Decimal | None) -> str | None:
    """Plain notation (never `1E+3`), keeping the stored exponent: `"1180.00"`."""
    return format(value, "f") if value is not None else None


def money_text(value: Decimal, quantum: Decimal) -> str:
    """An amount with exactly the currency's minor units: `"0.00"`, `"1180.00"`, `"5"` (JPY)."""
    return format(value.quantize(quantum, context=MONEY_CONTEXT), "f")
