"""The one way to get an invoice's InvoiceDocument: from its row, its lines and what it froze.

An issued invoice reads the seller and buyer frozen on it at issue (`invoices.seller`/`buyer`,
JSON keyed as `GET /api/v1/tenant` shows the profile), so its documents never change after the
profile or the customer does; a draft reads the current profile and customer. Amounts are the
stored ones (computed by invoices.money at pricing), the VAT breakdown comes from
`invoices.money.tax_breakdown`: nothing here computes money of its own beyond grouping.
"""

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from invoicing.core.context import TenantContext
from invoicing.core.repository import Record
from invoicing.credit_notes.lifecycle import CreditNoteNotFound, CreditNoteStatus
from invoicing.credit_notes.repository import CreditNoteRepository
from invoicing.currencies.catalog import find_currency
from invoicing.documents import links
from invoicing.documents.model import (
    BankAccount,
    BillingReference,
    CreditSplit,
    DocumentKind,
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
from invoicing.parties.snapshot import DEFAULT_LOCALE, buyer_snapshot, document_locale
from invoicing.tenants.profile import logo, seller_snapshot
from invoicing.tenants.repository import TenantRepository

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
        # What issuing would freeze now (parties.snapshot), so a draft previews its document.
        seller = seller_snapshot(tenant)
        buyer = buyer_snapshot(row.customer, invoice)
        locale = document_locale(tenant, row.customer)
    else:
        seller, buyer = _json(invoice["seller"]), _json(invoice["buyer"])
        # Issued before parties were frozen on invoices (migration 0008): the tenant's name and
        # the invoice's own receiver fields are what it was issued with.
        seller = seller or {"legal_name": tenant["name"], "tax_number": invoice["sender_tax_number"]}
        buyer = buyer or buyer_snapshot(None, invoice)
        locale = invoice["locale"] or DEFAULT_LOCALE
    found = (
        await logo(context.connection, tenant_id=context.tenant_id, sha256=seller["logo_sha256"])
        if seller.get("logo_sha256")
        else None
    )
    document_logo = Logo(media_type=found[0], data=found[1]) if found is not None else None
    return build_document(
        invoice, lines, seller=seller, buyer=buyer, locale=locale, logo=document_logo, timezone=tenant["timezone"]
    )


async def load_credit_note_document(context: TenantContext, credit_note_id: int) -> InvoiceDocument:
    """A credit note's document. Raises CreditNoteNotFound (missing, deleted, another tenant's).

    Its parties and language are the ones its invoice froze (copied onto the note at issue), so
    a draft credit note previews exactly what issuing it will show.
    """
    repository = CreditNoteRepository(context.connection, context.tenant_id)
    note = await repository.get(credit_note_id)
    tenant = await TenantRepository(context.connection).get(context.tenant_id)
    if note is None or tenant is None:
        raise CreditNoteNotFound("Credit note not found.")
    lines = (await repository.lines_for([credit_note_id]))[credit_note_id]
    invoice = (await load(InvoiceRepository(context.connection, context.tenant_id), note["invoice_id"])).invoice
    seller = (
        _json(note["seller"])
        or _json(invoice["seller"])
        or {
            "legal_name": tenant["name"],
            "tax_number": invoice["sender_tax_number"],
        }
    )
    buyer = _json(note["buyer"]) or _json(invoice["buyer"]) or buyer_snapshot(None, invoice)
    locale = note["locale"] or invoice["locale"] or DEFAULT_LOCALE
    found = (
        await logo(context.connection, tenant_id=context.tenant_id, sha256=seller["logo_sha256"])
        if seller.get("logo_sha256")
        else None
    )
    document_logo = Logo(media_type=found[0], data=found[1]) if found is not None else None
    return build_credit_note_document(
        note, lines, invoice, seller=seller, buyer=buyer, locale=locale, logo=document_logo, timezone=tenant["timezone"]
    )


# GIB issues a return (IADE) only under these profiles (its InvoiceTypeCode rule): a return of
# an e-fatura of any other profile (TICARIFATURA, IHRACAT, ...) goes out as TEMELFATURA.
RETURN_PROFILES = frozenset({"TEMELFATURA", "EARSIVFATURA"})
RETURN_TYPE = "IADE"


def build_credit_note_document(
    note: Record,
    lines: Sequence[Record],
    invoice: Record,
    *,
    seller: Json,
    buyer: Json,
    locale: str,
    logo: Logo | None,
    timezone: str = "UTC",
) -> InvoiceDocument:
    """Pure: the document of a credit note's rows, citing the invoice it corrects (BG-3)."""
    currency = find_currency(note["currency"])
    assert currency is not None, "stored currencies come from the catalogue"
    document_lines = tuple(_line(line) for line in lines)
    is_draft = note["status"] == CreditNoteStatus.DRAFT
    profile = invoice["profile_id"]
    if profile not in RETURN_PROFILES:
        profile = "TEMELFATURA" if invoice["document_class"] == "e_invoice" else "EARSIVFATURA"
    total = note["amount_total"]
    return InvoiceDocument(
        invoice_id=note["id"],
        public_id=note["public_id"],
        uuid=note["uuid"],
        status=note["status"],
        number=None if is_draft else note["document_number"],
        issue_date=note["issue_date"],
        due_date=None,
        currency=currency.code,
        minor_units=currency.minor_units,
        locale=locale,
        document_class=invoice["document_class"],
        document_type=RETURN_TYPE,
        profile_id=profile,
        seller=_party(seller),
        buyer=_party(buyer),
        lines=document_lines,
        tax_subtotals=_subtotals(document_lines, currency.quantum),
        # What the note credits: nothing of it is "paid"; the whole total is the amount credited.
        totals=DocumentTotals(
            line_net_total=note["amount_tax_exclusive"],
            tax_exclusive=note["amount_tax_exclusive"],
            tax_total=note["amount_tax_total"],
            tax_inclusive=total,
            paid=MONEY_CONTEXT.subtract(total, total),
            due=total,
        ),
        notes=note["reason"],
        # BT-20 (BR-CO-25 wants terms for an amount due): how the credit is settled.
        payment_terms=None if is_draft else _settlement_terms(note, currency.quantum),
        delivery_date=invoice["delivery_date"],  # BT-72: the supply it corrects
        footer=seller.get("footer"),
        logo=logo,
        issue_time=note["issued_at"].astimezone(ZoneInfo(timezone)).time() if note["issued_at"] else None,
        paper_size=seller.get("paper_size") or "A4",
        kind=DocumentKind.CREDIT_NOTE,
        billing_reference=BillingReference(number=note["invoice_number"], issue_date=note["invoice_issue_date"]),
        credit_split=None
        if is_draft
        else CreditSplit(
            reducing_due=note["amount_reducing_due"],
            refunded=note["amount_refunded"],
            kept_as_credit=note["amount_kept_as_credit"],
        ),
    )


def _settlement_terms(note: Record, quantum: Decimal) -> str:
    """What a credit note's BT-20 states: how its total was settled, never payable by the buyer."""
    parts = [
        (note["amount_reducing_due"], "off the amount due of invoice " + note["invoice_number"]),
        (note["amount_refunded"], "refunded"),
        (note["amount_kept_as_credit"], "kept as customer credit"),
    ]
    said = ", ".join(f"{amount.quantize(quantum)} {what}" for amount, what in parts if amount > 0)
    return f"Credit note settled: {said}."


def build_document(
    invoice: Record,
    lines: Sequence[Record],
    *,
    seller: Json,
    buyer: Json,
    locale: str,
    logo: Logo | None,
    timezone: str = "UTC",
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
        delivery_date=invoice["delivery_date"],
        # When it was issued, on the tenant's clock (UBL-TR's IssueTime): a stored instant, so stable.
        issue_time=invoice["issued_at"].astimezone(ZoneInfo(timezone)).time() if invoice["issued_at"] else None,
        paper_size=seller.get("paper_size") or "A4",
    )


def _json(text: str | None) -> dict[str, Any]:
    return dict(orjson.loads(text)) if text else {}


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
