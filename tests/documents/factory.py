"""InvoiceDocument values for renderer tests, every amount computed by invoices.money."""

from datetime import date
from decimal import Decimal

from invoicing.documents.model import (
    BankAccount,
    DocumentLine,
    DocumentTotals,
    InvoiceDocument,
    Logo,
    Party,
    PostalAddress,
    TaxCategory,
    TaxSubtotal,
)
from invoicing.invoices.money import LineInput, document_totals, line_amounts, tax_breakdown

D = Decimal
ZERO = Decimal(0)
SELLER = Party(
    legal_name="Nordlicht Software GmbH",
    postal_address=PostalAddress(line1="Hafenstraße 12", city="Hamburg", postal_code="20457", country_code="DE"),
    tax_number="DE123456789",
    email="billing@nordlicht.example",
)
BUYER = Party(
    legal_name="Atelier Lumière SARL",
    postal_address=PostalAddress(line1="14 rue des Lilas", city="Lyon", postal_code="69003", country_code="FR"),
    tax_number="FR40303265045",
)
DEFAULT_LINES = (
    ("Consulting, senior", D("12.5"), D("120.00"), D("19"), D("0"), TaxCategory.STANDARD),
    ("Licence renewal 2027", D("3"), D("499.90"), D("19"), D("10"), TaxCategory.STANDARD),
    ("Printed manual", D("2"), D("24.50"), D("7"), D("0"), TaxCategory.STANDARD),
)


def make_document(
    *,
    locale: str = "en",
    currency: str = "EUR",
    minor_units: int = 2,
    number: str | None = "2026-0042",
    status: str = "issued",
    lines: tuple[tuple[str, Decimal, Decimal, Decimal, Decimal, TaxCategory], ...] = DEFAULT_LINES,
    paid: Decimal = ZERO,
    seller: Party = SELLER,
    buyer: Party = BUYER,
    bank_accounts: tuple[BankAccount, ...] = (BankAccount(iban="DE89370400440532013000", bic="COBADEFFXXX"),),
    logo: Logo | None = None,
    hosted_url: str | None = "https://invoices.example/i/abc123",
) -> InvoiceDocument:
    quantum = D(1).scaleb(-minor_units)
    doc_lines = []
    amounts = []
    for position, (name, quantity, price, rate, discount, category) in enumerate(lines, start=1):
        a = line_amounts(LineInput(name, quantity, price, rate, discount), quantum)
        amounts.append((category.value, rate, a))
        doc_lines.append(
            DocumentLine(
                position=position,
                name=name,
                quantity=quantity,
                unit_code="C62",
                unit_price=price,
                discount_percent=discount,
                amount_discount=a.discount,
                amount_net=a.net,
                tax_category=category,
                vat_rate_percent=rate,
                amount_tax=a.tax,
                amount_total=a.total,
            )
        )
    totals = document_totals((a for _, _, a in amounts), quantum)
    groups = tax_breakdown(amounts, quantum)
    paid_q = paid.quantize(quantum)
    return InvoiceDocument(
        invoice_id=1,
        public_id="inv_1",
        uuid="0b6c3f0e-8f3e-4a55-9d1e-6a6f2b0c1d2e",
        status=status,
        number=number,
        issue_date=date(2026, 12, 2) if number else None,
        due_date=date(2026, 12, 16),
        delivery_date=date(2026, 11, 30),
        currency=currency,
        minor_units=minor_units,
        locale=locale,
        document_class="invoice",
        document_type="SATIS",
        profile_id="TEMELFATURA",
        seller=seller,
        buyer=buyer,
        lines=tuple(doc_lines),
        tax_subtotals=tuple(
            TaxSubtotal(TaxCategory(g.category), g.rate_percent, g.taxable_amount, g.tax_amount) for g in groups
        ),
        totals=DocumentTotals(
            line_net_total=totals.tax_exclusive,
            tax_exclusive=totals.tax_exclusive,
            tax_total=totals.tax_total,
            tax_inclusive=totals.payable,
            paid=paid_q,
            due=totals.payable - paid_q,
        ),
        payment_terms_days=14,
        bank_accounts=bank_accounts,
        footer="Nordlicht Software GmbH · Amtsgericht Hamburg HRB 12345 · Geschäftsführer: A. Berg",
        logo=logo,
        hosted_url=hosted_url if number else None,
    )
