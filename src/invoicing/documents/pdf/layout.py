"""What the Typst template prints, as plain strings: every label, amount and date preformatted.

The template evaluates none of this as markup, so a name with `#`, `$` or `*` prints as typed,
and all formatting rules live in Python (texts, formatting) where the hosted page shares them.
"""

import functools
import io
import re
from decimal import Decimal
from typing import Any

import segno.helpers

from invoicing.documents.formatting import (
    address_lines,
    format_date,
    format_money,
    format_percent,
    format_quantity,
    format_unit_price,
)
from invoicing.documents.model import InvoiceDocument, Party
from invoicing.documents.texts import exemption_text, language, texts_for

STAMPS = {"cancelled": "cancelled", "void": "void"}


def _party_ids(party: Party, labels: dict[str, str]) -> list[str]:
    pairs = [
        ("vat_id", party.tax_number),
        ("registration_id", party.registration_id),
        ("email", party.email),
        ("phone", party.phone),
        ("website", party.website),
    ]
    return [f"{labels[key]}: {value}" for key, value in pairs if value]


def epc_qr_png(document: InvoiceDocument) -> bytes | None:
    """The EPC (SEPA credit transfer) QR code as PNG: EUR, a seller IBAN and something due only.

    PNG rather than SVG so the PDF carries it as one image a reader or a test can find.
    """
    if document.currency != "EUR" or not document.bank_accounts or document.totals.due <= 0 or document.is_draft:
        return None
    account = document.bank_accounts[0]
    return _epc_qr_png(
        document.seller.legal_name[:70], account.iban, account.bic or "", document.totals.due, document.number or ""
    )


# One fixed QR mask: make_epc_qr lets segno score all eight in pure Python (about 30 ms, most of a
# warm render), and any mask decodes since the symbol states its own. The payload is segno's
# own EPC069-12 builder (the one make_epc_qr calls; segno is pinned in the lock), error level M
# without boosting as the EPC standard requires. The same invoice fetched again reuses its code.
EPC_QR_MASK = 0


@functools.lru_cache(maxsize=512)
def _epc_qr_png(name: str, iban: str, bic: str, amount: Decimal, reference: str) -> bytes:
    payload = segno.helpers._make_epc_qr_data(  # type: ignore[attr-defined]  # private, not in the stubs
        name, iban, amount, reference[:140], None, bic, None, None
    )
    qr = segno.make_qr(payload, error="m", boost_error=False, mask=EPC_QR_MASK)
    out = io.BytesIO()
    # One pixel per module; Typst scales it up without smoothing, so the code stays sharp.
    qr.save(out, kind="png", scale=1, border=0)
    return out.getvalue()


# C0 and C1 controls but tab and line feed: no font has glyphs for them, and PDF/A forbids text
# it cannot display (Typst refuses to compile), so a name sent with \x0f in it prints without it.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _printable(value: Any) -> Any:
    if isinstance(value, str):
        return _CONTROLS.sub("", value)
    if isinstance(value, dict):
        return {key: _printable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_printable(item) for item in value]
    return value


def layout(document: InvoiceDocument, *, logo_path: str | None, qr_path: str | None) -> dict[str, Any]:
    """Every string the template prints, with the characters no font can show removed."""
    return dict(_printable(_layout(document, logo_path=logo_path, qr_path=qr_path)))


def _layout(document: InvoiceDocument, *, logo_path: str | None, qr_path: str | None) -> dict[str, Any]:
    loc = document.locale
    labels = texts_for(loc)

    def money(amount: Decimal) -> str:
        return format_money(amount, document.currency, loc, minor_units=document.minor_units)

    credit = document.is_credit_note
    facts: list[tuple[str, str]] = []
    if document.number is not None:
        facts.append((labels["credit_note_number" if credit else "invoice_number"], document.number))
    if document.billing_reference is not None:
        cited = document.billing_reference
        facts.append((labels["corrected_invoice"], f"{cited.number} ({format_date(cited.issue_date, loc)})"))
    for key, day in (
        ("issue_date", document.issue_date),
        ("due_date", document.due_date),
        ("delivery_date", document.delivery_date),
    ):
        if day is not None:
            facts.append((labels[key], format_date(day, loc)))

    rows = [
        [
            str(line.position),
            line.name,
            format_quantity(line.quantity, loc),
            format_unit_price(line.unit_price, document.currency, loc, minor_units=document.minor_units),
            format_percent(line.discount_percent, loc) if line.discount_percent else "",
            format_percent(line.vat_rate_percent, loc),
            money(line.amount_net),
        ]
        for line in document.lines
    ]
    vat_rows = [
        [
            # A group's own reason (BT-120) when it has one, else the category's legal wording.
            group.exemption_reason or exemption_text(loc, group.category),
            format_percent(group.rate_percent, loc),
            money(group.taxable_amount),
            money(group.tax_amount),
        ]
        for group in document.tax_subtotals
    ]
    totals = document.totals
    total_rows = [
        (labels["total_net"], money(totals.tax_exclusive)),
        (labels["vat"], money(totals.tax_total)),
        (labels["total"], money(totals.tax_inclusive)),
    ]
    if totals.paid:
        total_rows.append((labels["amount_paid"], money(totals.paid)))
    if document.credit_split is not None:  # where an issued credit note's total went
        split = document.credit_split
        for key, amount in (
            ("credit_reducing_due", split.reducing_due),
            ("credit_refunded", split.refunded),
            ("credit_kept", split.kept_as_credit),
        ):
            if amount:
                total_rows.append((labels[key], money(amount)))

    payment: list[tuple[str, str]] | None = None
    if document.bank_accounts:
        account = document.bank_accounts[0]
        payment = [(labels["iban"], " ".join(account.iban[i : i + 4] for i in range(0, len(account.iban), 4)))]
        if account.bic:
            payment.append((labels["bic"], account.bic))
        if account.bank_name:
            payment.append((labels["bank"], account.bank_name))
        if document.payment_reference:
            payment.append((labels["reference"], document.payment_reference))
    if document.payment_terms_days and payment is not None:
        payment.append(("", labels["payment_terms"].format(days=document.payment_terms_days)))

    stamp = STAMPS.get(document.status)
    return {
        "lang": language(loc),
        "paper": "us-letter" if document.paper_size == "Letter" else "a4",
        "title": labels["credit_note" if credit else "invoice"],
        "texts": labels,
        "watermark": labels["draft"] if document.is_draft else None,
        "draft_notice": labels["credit_draft_notice" if credit else "draft_notice"] if document.is_draft else None,
        "stamp": labels[stamp] if stamp else None,
        "logo": logo_path,
        "seller": {
            "name": document.seller.legal_name,
            "lines": address_lines(document.seller.postal_address, loc),
            "ids": _party_ids(document.seller, labels),
        },
        "buyer": {
            "name": document.buyer.legal_name,
            "lines": address_lines(document.buyer.postal_address, loc) + _party_ids(document.buyer, labels),
        },
        "facts": facts,
        "columns": [
            labels[k]
            for k in ("position", "description", "quantity", "unit_price", "discount", "vat_percent", "net_amount")
        ],
        "rows": rows,
        "vat_columns": [labels["category"], labels["vat_rate"], labels["taxable_amount"], labels["vat"]],
        "vat_rows": vat_rows,
        "totals": total_rows,
        "due": (labels["total_credited" if credit else "amount_due"], money(totals.due)),
        "payment": payment,
        "qr": qr_path,
        "hosted_url": document.hosted_url,
        "notes": f"{labels['reason']}: {document.notes}" if credit and document.notes else document.notes,
        "footer": document.footer or "",
    }
