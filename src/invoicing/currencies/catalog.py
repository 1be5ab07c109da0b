"""ISO 4217 currencies from the `iso4217` package (ISO's own table), symbols from CLDR (babel).

Only currencies with numeric minor units can be invoiced; funds and metals (XAU, XDR...)
have none in ISO's table and are left out.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache

import iso4217
from babel import Locale, UnknownLocaleError
from babel.languages import get_official_languages
from babel.numbers import get_currency_symbol

DATA_PUBLISHED_AT = datetime(
    iso4217.__published__.year, iso4217.__published__.month, iso4217.__published__.day, tzinfo=UTC
)


@dataclass(frozen=True, slots=True)
class Currency:
    id: int  # ISO 4217 numeric code: stable, so clients may store it
    code: str
    name: str
    symbol: str
    minor_units: int
    locale: str

    @property
    def quantum(self) -> Decimal:
        """The smallest amount: Decimal('0.01') for 2 minor units, Decimal('1') for 0."""
        return Decimal(1).scaleb(-self.minor_units)


def _symbol_and_locale(code: str) -> tuple[str, str]:
    # Most codes start with the issuing territory (TRY -> TR); its own locale gives the local
    # symbol (₺), where English would only repeat the code.
    territory = code[:2]
    for language in get_official_languages(territory, de_facto=True):
        try:
            locale = Locale.parse(f"{language}_{territory}")
        except (UnknownLocaleError, ValueError):
            continue
        symbol = locale.currency_symbols.get(code)
        if symbol:
            return symbol, str(locale)
    return get_currency_symbol(code, locale="en"), "en"


@cache
def all_currencies() -> dict[str, Currency]:
    catalog: dict[str, Currency] = {}
    for code, entry in sorted(iso4217.raw_table.items(), key=lambda item: item[0] or ""):
        minor_units = str(entry.get("CcyMnrUnts") or "")
        if not code or not minor_units.isdigit() or entry.get("CcyNbr") is None:
            continue
        symbol, locale = _symbol_and_locale(code)
        catalog[code] = Currency(
            id=int(str(entry["CcyNbr"])),
            code=code,
            name=str(entry["CcyNm"]),
            symbol=symbol,
            minor_units=int(minor_units),
            locale=locale,
        )
    return catalog


def find_currency(code: str) -> Currency | None:
    return all_currencies().get(code.upper())
