"""The words an invoice document prints, in every locale the documents support.

One table per language, read through `text(locale, key)`: a regional locale (de_AT, fr-CH)
reads its language's table, and a key or language without a translation reads English, so a
document never shows a raw key. The PDF and the hosted page print the same words from here.
"""

from collections.abc import Mapping
from types import MappingProxyType

from babel import Locale, UnknownLocaleError

from invoicing.documents.model import TaxCategory

DEFAULT_LANGUAGE = "en"

_EN: dict[str, str] = {
    "invoice": "Invoice",
    "invoice_number": "Invoice number",
    "issue_date": "Issue date",
    "due_date": "Due date",
    "delivery_date": "Delivery date",
    "seller": "Seller",
    "bill_to": "Bill to",
    "vat_id": "VAT ID",
    "registration_id": "Registration no.",
    "email": "E-mail",
    "phone": "Phone",
    "website": "Website",
    "position": "#",
    "description": "Description",
    "quantity": "Quantity",
    "unit_price": "Unit price",
    "discount": "Discount",
    "vat_percent": "VAT %",
    "net_amount": "Net amount",
    "vat": "VAT",
    "vat_breakdown": "VAT breakdown",
    "vat_rate": "VAT rate",
    "category": "Category",
    "subtotal": "Subtotal",
    "total_net": "Total net",
    "total": "Total",
    "amount_paid": "Amount paid",
    "amount_due": "Amount due",
    "taxable_amount": "Taxable amount",
    "payment": "Payment",
    "payment_terms": "Payment terms: {days} days net",
    "iban": "IBAN",
    "bic": "BIC",
    "bank": "Bank",
    "reference": "Reference",
    "scan_to_pay": "Pay by bank transfer (scan to pay)",
    "view_online": "View online",
    "notes": "Notes",
    "draft": "DRAFT",
    "draft_notice": "Draft: not a valid invoice, no number assigned",
    "cancelled": "CANCELLED",
    "void": "VOID",
    "paid": "PAID",
    "page_of": "Page {page} of {pages}",
    "exemption.S": "Standard rate",
    "exemption.Z": "Zero-rated supply",
    "exemption.E": "Exempt from VAT",
    "exemption.AE": "Reverse charge",
    "exemption.K": "Intra-community supply, exempt from VAT",
    "exemption.G": "Export outside the EU, exempt from VAT",
    "exemption.O": "Not subject to VAT",
    "reverse_charge": "Reverse charge",
    "credit_note": "Credit note",
    "credit_note_number": "Credit note number",
    "corrected_invoice": "Corrects invoice",
    "total_credited": "Total credited",
    "credit_reducing_due": "Off the invoice’s amount due",
    "credit_refunded": "Refunded",
    "credit_kept": "Kept as customer credit",
    "credit_draft_notice": "Draft: not a valid credit note, no number assigned",
    "reason": "Reason",
}

_DE: dict[str, str] = {
    "invoice": "Rechnung",
    "invoice_number": "Rechnungsnummer",
    "issue_date": "Rechnungsdatum",
    "due_date": "Fälligkeitsdatum",
    "delivery_date": "Lieferdatum",
    "seller": "Verkäufer",
    "bill_to": "Rechnungsempfänger",
    "vat_id": "USt-IdNr.",
    "registration_id": "Handelsregister",
    "email": "E-Mail",
    "phone": "Telefon",
    "website": "Web",
    "position": "Pos.",
    "description": "Beschreibung",
    "quantity": "Menge",
    "unit_price": "Einzelpreis",
    "discount": "Rabatt",
    "vat_percent": "USt. %",
    "net_amount": "Nettobetrag",
    "vat": "USt.",
    "vat_breakdown": "Umsatzsteuer",
    "vat_rate": "Steuersatz",
    "category": "Kategorie",
    "subtotal": "Zwischensumme",
    "total_net": "Summe netto",
    "total": "Gesamtbetrag",
    "amount_paid": "Bereits bezahlt",
    "amount_due": "Zahlbetrag",
    "taxable_amount": "Bemessungsgrundlage",
    "payment": "Zahlung",
    "payment_terms": "Zahlungsziel: {days} Tage netto",
    "iban": "IBAN",
    "bic": "BIC",
    "bank": "Bank",
    "reference": "Verwendungszweck",
    "scan_to_pay": "Per Überweisung bezahlen (Code scannen)",
    "view_online": "Online ansehen",
    "notes": "Hinweise",
    "draft": "ENTWURF",
    "draft_notice": "Entwurf: keine gültige Rechnung, noch keine Nummer vergeben",
    "cancelled": "STORNIERT",
    "void": "UNGÜLTIG",
    "paid": "BEZAHLT",
    "page_of": "Seite {page} von {pages}",
    "exemption.S": "Regelsteuersatz",
    "exemption.Z": "Nullsatz",
    "exemption.E": "Steuerfrei",
    "exemption.AE": "Steuerschuldnerschaft des Leistungsempfängers",
    "exemption.K": "Steuerfreie innergemeinschaftliche Lieferung",
    "exemption.G": "Steuerfreie Ausfuhrlieferung",
    "exemption.O": "Nicht steuerbar",
    "reverse_charge": "Steuerschuldnerschaft des Leistungsempfängers",
    "credit_note": "Gutschrift",
    "credit_note_number": "Gutschriftsnummer",
    "corrected_invoice": "Korrigiert Rechnung",
    "total_credited": "Gutgeschrieben",
    "credit_reducing_due": "Mit dem offenen Betrag der Rechnung verrechnet",
    "credit_refunded": "Erstattet",
    "credit_kept": "Als Kundenguthaben behalten",
    "credit_draft_notice": "Entwurf: keine gültige Gutschrift, noch keine Nummer vergeben",
    "reason": "Grund",
}

_FR: dict[str, str] = {
    "invoice": "Facture",
    "invoice_number": "Numéro de facture",
    "issue_date": "Date d’émission",
    "due_date": "Date d’échéance",
    "delivery_date": "Date de livraison",
    "seller": "Vendeur",
    "bill_to": "Facturé à",
    "vat_id": "N° TVA",
    "registration_id": "SIREN / RCS",
    "email": "E-mail",
    "phone": "Téléphone",
    "website": "Site web",
    "position": "N°",
    "description": "Désignation",
    "quantity": "Quantité",
    "unit_price": "Prix unitaire HT",
    "discount": "Remise",
    "vat_percent": "TVA %",
    "net_amount": "Montant HT",
    "vat": "TVA",
    "vat_breakdown": "Détail de la TVA",
    "vat_rate": "Taux de TVA",
    "category": "Catégorie",
    "subtotal": "Sous-total",
    "total_net": "Total HT",
    "total": "Total TTC",
    "amount_paid": "Déjà payé",
    "amount_due": "Net à payer",
    "taxable_amount": "Base HT",
    "payment": "Paiement",
    "payment_terms": "Conditions de paiement : {days} jours net",
    "iban": "IBAN",
    "bic": "BIC",
    "bank": "Banque",
    "reference": "Référence",
    "scan_to_pay": "Payer par virement (scanner pour payer)",
    "view_online": "Voir en ligne",
    "notes": "Remarques",
    "draft": "BROUILLON",
    "draft_notice": "Brouillon : facture non valable, aucun numéro attribué",
    "cancelled": "ANNULÉE",
    "void": "NULLE",
    "paid": "PAYÉE",
    "page_of": "Page {page} sur {pages}",
    "exemption.S": "Taux normal",
    "exemption.Z": "Taux zéro",
    "exemption.E": "Exonération de TVA",
    "exemption.AE": "Autoliquidation",
    "exemption.K": "Livraison intracommunautaire exonérée de TVA",
    "exemption.G": "Exportation hors UE exonérée de TVA",
    "exemption.O": "Hors champ d’application de la TVA",
    "reverse_charge": "Autoliquidation",
    "credit_note": "Avoir",
    "credit_note_number": "Numéro d’avoir",
    "corrected_invoice": "Rectifie la facture",
    "total_credited": "Total crédité",
    "credit_reducing_due": "Déduit du montant dû de la facture",
    "credit_refunded": "Remboursé",
    "credit_kept": "Conservé en avoir client",
    "credit_draft_notice": "Brouillon : avoir non valable, aucun numéro attribué",
    "reason": "Motif",
}

_TR: dict[str, str] = {
    "invoice": "Fatura",
    "invoice_number": "Fatura numarası",
    "issue_date": "Düzenleme tarihi",
    "due_date": "Son ödeme tarihi",
    "delivery_date": "Teslim tarihi",
    "seller": "Satıcı",
    "bill_to": "Alıcı",
    "vat_id": "Vergi No",
    "registration_id": "Sicil No",
    "email": "E-posta",
    "phone": "Telefon",
    "website": "Web",
    "position": "Sıra",
    "description": "Açıklama",
    "quantity": "Miktar",
    "unit_price": "Birim fiyat",
    "discount": "İskonto",
    "vat_percent": "KDV %",
    "net_amount": "Net tutar",
    "vat": "KDV",
    "vat_breakdown": "KDV dökümü",
    "vat_rate": "KDV oranı",
    "category": "Kategori",
    "subtotal": "Ara toplam",
    "total_net": "Toplam net",
    "total": "Genel toplam",
    "amount_paid": "Ödenen tutar",
    "amount_due": "Ödenecek tutar",
    "taxable_amount": "Matrah",
    "payment": "Ödeme",
    "payment_terms": "Ödeme vadesi: {days} gün",
    "iban": "IBAN",
    "bic": "BIC",
    "bank": "Banka",
    "reference": "Açıklama / Referans",
    "scan_to_pay": "Banka havalesiyle öde (okutarak öde)",
    "view_online": "Çevrimiçi görüntüle",
    "notes": "Notlar",
    "draft": "TASLAK",
    "draft_notice": "Taslak: geçerli bir fatura değildir, numara verilmemiştir",
    "cancelled": "İPTAL",
    "void": "GEÇERSİZ",
    "paid": "ÖDENDİ",
    "page_of": "Sayfa {page} / {pages}",
    "exemption.S": "Genel oran",
    "exemption.Z": "Sıfır oranlı teslim",
    "exemption.E": "KDV’den istisna",
    "exemption.AE": "Sorumlu sıfatıyla beyan (ters ibraz)",
    "exemption.K": "Topluluk içi teslim, KDV’den istisna",
    "exemption.G": "İhracat, KDV’den istisna",
    "exemption.O": "KDV kapsamı dışında",
    "reverse_charge": "Sorumlu sıfatıyla beyan (ters ibraz)",
    "credit_note": "İade faturası",
    "credit_note_number": "İade fatura numarası",
    "corrected_invoice": "İade edilen fatura",
    "total_credited": "İade toplamı",
    "credit_reducing_due": "Fatura bakiyesinden düşülen",
    "credit_refunded": "Geri ödenen",
    "credit_kept": "Müşteri alacağı olarak tutulan",
    "credit_draft_notice": "Taslak: geçerli bir iade faturası değildir, numara verilmemiştir",
    "reason": "İade nedeni",
}

TEXTS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "en": MappingProxyType(_EN),
        "de": MappingProxyType(_DE),
        "fr": MappingProxyType(_FR),
        "tr": MappingProxyType(_TR),
    }
)

SUPPORTED_LANGUAGES = frozenset(TEXTS)


def babel_locale(locale: str | None) -> Locale:
    """The babel Locale for a BCP 47 (de-AT) or POSIX (de_AT) id; English for an unknown one.

    An invoice's locale was checked when it was written, so the fallback only guards documents
    built from older rows: a document renders in English rather than not at all.
    """
    if not locale:
        return Locale.parse(DEFAULT_LANGUAGE)
    try:
        return Locale.parse(locale.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return Locale.parse(DEFAULT_LANGUAGE)


def language(locale: str | None) -> str:
    """The language whose texts a locale reads: its own when translated, else English."""
    lang = str(babel_locale(locale).language)
    return lang if lang in TEXTS else DEFAULT_LANGUAGE


def text(locale: str | None, key: str) -> str:
    """The label `key` in `locale`'s language, falling back to English; KeyError for an unknown key."""
    table = TEXTS[language(locale)]
    if key in table:
        return table[key]
    return TEXTS[DEFAULT_LANGUAGE][key]


def exemption_text(locale: str | None, category: TaxCategory | str) -> str:
    """What a VAT group of `category` prints when it has no reason of its own."""
    return text(locale, f"exemption.{TaxCategory(category).value}")


def texts_for(locale: str | None) -> dict[str, str]:
    """Every label in `locale`'s language (English where it has none): what a template reads."""
    lang = language(locale)
    return {key: text(lang, key) for key in TEXTS[DEFAULT_LANGUAGE]}
