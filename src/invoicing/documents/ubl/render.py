"""The snapshot as an EN 16931 UBL 2.1 Invoice; Peppol BIS Billing 3.0 when both parties are on Peppol.

Element order follows the UBL 2.1 XSD sequences. Peppol adds its CustomizationID and ProfileID,
both parties' EndpointID (PEPPOL-EN16931-R010, R020) and always a BuyerReference (R003): the
buyer's own reference, else the invoice number, which is the reference the buyer is given.
"""

from lxml import etree  # type: ignore[import-untyped]

from invoicing.documents.einvoice import (
    format_decimal,
    is_peppol,
    is_turkish,
    vat_id,
    vat_ids_omitted,
)
from invoicing.documents.model import DocumentLine, InvoiceDocument, Party, TaxCategory
from invoicing.documents.ubl.xml import (
    Amounts,
    billing_reference,
    cac,
    cbc,
    contact,
    credit_note_root,
    invoice_root,
    line_allowance_or_charge,
    serialize,
)

EN16931 = "urn:cen.eu:en16931:2017"
PEPPOL_CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PEPPOL_PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
COMMERCIAL_INVOICE = "380"
CREDIT_NOTE = "381"
SEPA_CREDIT_TRANSFER = "58"


def render_ubl(document: InvoiceDocument) -> bytes:
    """Pre: an issued invoice or credit note with no `missing_for_einvoice` gaps. Post: UBL-TR for a
    Turkish seller (a credit note as an IADE invoice), else EN 16931 (a credit note as a UBL CreditNote)."""
    if is_turkish(document):
        # Imported here: ubl_tr builds on this package's `xml` module, so a top-level import would cycle.
        from invoicing.documents.ubl_tr import render_ubl_tr

        return render_ubl_tr(document)
    return render_en16931(document)


def render_en16931(document: InvoiceDocument) -> bytes:
    peppol = is_peppol(document)
    money = Amounts(document)
    credit = document.is_credit_note
    root = credit_note_root() if credit else invoice_root()
    cbc(root, "CustomizationID", PEPPOL_CUSTOMIZATION if peppol else EN16931)
    if peppol:
        cbc(root, "ProfileID", PEPPOL_PROFILE)
    assert document.number is not None
    assert document.issue_date is not None
    cbc(root, "ID", document.number)
    cbc(root, "IssueDate", document.issue_date.isoformat())
    if document.due_date is not None and not credit:  # a CreditNote has no DueDate
        cbc(root, "DueDate", document.due_date.isoformat())
    cbc(root, "CreditNoteTypeCode" if credit else "InvoiceTypeCode", CREDIT_NOTE if credit else COMMERCIAL_INVOICE)
    if document.notes:
        cbc(root, "Note", document.notes)
    cbc(root, "DocumentCurrencyCode", document.currency)
    if document.buyer_reference or peppol:
        cbc(root, "BuyerReference", document.buyer_reference or document.number)
    billing_reference(root, document)
    with_vat_id = not vat_ids_omitted(document)
    _party(cac(root, "AccountingSupplierParty"), document.seller, with_vat_id=with_vat_id)
    _party(cac(root, "AccountingCustomerParty"), document.buyer, with_vat_id=with_vat_id)
    _delivery(root, document)
    _payment(root, document)
    _tax_total(root, document, money)
    _monetary_total(root, document, money)
    for line in document.lines:
        _line(root, line, money, credit=credit)
    return serialize(root)


def _party(role: etree._Element, party: Party, *, with_vat_id: bool) -> None:
    element = cac(role, "Party")
    if party.electronic_address is not None:
        cbc(element, "EndpointID", party.electronic_address.id, schemeID=party.electronic_address.scheme)
    cbc(cac(element, "PartyName"), "Name", party.legal_name)
    address = party.postal_address
    postal = cac(element, "PostalAddress")
    for tag, value in (
        ("StreetName", address.line1),
        ("AdditionalStreetName", address.line2),
        ("CityName", address.city),
        ("PostalZone", address.postal_code),
        ("CountrySubentity", address.subdivision),
    ):
        if value:
            cbc(postal, tag, value)
    cbc(cac(postal, "Country"), "IdentificationCode", address.country_code or "")
    if with_vat_id and party.tax_number:
        scheme = cac(element, "PartyTaxScheme")
        cbc(scheme, "CompanyID", vat_id(party))
        cbc(cac(scheme, "TaxScheme"), "ID", "VAT")
    legal = cac(element, "PartyLegalEntity")
    cbc(legal, "RegistrationName", party.legal_name)
    if party.registration_id:
        cbc(legal, "CompanyID", party.registration_id)
    contact(element, party)


def _delivery(root: etree._Element, document: InvoiceDocument) -> None:
    intra_community = any(line.tax_category == TaxCategory.INTRA_COMMUNITY for line in document.lines)
    if document.delivery_date is None and not intra_community:
        return
    delivery = cac(root, "Delivery")
    if document.delivery_date is not None:
        cbc(delivery, "ActualDeliveryDate", document.delivery_date.isoformat())
    if intra_community:  # BR-IC-12: the deliver-to country, the buyer's
        address = cac(cac(delivery, "DeliveryLocation"), "Address")
        cbc(cac(address, "Country"), "IdentificationCode", document.buyer.postal_address.country_code or "")


def _payment(root: etree._Element, document: InvoiceDocument) -> None:
    for account in document.bank_accounts:
        means = cac(root, "PaymentMeans")
        cbc(means, "PaymentMeansCode", SEPA_CREDIT_TRANSFER)
        if document.payment_reference:
            cbc(means, "PaymentID", document.payment_reference)
        financial = cac(means, "PayeeFinancialAccount")
        cbc(financial, "ID", account.iban)
        if account.bank_name:
            cbc(financial, "Name", account.bank_name)
        if account.bic:
            cbc(cac(financial, "FinancialInstitutionBranch"), "ID", account.bic)
    terms = document.payment_terms_text
    if document.due_date is None and terms is not None:
        cbc(cac(root, "PaymentTerms"), "Note", terms)


def _tax_total(root: etree._Element, document: InvoiceDocument, money: Amounts) -> None:
    total = cac(root, "TaxTotal")
    money(total, "TaxAmount", document.totals.tax_total)
    for subtotal in document.tax_subtotals:
        element = cac(total, "TaxSubtotal")
        money(element, "TaxableAmount", subtotal.taxable_amount)
        money(element, "TaxAmount", subtotal.tax_amount)
        category = cac(element, "TaxCategory")
        cbc(category, "ID", subtotal.category.value)
        if subtotal.category != TaxCategory.OUTSIDE_SCOPE:  # BR-O-09: no rate outside the scope of VAT
            cbc(category, "Percent", format_decimal(subtotal.rate_percent))
        if subtotal.exemption_reason_code:
            cbc(category, "TaxExemptionReasonCode", subtotal.exemption_reason_code)
        if subtotal.exemption_reason:
            cbc(category, "TaxExemptionReason", subtotal.exemption_reason)
        cbc(cac(category, "TaxScheme"), "ID", "VAT")


def _monetary_total(root: etree._Element, document: InvoiceDocument, money: Amounts) -> None:
    totals = document.totals
    total = cac(root, "LegalMonetaryTotal")
    money(total, "LineExtensionAmount", totals.line_net_total)
    money(total, "TaxExclusiveAmount", totals.tax_exclusive)
    money(total, "TaxInclusiveAmount", totals.tax_inclusive)
    if totals.paid:
        money(total, "PrepaidAmount", totals.paid)
    money(total, "PayableAmount", totals.due)


def _line(root: etree._Element, line: DocumentLine, money: Amounts, *, credit: bool) -> None:
    element = cac(root, "CreditNoteLine" if credit else "InvoiceLine")
    cbc(element, "ID", str(line.position))
    quantity = "CreditedQuantity" if credit else "InvoicedQuantity"
    cbc(element, quantity, format_decimal(line.quantity), unitCode=line.unit_code)
    money(element, "LineExtensionAmount", line.amount_net)
    line_allowance_or_charge(element, line, money, coded=True)
    item = cac(element, "Item")
    cbc(item, "Name", line.name)
    category = cac(item, "ClassifiedTaxCategory")
    cbc(category, "ID", line.tax_category.value)
    if line.tax_category != TaxCategory.OUTSIDE_SCOPE:  # BR-O-05
        cbc(category, "Percent", format_decimal(line.vat_rate_percent))
    cbc(cac(category, "TaxScheme"), "ID", "VAT")
    cbc(cac(element, "Price"), "PriceAmount", format_decimal(line.unit_price), currencyID=money.currency)
