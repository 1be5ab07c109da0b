"""ISO 4217 currencies from the `iso4217` package (ISO's own table), symbols from CLDR (babel).

Only currencies with numeric minor units can be invoiced; funds and metals (XAU, XDR...)
have none in ISO's table and are left out.

The catalogue is derived from those two packages (`derive_catalog`) and kept in `catalog.json`
beside this module, which the service loads: deriving it loads CLDR data for some 200 locales,
about 70 MB that every worker process would otherwise hold for good, for 165 short rows. The
file is regenerated with `make currencies` after either package changes, and a test fails while
it differs from what the packages give.
"""

import json
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

CATALOG_FILE = Path(__file__).with_name("catalog.json")


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
    from babel import Locale, UnknownLocaleError
    from babel.languages import get_official_languages
    from babel.numbers import get_currency_symbol

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


def derive_catalog() -> tuple[date, dict[str, Currency]]:
    """ISO's table as the `iso4217` package has it (and its publication date), with CLDR symbols."""
    import iso4217

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
    published = iso4217.__published__
    return date(published.year, published.month, published.day), catalog


def catalog_document(published: date, catalog: dict[str, Currency]) -> str:
    rows = [asdict(currency) for currency in catalog.values()]
    return json.dumps({"published": published.isoformat(), "currencies": rows}, ensure_ascii=False, indent=1) + "\n"


@cache
def _stored() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(CATALOG_FILE.read_text(encoding="utf-8"))
    return document


@cache
def all_currencies() -> dict[str, Currency]:
    return {row["code"]: Currency(**row) for row in _stored()["currencies"]}


@cache
def data_published_at() -> datetime:
    """When ISO published the table the catalogue comes from."""
    return datetime.combine(date.fromisoformat(_stored()["published"]), datetime.min.time(), tzinfo=UTC)


def find_currency(code: str) -> Currency | None:
    return all_currencies().get(code.upper())


if __name__ == "__main__":  # `make currencies`: write catalog.json from the installed packages
    published_on, derived = derive_catalog()
    CATALOG_FILE.write_text(catalog_document(published_on, derived), encoding="utf-8")
    print(f"{CATALOG_FILE}: {len(derived)} currencies, ISO table of {published_on}")
