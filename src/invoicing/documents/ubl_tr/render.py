"""The snapshot as a UBL-TR 1.2.1 Invoice (GIB), before its XAdES signature.

The service's numbers are already GIB's 16 characters (3-character series, 4-digit year,
9-digit sequence: `ABC2026000000001`), so the number is the ID as it is. Parties are
identified by VKN (10 digits) or TCKN (11 digits); a TCKN party is a person, whose name GIB
wants split into first and family name. KDV is tax type 0015; a zero-KDV group carries GIB's
exemption reason code. The XAdES signature (ext:UBLExtensions) and the transmission to GIB are
an integrator's job and out of scope (docs/documents.md).
"""

from decimal import Decimal

from lxml import etree  # type: ignore[import-untyped]

from invoicing.documents.einvoice import format_decimal
from invoicing.documents.model import DocumentLine, InvoiceDocument, Party
from invoicing.documents.ubl.xml import (
    Amounts,
    billing_reference,
    cac,
    cbc,
    contact,
    invoice_root,
    line_allowance_or_charge,
    serialize,
)

UBL_VERSION = "2.1"
CUSTOMIZATION = "TR1.2"
KDV_NAME = "KDV"
KDV_TYPE_CODE = "0015"
VKN_LENGTH = 10


def render_ubl_tr(document: InvoiceDocument) -> bytes:
    """Pre: a Turkish seller's issued invoice with no `missing_for_einvoice` gaps. Post: unsigned UBL-TR bytes."""
    assert document.number is not None
    assert document.issue_date is not None
    root = invoice_root()
    cbc(root, "UBLVersionID", UBL_VERSION)
    cbc(root, "CustomizationID", CUSTOMIZATION)
    cbc(root, "ProfileID", document.profile_id)
    cbc(root, "ID", document.number)
    cbc(root, "CopyIndicator", "false")
    cbc(root, "UUID", document.uuid)
    cbc(root, "IssueDate", document.issue_date.isoformat())
    if document.issue_time is not None:
        cbc(root, "IssueTime", document.issue_time.replace(microsecond=0).isoformat())
    cbc(root, "InvoiceTypeCode", document.document_type)
    if document.notes:
        cbc(root, "Note", document.notes)
    cbc(root, "DocumentCurrencyCode", document.currency)
    cbc(root, "LineCountNumeric", str(len(document.lines)))
    # A credit note is an IADE (return) invoice citing the invoice it returns.
    billing_reference(root, document)
    _party(cac(root, "AccountingSupplierParty"), document.seller)
    _party(cac(root, "AccountingCustomerParty"), document.buyer)
    amount = Amounts(document)
    for account in document.bank_accounts:
        means = cac(root, "PaymentMeans")
        cbc(means, "PaymentMeansCode", "42")  # UNCL 4461: payment to bank account
        if document.due_date is not None:
            cbc(means, "PaymentDueDate", document.due_date.isoformat())
        cbc(cac(means, "PayeeFinancialAccount"), "ID", account.iban)
    _tax_total(root, document, amount)
    totals = document.totals
    monetary = cac(root, "LegalMonetaryTotal")
    amount(monetary, "LineExtensionAmount", totals.line_net_total)
    amount(monetary, "TaxExclusiveAmount", totals.tax_exclusive)
    amount(monetary, "TaxInclusiveAmount", totals.tax_inclusive)
    if totals.paid:
        amount(monetary, "PrepaidAmount", totals.paid)
    amount(monetary, "PayableAmount", totals.due)
    for line in document.lines:
        _line(root, line, amount)
    return serialize(root)


def _party(role: etree._Element, party: Party) -> None:
    element = cac(role, "Party")
    if party.website:
        cbc(element, "WebsiteURI", party.website)
    number = party.tax_number or ""
    is_company = len(number) == VKN_LENGTH
    cbc(cac(element, "PartyIdentification"), "ID", number, schemeID="VKN" if is_company else "TCKN")
    cbc(cac(element, "PartyName"), "Name", party.legal_name)
    address = party.postal_address
    postal = cac(element, "PostalAddress")
    if address.line1:
        cbc(postal, "StreetName", address.line1)
    if address.line2:
        cbc(postal, "AdditionalStreetName", address.line2)
    if address.subdivision:
        cbc(postal, "CitySubdivisionName", address.subdivision)
    if address.city:
        cbc(postal, "CityName", address.city)
    if address.postal_code:
        cbc(postal, "PostalZone", address.postal_code)
    cbc(cac(postal, "Country"), "IdentificationCode", address.country_code or "")
    if party.tax_office:
        cbc(cac(cac(element, "PartyTaxScheme"), "TaxScheme"), "Name", party.tax_office)
    contact(element, party)
    if not is_company:
        first, _, family = party.legal_name.strip().rpartition(" ")
        person = cac(element, "Person")
        cbc(person, "FirstName", first or family)
        cbc(person, "FamilyName", family)


def _kdv(
    parent: etree._Element,
    *,
    taxable: Decimal,
    tax: Decimal,
    rate: Decimal,
    code: str | None,
    reason: str | None,
    amount: Amounts,
) -> None:
    subtotal = cac(parent, "TaxSubtotal")
    amount(subtotal, "TaxableAmount", taxable)
    amount(subtotal, "TaxAmount", tax)
    cbc(subtotal, "Percent", format_decimal(rate))
    category = cac(subtotal, "TaxCategory")
    if tax == 0 and code:
        cbc(category, "TaxExemptionReasonCode", code)
        cbc(category, "TaxExemptionReason", reason or code)
    scheme = cac(category, "TaxScheme")
    cbc(scheme, "Name", KDV_NAME)
    cbc(scheme, "TaxTypeCode", KDV_TYPE_CODE)


def _tax_total(root: etree._Element, document: InvoiceDocument, amount: Amounts) -> None:
    total = cac(root, "TaxTotal")
    amount(total, "TaxAmount", document.totals.tax_total)
    for subtotal in document.tax_subtotals:
        _kdv(
            total,
            taxable=subtotal.taxable_amount,
            tax=subtotal.tax_amount,
            rate=subtotal.rate_percent,
            code=subtotal.exemption_reason_code,
            reason=subtotal.exemption_reason,
            amount=amount,
        )


def _line(root: etree._Element, line: DocumentLine, amount: Amounts) -> None:
    element = cac(root, "InvoiceLine")
    cbc(element, "ID", str(line.position))
    cbc(element, "InvoicedQuantity", format_decimal(line.quantity), unitCode=line.unit_code)
    amount(element, "LineExtensionAmount", line.amount_net)
    line_allowance_or_charge(element, line, amount, coded=False)
    tax_total = cac(element, "TaxTotal")
    amount(tax_total, "TaxAmount", line.amount_tax)
    _kdv(
        tax_total,
        taxable=line.amount_net,
        tax=line.amount_tax,
        rate=line.vat_rate_percent,
        code=line.tax_exemption_reason_code,
        reason=line.tax_exemption_reason,
        amount=amount,
    )
    cbc(cac(element, "Item"), "Name", line.name)
    cbc(cac(element, "Price"), "PriceAmount", format_decimal(line.unit_price), currencyID=amount.currency)
