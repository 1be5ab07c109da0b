"""An e-invoice is refused, naming the fields, when the snapshot lacks what EN 16931 or GIB require."""

from dataclasses import replace
from decimal import Decimal

import pytest

from invoicing.documents.einvoice import format_amount, is_turkish, missing_for_einvoice
from invoicing.documents.model import InvoiceDocument, PostalAddress, TaxCategory
from tests.documents.corpus import corpus, inexact_three_decimal_documents

DOCUMENTS = corpus(size=120)


def _with(category: TaxCategory) -> InvoiceDocument:
    return next(d for d in DOCUMENTS if not is_turkish(d) and any(line.tax_category == category for line in d.lines))


def test_three_decimal_amounts_not_exact_at_two_decimals_are_refused_not_rounded() -> None:
    documents = inexact_three_decimal_documents()
    assert len(documents) == 10
    assert {d.currency for d in documents} <= {"KWD", "BHD"}
    assert any(is_turkish(d) for d in documents)
    assert all("currency" in missing_for_einvoice(d) for d in documents)


def test_three_decimal_invoices_exact_at_two_decimals_are_accepted() -> None:
    exact = [d for d in DOCUMENTS if d.minor_units == 3]
    assert exact
    assert all(missing_for_einvoice(d) == [] for d in exact)


def test_a_seller_without_name_or_country_is_named() -> None:
    document = DOCUMENTS[0]
    seller = replace(document.seller, legal_name=" ", postal_address=PostalAddress(city="Berlin"))
    missing = missing_for_einvoice(replace(document, seller=seller))
    assert {"seller.legal_name", "seller.postal_address.country_code"} <= set(missing)


def test_reverse_charge_needs_the_buyers_vat_id() -> None:
    document = _with(TaxCategory.REVERSE_CHARGE)
    missing = missing_for_einvoice(replace(document, buyer=replace(document.buyer, tax_number=None)))
    assert "buyer.tax_number" in missing


def test_an_intra_community_supply_needs_a_delivery_date() -> None:
    document = _with(TaxCategory.INTRA_COMMUNITY)
    assert "delivery_date" in missing_for_einvoice(replace(document, delivery_date=None))


def test_outside_scope_lines_cannot_share_an_invoice_with_other_categories() -> None:
    outside = _with(TaxCategory.OUTSIDE_SCOPE)
    standard = _with(TaxCategory.STANDARD)
    mixed = replace(standard, lines=standard.lines + outside.lines)
    assert "lines.tax_category" in missing_for_einvoice(mixed)


def test_an_exempt_line_without_a_reason_is_named_by_its_index() -> None:
    document = _with(TaxCategory.EXEMPT)
    index = next(i for i, line in enumerate(document.lines) if line.tax_category == TaxCategory.EXEMPT)
    lines = list(document.lines)
    lines[index] = replace(lines[index], tax_exemption_reason=None, tax_exemption_reason_code=None)
    assert f"lines[{index}].tax_exemption_reason" in missing_for_einvoice(replace(document, lines=tuple(lines)))


def test_a_turkish_invoice_needs_vkn_or_tckn_for_both_parties() -> None:
    document = next(d for d in DOCUMENTS if is_turkish(d))
    buyer = replace(document.buyer, tax_number="DE123456789")
    assert "buyer.tax_number" in missing_for_einvoice(replace(document, buyer=buyer))


def test_a_turkish_zero_kdv_line_needs_a_gib_exemption_code_allowed_for_its_type() -> None:
    document = next(d for d in DOCUMENTS if is_turkish(d) and any(line.amount_tax == 0 for line in d.lines))
    index = next(i for i, line in enumerate(document.lines) if line.amount_tax == 0)
    lines = list(document.lines)
    lines[index] = replace(lines[index], tax_exemption_reason_code="VATEX-EU-132")
    assert f"lines[{index}].tax_exemption_reason_code" in missing_for_einvoice(replace(document, lines=tuple(lines)))
    lines[index] = replace(lines[index], tax_exemption_reason_code="301")  # an ISTISNA code under SATIS
    assert "document_type" in missing_for_einvoice(replace(document, lines=tuple(lines)))


def test_amounts_are_plain_decimals_in_the_currencys_minor_units() -> None:
    assert format_amount(Decimal(1500), 0) == "1500"
    assert format_amount(Decimal("12.5"), 2) == "12.50"
    assert format_amount(Decimal("12.500"), 3) == "12.50"
    assert format_amount(Decimal("1E+3"), 2) == "1000.00"


def test_an_amount_not_exact_at_two_decimals_is_never_rounded_into_the_xml() -> None:
    with pytest.raises(ValueError, match="not exact"):
        format_amount(Decimal("12.345"), 3)
