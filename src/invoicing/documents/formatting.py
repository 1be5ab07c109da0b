"""Amounts, quantities, rates and dates as a document prints them in its locale (babel, CLDR).

Decimal in, text out; no float ever enters. An amount prints exactly the digits the snapshot
holds: the currency's minor units (SPEC 4) rather than CLDR's idea of the currency, because the
two disagree for some currencies (CLDR gives HUF or ISK other digits than ISO 4217) and a
printed invoice must show what the ledger stores.
"""

import copy
from datetime import date
from decimal import Decimal

from babel import dates, numbers

from invoicing.documents.model import PostalAddress
from invoicing.documents.texts import babel_locale
from invoicing.parties.codes import subdivision_name

HUNDRED = Decimal(100)


def _fraction_digits(amount: Decimal) -> int:
    exponent = amount.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _plain(value: Decimal) -> Decimal:
    """`value` without trailing fractional zeros (2.500 -> 2.5, 3.00 -> 3, 100 stays 100)."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def format_money(amount: Decimal, currency: str, locale: str | None, *, minor_units: int | None = None) -> str:
    """`amount` in `currency` as `locale` writes it, with `minor_units` decimals.

    Without `minor_units` the amount's own exponent decides (snapshot amounts are quantized to
    the currency's minor units, so 12.50 EUR prints two decimals and 1000 JPY none). The value is
    never rounded: an amount with more digits than `minor_units` is a caller's bug.
    """
    digits = _fraction_digits(amount) if minor_units is None else minor_units
    if _fraction_digits(amount) > digits:
        raise ValueError(f"{amount} has more than {digits} fraction digits")
    loc = babel_locale(locale)
    # A copy of the locale's pattern with our digits: babel's own would use CLDR's currency digits.
    pattern = copy.copy(loc.currency_formats["standard"])
    pattern.frac_prec = (digits, digits)
    return str(pattern.apply(amount, loc, currency=currency, currency_digits=False))


def format_unit_price(price: Decimal, currency: str, locale: str | None, *, minor_units: int) -> str:
    """A net unit price: at least the currency's minor units, and every further digit it has.

    Unit prices may be finer than the currency (0.0125 EUR a message, SPEC 4): the line's net is
    what gets rounded, so the price prints whole, never cut to the minor unit.
    """
    plain = _plain(price)
    return format_money(plain, currency, locale, minor_units=max(minor_units, _fraction_digits(plain)))


def format_number(value: Decimal, locale: str | None) -> str:
    """`value` with the locale's separators and every significant digit it has."""
    return numbers.format_decimal(_plain(value), locale=babel_locale(locale), decimal_quantization=False)


def format_quantity(quantity: Decimal, locale: str | None) -> str:
    """A line quantity with its significant digits: 2, 1.5, 0.125 (de: 1,5)."""
    return format_number(quantity, locale)


def format_percent(rate_percent: Decimal, locale: str | None) -> str:
    """A VAT rate or discount given in percent (19, 5.5) as the locale writes it: 19%, 5,5 %, %19."""
    return numbers.format_percent(
        _plain(rate_percent) / HUNDRED, locale=babel_locale(locale), decimal_quantization=False
    )


def address_lines(address: PostalAddress, locale: str | None) -> list[str]:
    """A postal address as printed: street lines, postal code and city, region, country name.

    The country prints by name in the document's language (CLDR via babel), and an ISO 3166-2
    region by its name (pycountry), left out when it only repeats the city (TR-34 is İstanbul).
    """
    city = " ".join(part for part in (address.postal_code, address.city) if part)
    region = address.subdivision
    if region:
        region = subdivision_name(region) or region
        if address.city and region.casefold() == address.city.casefold():
            region = None
    country = None
    if address.country_code:
        country = babel_locale(locale).territories.get(address.country_code.upper(), address.country_code)
    return [line for line in (address.line1, address.line2, city, region, country) if line]


def format_date(value: date, locale: str | None) -> str:
    """A calendar date in the locale's medium form: Dec 2, 2026; 02.12.2026; 2 déc. 2026; 2 Ara 2026."""
    return dates.format_date(value, format="medium", locale=babel_locale(locale))
