"""The hosted invoice page: the InvoiceDocument as HTML, in the invoice's locale.

Jinja2 with autoescape (every value from the invoice is text, never markup). The stylesheet is
inline and allowed by its hash in the Content-Security-Policy, so the page loads nothing but
itself and its logo (a data: URI): a token in the URL never leaks through a sub-request.
"""

import base64
import hashlib
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from functools import cache
from importlib.resources import files
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from invoicing.documents.hosted.texts import texts_for
from invoicing.documents.model import InvoiceDocument, Party

_CSS = files("invoicing.documents.hosted").joinpath("page.css").read_text(encoding="utf-8")
STYLE_HASH = "sha256-" + base64.b64encode(hashlib.sha256(_CSS.encode()).digest()).decode()
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src '{STYLE_HASH}'; img-src data: 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("invoicing.documents.hosted", ""),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _babel_locale(locale: str) -> str:
    try:
        return str(Locale.parse(locale.replace("-", "_")))
    except (UnknownLocaleError, ValueError):
        return "en"


def render_page(document: InvoiceDocument, *, pdf_url: str, ubl_url: str) -> str:
    """The page of an issued invoice (`document.number` set)."""
    locale = _babel_locale(document.locale)
    t = texts_for(locale)

    def money(amount: Decimal) -> str:
        return format_currency(amount, document.currency, locale=locale, currency_digits=True)

    def quantity(amount: Decimal) -> str:
        return format_decimal(amount.normalize(), locale=locale, decimal_quantization=False)

    def percent(rate: Decimal) -> str:
        return format_percent(rate / 100, locale=locale, decimal_quantization=False)

    def day(value: date | None) -> str | None:
        return format_date(value, format="medium", locale=locale) if value is not None else None

    stamps = {"paid": t["paid_stamp"], "cancelled": t["cancelled_stamp"], "void": t["void_stamp"]}
    context: dict[str, Any] = {
        "d": document,
        "t": t,
        "lang": locale.split("_")[0],
        "css": Markup(_CSS),  # noqa: S704 (our own stylesheet, hashed in the CSP)
        "stamp": stamps.get(document.status),
        "stamp_paid": document.status == "paid",
        "issue_date": day(document.issue_date),
        "due_date": day(document.due_date),
        "amount_due": money(document.totals.due),
        "logo": _logo_uri(document),
        "pdf_url": pdf_url,
        "ubl_url": ubl_url,
        "parties": [(t["seller"], document.seller), (t["buyer"], document.buyer)],
        "address_lines": _address_lines,
        "lines": [
            {
                "name": line.name,
                "quantity": quantity(line.quantity),
                "unit_price": money(line.unit_price),
                "discount": money(line.amount_discount) if line.amount_discount else "",
                "rate": percent(line.vat_rate_percent),
                "net": money(line.amount_net),
            }
            for line in document.lines
        ],
        "tax_groups": [
            {
                "rate": percent(group.rate_percent),
                "taxable": money(group.taxable_amount),
                "tax": money(group.tax_amount),
            }
            for group in document.tax_subtotals
        ],
        "totals": {
            "net": money(document.totals.tax_exclusive),
            "total": money(document.totals.tax_inclusive),
            "paid": money(document.totals.paid) if document.totals.paid else None,
        },
    }
    return _environment().get_template("page.html.j2").render(context)


def _address_lines(party: Party) -> Iterator[str]:
    address = party.postal_address
    yield from (line for line in (address.line1, address.line2) if line)
    city = " ".join(part for part in (address.postal_code, address.city) if part)
    if city:
        yield city
    if address.country_code:
        yield address.country_code


def _logo_uri(document: InvoiceDocument) -> str | None:
    if document.logo is None:
        return None
    return f"data:{document.logo.media_type};base64,{base64.b64encode(document.logo.data).decode()}"


NOT_FOUND_PAGE = (
    b'<!doctype html><html lang="en"><head><meta charset="utf-8">'
    b'<meta name="viewport" content="width=device-width, initial-scale=1">'
    b"<title>Not found</title></head><body><p>This invoice link does not exist.</p></body></html>"
)
