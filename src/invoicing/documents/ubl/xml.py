"""UBL 2.1 namespaces and element builders shared by the EN 16931 and the UBL-TR renderers."""

from decimal import Decimal

from lxml import etree  # type: ignore[import-untyped]

from invoicing.documents.einvoice import format_amount
from invoicing.documents.model import InvoiceDocument, Party

INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
NSMAP = {None: INVOICE, "cac": CAC, "cbc": CBC}


def invoice_root() -> etree._Element:
    return etree.Element(f"{{{INVOICE}}}Invoice", nsmap=NSMAP)


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
