"""The snapshot as a CII D16B CrossIndustryInvoice under guideline urn:cen.eu:en16931:2017.

Element order follows the CII XSD (sequences); every amount comes formatted from the snapshot.
"""

from datetime import date
from decimal import Decimal

from lxml import etree  # type: ignore[import-untyped]

from invoicing.documents.einvoice import format_amount, format_decimal, vat_id, vat_ids_omitted
from invoicing.documents.model import DocumentLine, InvoiceDocument, Party, TaxCategory

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
NSMAP = {"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT}
GUIDELINE = "urn:cen.eu:en16931:2017"
COMMERCIAL_INVOICE = "380"
CREDIT_NOTE = "381"
SEPA_CREDIT_TRANSFER = "58"
DISCOUNT_REASON = "95"  # UNCL 5189: discount
ROUNDING_REASON = "ZZZ"  # UNCL 7161: mutually defined (no code names a rounding charge)
VATEX = "VATEX-"


def _el(parent: etree._Element, ns: str, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ns}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def _ram(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    return _el(parent, RAM, tag, text, **attrs)


def _date(parent: etree._Element, tag: str, value: date) -> None:
    _el(_ram(parent, tag), UDT, "DateTimeString", value.strftime("%Y%m%d"), format="102")


def render_cii(document: InvoiceDocument) -> bytes:
    """Pre: an issued invoice or credit note with no `missing_for_einvoice` gaps. Post: Factur-X
    EN 16931 XML bytes (a credit note: type 381, citing the invoice it corrects)."""
    money = _Money(document)
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap=NSMAP)
    context = _el(root, RSM, "ExchangedDocumentContext")
    _ram(_ram(context, "GuidelineSpecifiedDocumentContextParameter"), "ID", GUIDELINE)
    header = _el(root, RSM, "ExchangedDocument")
    _ram(header, "ID", document.number)
    _ram(header, "TypeCode", CREDIT_NOTE if document.is_credit_note else COMMERCIAL_INVOICE)
    assert document.issue_date is not None
    _date(header, "IssueDateTime", document.issue_date)
    if document.notes:
        _ram(_ram(header, "IncludedNote"), "Content", document.notes)
    transaction = _el(root, RSM, "SupplyChainTradeTransaction")
    for line in document.lines:
        _line(transaction, line, money)
    _agreement(transaction, document)
    _delivery(transaction, document)
    _settlement(transaction, document, money)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


class _Money:
    def __init__(self, document: InvoiceDocument) -> None:
        self.minor_units = document.minor_units
        self.currency = document.currency

    def __call__(self, amount: Decimal) -> str:
        return format_amount(amount, self.minor_units)


def _line(transaction: etree._Element, line: DocumentLine, money: _Money) -> None:
    item = _ram(transaction, "IncludedSupplyChainTradeLineItem")
    _ram(_ram(item, "AssociatedDocumentLineDocument"), "LineID", str(line.position))
    _ram(_ram(item, "SpecifiedTradeProduct"), "Name", line.name)
    agreement = _ram(item, "SpecifiedLineTradeAgreement")
    _ram(_ram(agreement, "NetPriceProductTradePrice"), "ChargeAmount", format_decimal(line.unit_price))
    _ram(
        _ram(item, "SpecifiedLineTradeDelivery"),
        "BilledQuantity",
        format_decimal(line.quantity),
        unitCode=line.unit_code,
    )
    settlement = _ram(item, "SpecifiedLineTradeSettlement")
    tax = _ram(settlement, "ApplicableTradeTax")
    _ram(tax, "TypeCode", "VAT")
    _ram(tax, "CategoryCode", line.tax_category.value)
    if line.tax_category != TaxCategory.OUTSIDE_SCOPE:  # BR-O-05: no rate outside the scope of VAT
        _ram(tax, "RateApplicablePercent", format_decimal(line.vat_rate_percent))
    if line.amount_discount:
        # A negative discount is the rounding a credit-note line closing an invoice line absorbs:
        # a line charge (BG-28) of its size.
        charge = line.amount_discount < 0
        allowance = _ram(settlement, "SpecifiedTradeAllowanceCharge")
        _el(_ram(allowance, "ChargeIndicator"), UDT, "Indicator", "true" if charge else "false")
        _ram(allowance, "ActualAmount", money(-line.amount_discount if charge else line.amount_discount))
        _ram(allowance, "ReasonCode", ROUNDING_REASON if charge else DISCOUNT_REASON)
        _ram(allowance, "Reason", "Rounding" if charge else "Discount")
    summation = _ram(settlement, "SpecifiedTradeSettlementLineMonetarySummation")
    _ram(summation, "LineTotalAmount", money(line.amount_net))


def _party(parent: etree._Element, tag: str, party: Party, *, with_vat_id: bool) -> None:
    element = _ram(parent, tag)
    _ram(element, "Name", party.legal_name)
    if party.registration_id:
        _ram(_ram(element, "SpecifiedLegalOrganization"), "ID", party.registration_id)
    if party.email or party.phone:
        contact = _ram(element, "DefinedTradeContact")
        if party.phone:
            _ram(_ram(contact, "TelephoneUniversalCommunication"), "CompleteNumber", party.phone)
        if party.email:
            _ram(_ram(contact, "EmailURIUniversalCommunication"), "URIID", party.email)
    address = party.postal_address
    postal = _ram(element, "PostalTradeAddress")
    for tag_name, value in (
        ("PostcodeCode", address.postal_code),
        ("LineOne", address.line1),
        ("LineTwo", address.line2),
    ):
        if value:
            _ram(postal, tag_name, value)
    if address.city:
        _ram(postal, "CityName", address.city)
    _ram(postal, "CountryID", address.country_code)
    if address.subdivision:
        _ram(postal, "CountrySubDivisionName", address.subdivision)
    if party.electronic_address is not None:
        _ram(
            _ram(element, "URIUniversalCommunication"),
            "URIID",
            party.electronic_address.id,
            schemeID=party.electronic_address.scheme,
        )
    if with_vat_id and party.tax_number:
        _ram(_ram(element, "SpecifiedTaxRegistration"), "ID", vat_id(party), schemeID="VA")


def _agreement(transaction: etree._Element, document: InvoiceDocument) -> None:
    agreement = _ram(transaction, "ApplicableHeaderTradeAgreement")
    if document.buyer_reference:
        _ram(agreement, "BuyerReference", document.buyer_reference)
    with_vat_id = not vat_ids_omitted(document)
    _party(agreement, "SellerTradeParty", document.seller, with_vat_id=with_vat_id)
    _party(agreement, "BuyerTradeParty", document.buyer, with_vat_id=with_vat_id)


def _delivery(transaction: etree._Element, document: InvoiceDocument) -> None:
    delivery = _ram(transaction, "ApplicableHeaderTradeDelivery")
    if any(line.tax_category == TaxCategory.INTRA_COMMUNITY for line in document.lines):
        # BR-IC-12: an intra-community supply names the deliver-to country (the buyer's).
        ship_to = _ram(delivery, "ShipToTradeParty")
        _ram(_ram(ship_to, "PostalTradeAddress"), "CountryID", document.buyer.postal_address.country_code)
    if document.delivery_date is not None:
        event = _ram(delivery, "ActualDeliverySupplyChainEvent")
        _date(event, "OccurrenceDateTime", document.delivery_date)


def _settlement(transaction: etree._Element, document: InvoiceDocument, money: _Money) -> None:
    settlement = _ram(transaction, "ApplicableHeaderTradeSettlement")
    _ram(settlement, "PaymentReference", document.payment_reference)
    _ram(settlement, "InvoiceCurrencyCode", document.currency)
    for account in document.bank_accounts:
        means = _ram(settlement, "SpecifiedTradeSettlementPaymentMeans")
        _ram(means, "TypeCode", SEPA_CREDIT_TRANSFER)
        _ram(_ram(means, "PayeePartyCreditorFinancialAccount"), "IBANID", account.iban)
        if account.bic:
            _ram(_ram(means, "PayeeSpecifiedCreditorFinancialInstitution"), "BICID", account.bic)
    for subtotal in document.tax_subtotals:
        tax = _ram(settlement, "ApplicableTradeTax")
        _ram(tax, "CalculatedAmount", money(subtotal.tax_amount))
        _ram(tax, "TypeCode", "VAT")
        if subtotal.exemption_reason:
            _ram(tax, "ExemptionReason", subtotal.exemption_reason)
        _ram(tax, "BasisAmount", money(subtotal.taxable_amount))
        _ram(tax, "CategoryCode", subtotal.category.value)
        if subtotal.exemption_reason_code and subtotal.exemption_reason_code.startswith(VATEX):
            # GIB's exemption codes (a Turkish seller's) are not VATEX codes; the reason text stays.
            _ram(tax, "ExemptionReasonCode", subtotal.exemption_reason_code)
        if subtotal.category != TaxCategory.OUTSIDE_SCOPE:
            _ram(tax, "RateApplicablePercent", format_decimal(subtotal.rate_percent))
    stated = document.payment_terms_text
    if document.due_date is not None or stated is not None:
        terms = _ram(settlement, "SpecifiedTradePaymentTerms")
        if document.due_date is None:
            _ram(terms, "Description", stated)
        else:
            _date(terms, "DueDateDateTime", document.due_date)
    totals = document.totals
    summation = _ram(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation")
    _ram(summation, "LineTotalAmount", money(totals.line_net_total))
    _ram(summation, "TaxBasisTotalAmount", money(totals.tax_exclusive))
    _ram(summation, "TaxTotalAmount", money(totals.tax_total), currencyID=document.currency)
    _ram(summation, "GrandTotalAmount", money(totals.tax_inclusive))
    _ram(summation, "TotalPrepaidAmount", money(totals.paid))
    _ram(summation, "DuePayableAmount", money(totals.due))
    if document.billing_reference is not None:  # BG-3: the invoice a credit note corrects
        cited = _ram(settlement, "InvoiceReferencedDocument")
        _ram(cited, "IssuerAssignedID", document.billing_reference.number)
        _el(
            _ram(cited, "FormattedIssueDateTime"),
            QDT,
            "DateTimeString",
            document.billing_reference.issue_date.strftime("%Y%m%d"),
            format="102",
        )
