"""The one way to get an invoice's InvoiceDocument: from its row, its lines and what it froze.

An issued invoice reads the seller and buyer frozen on it at issue (`invoices.seller`/`buyer`,
JSON keyed as `GET /api/v1/tenant` shows the profile), so its documents never change after the
profile or the customer does; a draft reads the current profile and customer. Amounts are the
stored ones (computed by invoices.money at pricing), the VAT breakdown comes from
`invoices.money.tax_breakdown`: nothing here computes money of its own beyond grouping.
"""

import hashlib
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import orjson

from invoicing.core.context import TenantContext
from invoicing.core.repository import Record
from invoicing.currencies.catalog import find_currency
from invoicing.customers.representation import display_name
from invoicing.documents import links
from invoicing.documents.model import (
    BankAccount,
    DocumentLine,
    DocumentTotals,
    ElectronicAddress,
    InvoiceDocument,
    Logo,
    Party,
    PostalAddress,
    TaxCategory,
    TaxSubtotal,
)
from invoicing.invoices.lifecycle import InvoiceNotFound, Status
from invoicing.invoices.money import MONEY_CONTEXT, LineAmounts, tax_breakdown
from invoicing.invoices.repository import InvoiceRepository
from invoicing.invoices.transitions import load
from invoicing.tenants.repository import TenantRepository

DEFAULT_LOCALE = "en"
Json = Mapping[str, Any]


async def load_document(context: TenantContext, invoice_id: int) -> InvoiceDocument:
    """The invoice's document. Raises InvoiceNotFound (missing, deleted, another tenant's)."""
    repository = InvoiceRepository(context.connection, context.tenant_id)
    row = await load(repository, invoice_id)
    lines = (await repository.lines_for([invoice_id]))[invoice_id]
    tenant = await TenantRepository(context.connection).get(context.tenant_id)
    if tenant is None:
        raise InvoiceNotFound("Invoice not found.")
    invoice = row.invoice
    if invoice["status"] == Status.DRAFT:
        seller = {**_json(tenant["profile"]), "logo_sha256": _sha256(tenant["logo"])}
        seller["legal_name"] = seller.get("legal_name") or tenant["name"]
        buyer = _buyer_of(row.customer, invoice)
        locale = (row.customer or {}).get("locale") or seller.get("locale") or DEFAULT_LOCALE
    else:
        seller, buyer = _json(invoice["seller"]), _json(invoice["buyer"])
        # Issued before the seller was frozen on invoices (migration 0008): the tenant's name and
        # the invoice's own receiver fields are what it was issued with.
        if not seller:
            seller = {"legal_name": tenant["name"], "tax_number": invoice["sender_tax_number"]}
        if not buyer:
            buyer = _buyer_of(None, invoice)
        locale = invoice["locale"] or DEFAULT_LOCALE
    return build_document(invoice, lines, seller=seller, buyer=buyer, locale=locale, logo=_logo(tenant, seller))


def build_document(
    invoice: Record, lines: Sequence[Record], *, seller: Json, buyer: Json, locale: str, logo: Logo | None
) -> InvoiceDocument:
    """Pure: the document of stored rows (also what the bench renders from)."""
    currency = find_currency(invoice["currency"])
    assert currency is not None, "stored currencies come from the catalogue"
    document_lines = tuple(_line(line) for line in lines)
    is_draft = invoice["status"] == Status.DRAFT
    return InvoiceDocument(
        invoice_id=invoice["id"],
        public_id=invoice["public_id"],
        uuid=invoice["uuid"] or "",
        status=invoice["status"],
        number=None if is_draft else invoice["document_number"],
        issue_date=invoice["issue_date"],
        due_date=invoice["due_date"],
        currency=currency.code,
        minor_units=currency.minor_units,
        locale=locale,
        document_class=invoice["document_class"],
        document_type=invoice["document_type"],
        profile_id=invoice["profile_id"],
        seller=_party(seller),
        buyer=_party(buyer),
        lines=document_lines,
        tax_subtotals=_subtotals(document_lines, currency.quantum),
        totals=_totals(invoice),
        notes=invoice["notes"],
        payment_terms_days=seller.get("payment_terms_days"),
        bank_accounts=tuple(_bank_account(account) for account in seller.get("bank_accounts") or ()),
        footer=seller.get("footer"),
        logo=logo,
        hosted_url=None if is_draft else links.hosted_url(invoice["hosted_token"]),
    )


def _json(text: str | None) -> dict[str, Any]:
    return dict(orjson.loads(text)) if text else {}


def _sha256(data: bytes | None) -> str | None:
    return hashlib.sha256(data).hexdigest() if data else None


def _buyer_of(customer: Record | None, invoice: Record) -> dict[str, Any]:
    """The buyer as `invoices.buyer` freezes it: from the customer, else the invoice's receiver fields."""
    if customer is None:
        return {
            "legal_name": invoice["receiver_name"],
            "tax_number": invoice["receiver_tax_number"],
            "email": invoice["receiver_email"],
        }
    return {
        "legal_name": display_name(customer),
        "postal_address": _json(customer["postal_address"]) or None,
        "tax_number": customer["tax_number"] or customer["identity_number"],
        "registration_id": None,
        "email": customer["email"],
        "phone": customer["phone_number"],
        "electronic_address": _json(customer["electronic_address"]) or None,
    }


def _logo(tenant: Record, seller: Json) -> Logo | None:
    """The logo the seller names by hash. Pending the profile's content-addressed `tenant_logos`
    (migration 0009), the tenant's current logo serves only while its bytes still hash to it."""
    wanted = seller.get("logo_sha256")
    if not wanted or tenant["logo"] is None or _sha256(tenant["logo"]) != wanted:
        return None
    return Logo(media_type=tenant["logo_media_type"], data=bytes(tenant["logo"]))


def _party(data: Json) -> Party:
    address = data.get("postal_address") or {}
    electronic = data.get("electronic_address")
    return Party(
        legal_name=data.get("legal_name") or "",
        postal_address=PostalAddress(**{key: address.get(key) for key in PostalAddress.__slots__}),
        tax_number=data.get("tax_number"),
        registration_id=data.get("registration_id"),
        email=data.get("email"),
        phone=data.get("phone"),
        website=data.get("website"),
        electronic_address=ElectronicAddress(scheme=electronic["scheme"], id=electronic["id"]) if electronic else None,
    )


def _bank_account(data: Json) -> BankAccount:
    return BankAccount(iban=data["iban"], bic=data.get("bic"), bank_name=data.get("bank_name"))


def _line(row: Record) -> DocumentLine:
    return DocumentLine(
        position=row["position"],
        name=row["name"],
        quantity=row["quantity"],
        unit_code=row["unit_code"],
        unit_price=row["unit_price"],
        discount_percent=row["discount_percent"],
        amount_discount=row["amount_discount"],
        amount_net=row["amount_net"],
        tax_category=TaxCategory(row["tax_category"]),
        vat_rate_percent=row["vat_rate_percent"],
        amount_tax=row["amount_tax"],
        amount_total=row["amount_total"],
        tax_exemption_reason_code=row["tax_exemption_reason_code"],
        tax_exemption_reason=row["tax_exemption_reason"],
    )


def _subtotals(lines: Sequence[DocumentLine], quantum: Decimal) -> tuple[TaxSubtotal, ...]:
    amounts = [
        (
            line.tax_category.value,
            line.vat_rate_percent,
            LineAmounts(
                discount=line.amount_discount, net=line.amount_net, tax=line.amount_tax, total=line.amount_total
            ),
        )
        for line in lines
    ]
    # A group says why it is exempt with its first line's reason (BT-120/121 are per group).
    reasons: dict[tuple[str, Decimal], DocumentLine] = {}
    for line in lines:
        reasons.setdefault((line.tax_category.value, line.vat_rate_percent), line)
    subtotals = []
    for group in tax_breakdown(amounts, quantum):
        first = reasons[(group.category, group.rate_percent)]  # Decimal keys compare by value, as the groups do
        subtotals.append(
            TaxSubtotal(
                category=TaxCategory(group.category),
                rate_percent=group.rate_percent,
                taxable_amount=group.taxable_amount,
                tax_amount=group.tax_amount,
                exemption_reason_code=first.tax_exemption_reason_code,
                exemption_reason=first.tax_exemption_reason,
            )
        )
    return tuple(subtotals)


def _totals(invoice: Record) -> DocumentTotals:
    # The document states what the invoice asks (BT-115 = BT-112 - BT-113), whatever its status;
    # a cancelled or void invoice shows its stamp instead of a smaller amount.
    return DocumentTotals(
        line_net_total=invoice["amount_tax_exclusive"],
        tax_exclusive=invoice["amount_tax_exclusive"],
        tax_total=invoice["amount_tax_total"],
        tax_inclusive=invoice["amount_payable"],
        paid=invoice["amount_paid"],
        due=MONEY_CONTEXT.subtract(invoice["amount_payable"], invoice["amount_paid"]),
    )
