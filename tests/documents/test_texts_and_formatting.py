"""Labels per language with English fallback, and babel formatting that prints the snapshot's digits."""

from datetime import date
from decimal import Decimal

import pytest

from invoicing.documents.formatting import format_date, format_money, format_percent, format_quantity
from invoicing.documents.model import TaxCategory
from invoicing.documents.texts import TEXTS, exemption_text, language, text, texts_for


def test_every_language_translates_every_english_label() -> None:
    for lang, table in TEXTS.items():
        assert set(table) == set(TEXTS["en"]), lang


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "Invoice"),
        ("de", "Rechnung"),
        ("fr", "Facture"),
        ("tr", "Fatura"),
        ("de-AT", "Rechnung"),
        ("fr_CH", "Facture"),
    ],
)
def test_a_regional_locale_reads_its_languages_labels(locale: str, expected: str) -> None:
    assert text(locale, "invoice") == expected


@pytest.mark.parametrize("locale", ["pt_BR", "xx", "", None])
def test_an_untranslated_or_unknown_locale_reads_english(locale: str | None) -> None:
    assert language(locale) == "en"
    assert text(locale, "amount_due") == "Amount due"


def test_an_unknown_key_is_a_bug_not_a_blank() -> None:
    with pytest.raises(KeyError):
        text("de", "no_such_label")


def test_every_tax_category_has_an_exemption_text_in_every_language() -> None:
    for lang in TEXTS:
        for category in TaxCategory:
            assert exemption_text(lang, category)
    assert exemption_text("de", "AE") == "Steuerschuldnerschaft des Leistungsempfängers"
    assert texts_for("fr")["vat"] == "TVA"


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        (Decimal("1234.50"), "EUR", "en", "€1,234.50"),
        (Decimal("1234.50"), "EUR", "de", "1.234,50\xa0€"),
        (Decimal("1234.50"), "EUR", "fr", "1\u202f234,50\xa0€"),
        (Decimal("1234.50"), "TRY", "tr", "₺1.234,50"),
        (Decimal("1234.567"), "KWD", "en", "KWD1,234.567"),
        (Decimal("1000"), "JPY", "de", "1.000\xa0¥"),
        (Decimal("-5.00"), "EUR", "en", "-€5.00"),
    ],
)
def test_money_prints_exactly_the_snapshots_minor_units(
    amount: Decimal, currency: str, locale: str, expected: str
) -> None:
    assert format_money(amount, currency, locale) == expected


def test_money_pads_to_the_given_minor_units_and_never_rounds() -> None:
    assert format_money(Decimal("5"), "EUR", "en", minor_units=2) == "€5.00"
    with pytest.raises(ValueError, match="fraction digits"):
        format_money(Decimal("5.555"), "EUR", "en", minor_units=2)


def test_quantities_and_rates_drop_trailing_zeros_in_the_locales_form() -> None:
    assert format_quantity(Decimal("2.500"), "de") == "2,5"
    assert format_quantity(Decimal("1200.000"), "en") == "1,200"
    assert format_percent(Decimal("19.00"), "en") == "19%"
    assert format_percent(Decimal("5.5"), "fr") == "5,5\xa0%"
    assert format_percent(Decimal("20"), "tr") == "%20"


def test_dates_use_the_locales_medium_form() -> None:
    day = date(2026, 12, 2)
    assert format_date(day, "en") == "Dec 2, 2026"
    assert format_date(day, "de") == "02.12.2026"
    assert format_date(day, "tr") == "2 Ara 2026"
