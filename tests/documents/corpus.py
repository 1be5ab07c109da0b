"""A deterministic corpus of issued invoices as the service computes them (invoices.money).

`corpus()` yields >= 200 varied InvoiceDocuments from one seed: currencies with 0, 2 and 3
minor units (3 only where every amount is exact at 2 decimals), several VAT rates per invoice,
discounts, E/AE/K/G/O lines with reasons, partly paid invoices, Peppol and non-Peppol parties,
Turkish sellers. `inexact_three_decimal_documents()` are the ones an e-invoice must refuse.
"""

import random
import uuid
from dataclasses import replace
from datetime import date, time, timedelta
from decimal import Decimal

from stdnum import iban as stdnum_iban
from stdnum.tr import tckimlik, vkn

from invoicing.documents.model import (
    BankAccount,
    DocumentLine,
    DocumentTotals,
    ElectronicAddress,
    InvoiceDocument,
    Party,
    PostalAddress,
    TaxCategory,
    TaxSubtotal,
)
from invoicing.invoices.money import LineInput, document_totals, line_amounts, round_money, tax_breakdown

SEED = 20261202
SIZE = 240
MINOR_UNITS = {"JPY": 0, "KRW": 0, "EUR": 2, "USD": 2, "GBP": 2, "CHF": 2, "TRY": 2, "KWD": 3, "BHD": 3}
EU_CURRENCIES = ("EUR", "EUR", "EUR", "USD", "GBP", "CHF", "JPY", "KRW", "KWD", "BHD")
TR_CURRENCIES = ("TRY", "TRY", "TRY", "EUR", "USD", "JPY")
# Peppol's national rules (NO, DK, IT, SE, NL, GR, IS) need national ids this corpus does not model.
EU_COUNTRIES = ("DE", "FR", "AT", "BE", "ES", "FI", "IE", "LU", "PT")
STANDARD_RATES = (Decimal(19), Decimal(7), Decimal(20), Decimal("5.5"), Decimal(10), Decimal(21), Decimal(13))
REASONS = {
    TaxCategory.EXEMPT: ("VATEX-EU-132", "Exempt based on article 132 of Council Directive 2006/112/EC"),
    TaxCategory.REVERSE_CHARGE: ("VATEX-EU-AE", "Reverse charge"),
    TaxCategory.INTRA_COMMUNITY: ("VATEX-EU-IC", "Intra-community supply"),
    TaxCategory.EXPORT: ("VATEX-EU-G", "Export outside the EU"),
    TaxCategory.OUTSIDE_SCOPE: ("VATEX-EU-O", "Not subject to VAT"),
}
SCENARIOS = ("domestic", "domestic", "eu_b2b", "export", "outside")
TR_RATES = (Decimal(20), Decimal(10), Decimal(1))
UNITS = ("C62", "HUR", "KGM", "H87", "DAY")


def corpus(seed: int = SEED, size: int = SIZE) -> list[InvoiceDocument]:
    rng = random.Random(seed)
    documents = []
    for index in range(size):
        kind = ("eu", "peppol", "tr")[index % 3]
        documents.append(_document(rng, index, kind))
    return documents


def inexact_three_decimal_documents(seed: int = SEED, count: int = 10) -> list[InvoiceDocument]:
    """3-minor-unit invoices with an amount that is not exact at 2 decimals (EU and TR sellers)."""
    rng = random.Random(seed + 1)
    found: list[InvoiceDocument] = []
    while len(found) < count:
        kind = ("eu", "peppol", "tr")[len(found) % 3]
        document = _document(rng, 10_000 + len(found), kind, currency=rng.choice(("KWD", "BHD")), exact=False)
        if any(amount != amount.quantize(Decimal("0.01")) for amount in _all_amounts(document)):
            found.append(document)
    return found


def _document(
    rng: random.Random, index: int, kind: str, *, currency: str | None = None, exact: bool = True
) -> InvoiceDocument:
    currency = currency or rng.choice(TR_CURRENCIES if kind == "tr" else EU_CURRENCIES)
    minor_units = MINOR_UNITS[currency]
    while True:
        document = _attempt(rng, index, kind, currency, minor_units)
        if minor_units < 3 or not exact or all(a == a.quantize(Decimal("0.01")) for a in _all_amounts(document)):
            return document


def _attempt(rng: random.Random, index: int, kind: str, currency: str, minor_units: int) -> InvoiceDocument:
    quantum = Decimal(1).scaleb(-minor_units)
    scenario = "turkey" if kind == "tr" else rng.choice(SCENARIOS)
    seller, buyer = _parties(rng, index, kind, scenario)
    specs = _line_specs(rng, scenario, minor_units)
    variant = rng.randrange(3)  # one way of stating exemption reasons per invoice, as one tenant would
    lines = []
    breakdown_input = []
    for position, (category, rate) in enumerate(specs, start=1):
        quantity, price = _quantity_and_price(rng, minor_units, exact=minor_units == 3)
        discount = rng.choice((Decimal(0), Decimal(0), Decimal(5), Decimal(10), Decimal("12.5")))
        amounts = line_amounts(LineInput(f"Item {position}", quantity, price, rate, discount), quantum)
        code, reason = _reason(variant, category, scenario)
        lines.append(
            DocumentLine(
                position=position,
                name=rng.choice(("Consulting", "Widget", "Licence", "Support", "Hosting", "Training")) + f" {position}",
                quantity=quantity,
                unit_code=rng.choice(UNITS),
                unit_price=price,
                discount_percent=discount,
                amount_discount=amounts.discount,
                amount_net=amounts.net,
                tax_category=category,
                vat_rate_percent=rate,
                amount_tax=amounts.tax,
                amount_total=amounts.total,
                tax_exemption_reason_code=code,
                tax_exemption_reason=reason,
            )
        )
        breakdown_input.append((category.value, rate, amounts))
    totals = document_totals([amounts for _, _, amounts in breakdown_input], quantum)
    groups = tax_breakdown(breakdown_input, quantum)
    subtotals = tuple(_subtotal(group, lines) for group in groups)
    paid = rng.choice((Decimal(0), Decimal(0), Decimal("0.5"), Decimal("0.25"), Decimal(1)))
    paid_amount = round_money(totals.payable * paid, quantum) if minor_units < 3 else _exact_paid(totals.payable, paid)
    issue = date(2026, 1, 1) + timedelta(days=rng.randrange(330))
    year = issue.year
    series = rng.choice(("ABC", "INV", "A1B", "TR1"))
    with_terms_only = rng.random() < 0.1
    document = InvoiceDocument(
        invoice_id=index + 1,
        public_id=f"inv_{index:06d}",
        uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        status="paid" if paid_amount == totals.payable else ("partially_paid" if paid_amount else "issued"),
        number=f"{series}{year:04d}{index + 1:09d}",
        issue_date=issue,
        due_date=None if with_terms_only else issue + timedelta(days=rng.choice((0, 14, 30))),
        currency=currency,
        minor_units=minor_units,
        locale=rng.choice(("en", "de", "fr", "tr")),
        document_class="e_invoice" if kind == "tr" and rng.random() < 0.6 else "e_archive",
        document_type="SATIS",
        profile_id="",
        seller=seller,
        buyer=buyer,
        lines=tuple(lines),
        tax_subtotals=subtotals,
        totals=DocumentTotals(
            line_net_total=totals.tax_exclusive,
            tax_exclusive=totals.tax_exclusive,
            tax_total=totals.tax_total,
            tax_inclusive=totals.payable,
            paid=paid_amount,
            due=totals.payable - paid_amount,
        ),
        notes=rng.choice((None, "Thank you for your business.")),
        payment_terms_days=30 if with_terms_only else rng.choice((None, 14, 30)),
        bank_accounts=_bank_accounts(rng, seller),
        delivery_date=issue - timedelta(days=rng.randrange(10)) if scenario == "eu_b2b" or rng.random() < 0.3 else None,
        buyer_reference=rng.choice((None, f"PO-{rng.randrange(10**6):06d}")),
        issue_time=time(rng.randrange(24), rng.randrange(60), rng.randrange(60)),
    )
    return _profile(rng, document)


def _profile(rng: random.Random, document: InvoiceDocument) -> InvoiceDocument:
    if document.seller.postal_address.country_code != "TR":
        # The seed quirk: EU invoices carry a GIB profile too; the EU formats ignore it.
        return replace(document, profile_id="EARSIVFATURA")
    if document.document_class == "e_archive":
        return replace(document, profile_id="EARSIVFATURA")
    return replace(document, profile_id=rng.choice(("TEMELFATURA", "TICARIFATURA")))


def _parties(rng: random.Random, index: int, kind: str, scenario: str) -> tuple[Party, Party]:
    if kind == "tr":
        return _turkish_party(rng, "Satıcı A.Ş.", company=True), _turkish_party(
            rng, "Ayşe Yılmaz", company=rng.random() < 0.5
        )
    seller_country = rng.choice(EU_COUNTRIES)
    buyer_country = {
        "domestic": seller_country,
        "outside": rng.choice((*EU_COUNTRIES, "US", "CH")),
        "eu_b2b": rng.choice([c for c in EU_COUNTRIES if c != seller_country]),
        "export": rng.choice(("US", "CH", "JP", "NO")),
    }[scenario]
    buyer_vat = scenario == "eu_b2b" or (scenario == "domestic" and rng.random() < 0.5)
    peppol = kind == "peppol"
    seller = _eu_party(rng, f"Seller {index} GmbH", seller_country, vat=True, endpoint=peppol or rng.random() < 0.3)
    if scenario == "outside":  # BR-CO-26: no VAT id shown, so a legal registration id identifies the seller
        seller = replace(seller, registration_id=f"HRB {rng.randrange(1000, 99999)}")
    buyer = _eu_party(rng, f"Buyer {index} Ltd", buyer_country, vat=buyer_vat, endpoint=peppol)
    return seller, buyer


def _eu_party(rng: random.Random, name: str, country: str, *, vat: bool, endpoint: bool) -> Party:
    prefix = "EL" if country == "GR" else country
    return Party(
        legal_name=name,
        postal_address=PostalAddress(
            line1=rng.choice((None, f"{rng.randrange(1, 200)} Main Street")),
            line2=rng.choice((None, None, "Building B")),
            city=rng.choice(("Berlin", "Paris", "Vienna", "Brussels", "Madrid", "Springfield")),
            postal_code=rng.choice((None, f"{rng.randrange(10000, 99999)}")),
            subdivision=rng.choice((None, None, "Region 1")),
            country_code=country,
        ),
        tax_number=f"{prefix}{rng.randrange(10**8, 10**9)}" if vat else None,
        registration_id=rng.choice((None, f"HRB {rng.randrange(1000, 99999)}")),
        email=rng.choice((None, "billing@example.com")),
        phone=rng.choice((None, "+49 30 1234567")),
        electronic_address=_endpoint(rng) if endpoint else None,
    )


def _endpoint(rng: random.Random) -> ElectronicAddress:
    scheme = rng.choice(("0088", "0208", "9930", "0184"))
    if scheme == "0088":  # a GLN with its GS1 check digit (PEPPOL-COMMON-R040)
        body = [rng.randrange(10) for _ in range(12)]
        total = sum(d * (3 if i % 2 else 1) for i, d in enumerate(body))
        return ElectronicAddress(scheme, "".join(map(str, body)) + str((10 - total % 10) % 10))
    if scheme == "0208":  # a Belgian enterprise number, mod 97 (PEPPOL-COMMON-R043)
        body = rng.randrange(10**7, 10**8)
        return ElectronicAddress(scheme, f"{body:08d}{97 - body % 97:02d}")
    if scheme == "0184":  # a Danish CVR as Peppol writes it (PEPPOL-COMMON-R042)
        return ElectronicAddress(scheme, f"DK{rng.randrange(10**7, 10**8)}")
    return ElectronicAddress(scheme, f"DE{rng.randrange(10**8, 10**9)}")


def _turkish_party(rng: random.Random, name: str, *, company: bool) -> Party:
    if company:
        body = f"{rng.randrange(10**8, 10**9)}"
        number = body + vkn.calc_check_digit(body)
    else:
        body = f"{rng.randrange(10**8, 10**9)}"
        number = body + tckimlik.calc_check_digits(body)
    return Party(
        legal_name=name if company else rng.choice(("Ayşe Yılmaz", "Mehmet Demir", "Zeynep Kaya")),
        postal_address=PostalAddress(line1="Atatürk Cad. 1", city="İstanbul", subdivision="Kadıköy", country_code="TR"),
        tax_number=number,
        email=rng.choice((None, "fatura@example.com.tr")),
        tax_office=rng.choice(("Kadıköy", "Beşiktaş")) if company else None,
    )


def _bank_accounts(rng: random.Random, seller: Party) -> tuple[BankAccount, ...]:
    if rng.random() < 0.25:
        return ()
    country = seller.postal_address.country_code or "DE"
    bban = f"{rng.randrange(10**17, 10**18)}" if country != "TR" else f"{rng.randrange(10**21, 10**22)}"
    country = "DE" if country != "TR" else "TR"
    return (
        BankAccount(
            iban=f"{country}{stdnum_iban.calc_check_digits(country + '00' + bban)}{bban}",
            bic=rng.choice((None, "DEUTDEFF")),
            bank_name=rng.choice((None, "Bank")),
        ),
    )


def _all_amounts(document: InvoiceDocument) -> list[Decimal]:
    totals = document.totals
    amounts = [totals.line_net_total, totals.tax_total, totals.tax_inclusive, totals.paid, totals.due]
    for line in document.lines:
        amounts += [line.amount_net, line.amount_discount, line.amount_tax]
    return amounts


def _exact_paid(payable: Decimal, fraction: Decimal) -> Decimal:
    # A 3-minor-unit invoice stays exact at 2 decimals only if what was paid is too.
    return (payable * fraction).quantize(Decimal("0.01")).quantize(Decimal("0.001")) if fraction else Decimal("0.000")


def _quantity_and_price(rng: random.Random, minor_units: int, *, exact: bool) -> tuple[Decimal, Decimal]:
    if minor_units == 0:
        # Integral prices and quantities keep quantity x price at the unit (PEPPOL-EN16931-R120's slack is 0.02).
        return Decimal(rng.randrange(1, 20)), Decimal(rng.randrange(100, 50000))
    if exact:
        return Decimal(rng.randrange(1, 10)), Decimal(rng.randrange(100, 100000)).scaleb(-1)
    quantity = rng.choice((Decimal(1), Decimal(2), Decimal("1.5"), Decimal(3), Decimal("0.25"), Decimal(12)))
    return quantity, Decimal(rng.randrange(100, 1000000)).scaleb(-rng.choice((2, 2, 3, 4)))


def _line_specs(rng: random.Random, scenario: str, minor_units: int) -> list[tuple[TaxCategory, Decimal]]:
    zero = Decimal(0)
    if scenario == "turkey":
        pool = [(TaxCategory.STANDARD, rate) for rate in TR_RATES] + [(TaxCategory.EXEMPT, zero)]
    elif scenario == "outside":
        pool = [(TaxCategory.OUTSIDE_SCOPE, zero)]
    else:
        rates = rng.sample(STANDARD_RATES, 3)
        pool = [(TaxCategory.STANDARD, rate) for rate in rates]
        pool += {
            "domestic": [(TaxCategory.ZERO_RATED, zero), (TaxCategory.EXEMPT, zero)],
            "eu_b2b": [(TaxCategory.INTRA_COMMUNITY, zero), (TaxCategory.REVERSE_CHARGE, zero)],
            "export": [(TaxCategory.EXPORT, zero)],
        }[scenario]
    count = rng.randrange(1, 7)
    if minor_units == 0 and scenario != "outside":
        # One line per group: a 0-decimal currency's per-line rounding (up to 0.5 a line) would pass
        # BR-CO-17's one-unit slack with two lines in one group only by luck.
        return rng.sample(pool, min(count, len(pool)))
    if minor_units == 0:
        return pool[:1]
    return [rng.choice(pool) for _ in range(count)]


def _reason(variant: int, category: TaxCategory, scenario: str) -> tuple[str | None, str | None]:
    if scenario == "turkey":
        # 351: GIB's "KDV - other non-exempt" code, the one a SATIS invoice with 0 % KDV uses.
        return ("351", "KDV %0") if category == TaxCategory.EXEMPT else (None, None)
    if category not in REASONS:
        return None, None
    code, text = REASONS[category]
    return ((code, text), (code, None), (None, text))[variant]


def _subtotal(group: object, lines: list[DocumentLine]) -> TaxSubtotal:
    from invoicing.invoices.money import TaxGroup

    assert isinstance(group, TaxGroup)
    category = TaxCategory(group.category)
    first = next(
        line for line in lines if line.tax_category == category and line.vat_rate_percent == group.rate_percent
    )
    return TaxSubtotal(
        category=category,
        rate_percent=group.rate_percent,
        taxable_amount=group.taxable_amount,
        tax_amount=group.tax_amount,
        exemption_reason_code=first.tax_exemption_reason_code,
        exemption_reason=first.tax_exemption_reason,
    )
