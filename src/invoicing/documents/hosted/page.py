"""The hosted invoice page: the InvoiceDocument as HTML, in the invoice's locale.

Jinja2 with autoescape (every value from the invoice is text, never markup). The stylesheet is
inline and allowed by its hash in the Content-Security-Policy, so the page loads nothing but
itself and its logo (a data: URI): a token in the URL never leaks through a sub-request.
"""

import base64
import hashlib
from decimal import Decimal
from functools import cache
from importlib.resources import files
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from invoicing.documents.formatting import (
    address_lines,
    format_date,
    format_money,
    format_percent,
    format_quantity,
    format_unit_price,
)
from invoicing.documents.hosted.texts import download_labels
from invoicing.documents.model import InvoiceDocument
from invoicing.documents.texts import language, texts_for

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


def render_page(document: InvoiceDocument, *, pdf_url: str, ubl_url: str | None) -> str:
    """The page of an issued invoice (`document.number` set), worded and formatted as its PDF."""
    locale = document.locale
    t = texts_for(locale)

    def money(amount: Decimal) -> str:
        return format_money(amount, document.currency, locale, minor_units=document.minor_units)

    stamps = {"paid": t["paid"], "cancelled": t["cancelled"], "void": t["void"]}
    context: dict[str, Any] = {
        "d": document,
        "t": t,
        "downloads": download_labels(locale),
        "lang": language(locale),
        "css": Markup(_CSS),  # noqa: S704 (our own stylesheet, hashed in the CSP)
        "stamp": stamps.get(document.status),
        "stamp_paid": document.status == "paid",
        "issue_date": format_date(document.issue_date, locale) if document.issue_date else None,
        "due_date": format_date(document.due_date, locale) if document.due_date else None,
        "amount_due": money(document.totals.due),
        "logo": _logo_uri(document),
        "pdf_url": pdf_url,
        "ubl_url": ubl_url,
        "parties": [(t["seller"], document.seller), (t["bill_to"], document.buyer)],
        "address_lines": lambda party: address_lines(party.postal_address, locale),
        "lines": [
            {
                "name": line.name,
                "quantity": format_quantity(line.quantity, locale),
                "unit_price": format_unit_price(
                    line.unit_price, document.currency, locale, minor_units=document.minor_units
                ),
                "discount": money(line.amount_discount) if line.amount_discount else "",
                "rate": format_percent(line.vat_rate_percent, locale),
                "net": money(line.amount_net),
            }
            for line in document.lines
        ],
        "tax_groups": [
            {
                "rate": format_percent(group.rate_percent, locale),
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


def _logo_uri(document: InvoiceDocument) -> str | None:
    if document.logo is None:
        return None
    return f"data:{document.logo.media_type};base64,{base64.b64encode(document.logo.data).decode()}"


NOT_FOUND_PAGE = (
    b'<!doctype html><html lang="en"><head><meta charset="utf-8">'
    b'<meta name="viewport" content="width=device-width, initial-scale=1">'
    b"<title>Not found</title></head><body><p>This invoice link does not exist.</p></body></html>"
)
