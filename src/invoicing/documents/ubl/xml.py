"""UBL 2.1 namespaces and element builders shared by the EN 16931 and the UBL-TR renderers."""

from decimal import Decimal

from lxml import etree  # type: ignore[import-untyped]

from invoicing.documents.einvoice import format_amount
from invoicing.documents.model import DocumentLine, InvoiceDocument, Party

INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
NSMAP = {None: INVOICE, "cac": CAC, "cbc": CBC}
DISCOUNT_REASON = "95"  # UNCL 5189: discount
ROUNDING_REASON = "ZZZ"  # UNCL 7161: mutually defined (no code names a rounding charge)


def invoice_root() -> etree._Element:
    return etree.Element(f"{{{INVOICE}}}Invoice", nsmap=NSMAP)


def credit_note_root() -> etree._Element:
    return etree.Element(f"{{{CREDIT_NOTE}}}CreditNote", nsmap={**NSMAP, None: CREDIT_NOTE})


def line_allowance_or_charge(parent: etree._Element, line: DocumentLine, money: "Amounts", *, coded: bool) -> None:
    """The line's discount as an allowance (BG-27); a negative one, the rounding a credit-note
    line closing an invoice line absorbs, as a charge (BG-28) of its size. `coded`: with
    UNCL 5189 / 7161 reason codes (EN 16931), else the amount alone (UBL-TR)."""
    if not line.amount_discount:
        return
    charge = line.amount_discount < 0
    element = cac(parent, "AllowanceCharge")
    cbc(element, "ChargeIndicator", "true" if charge else "false")
    if coded:
        cbc(element, "AllowanceChargeReasonCode", ROUNDING_REASON if charge else DISCOUNT_REASON)
        cbc(element, "AllowanceChargeReason", "Rounding" if charge else "Discount")
    money(element, "Amount", -line.amount_discount if charge else line.amount_discount)


def cac(parent: etree._Element, tag: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{CAC}}}{tag}")


def cbc(parent: etree._Element, tag: str, text: str, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{CBC}}}{tag}", attrs)
    element.text = text
    return element


def serialize(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


class Amounts:
    """Writes an amount of the document's currency, formatted to its minor units, with its currencyID."""

    def __init__(self, document: InvoiceDocument) -> None:
        self.minor_units = document.minor_units
        self.currency = document.currency

    def __call__(self, parent: etree._Element, tag: str, value: Decimal) -> None:
        cbc(parent, tag, format_amount(value, self.minor_units), currencyID=self.currency)


def contact(party_element: etree._Element, party: Party) -> None:
    if party.email or party.phone:
        element = cac(party_element, "Contact")
        if party.phone:
            cbc(element, "Telephone", party.phone)
        if party.email:
            cbc(element, "ElectronicMail", party.email)


def billing_reference(root: etree._Element, document: InvoiceDocument) -> None:
    """A credit note's corrected invoice (BG-3): its number (BT-25) and issue date (BT-26)."""
    reference = document.billing_reference
    if reference is None:
        return
    cited = cac(cac(root, "BillingReference"), "InvoiceDocumentReference")
    cbc(cited, "ID", reference.number)
    cbc(cited, "IssueDate", reference.issue_date.isoformat())
