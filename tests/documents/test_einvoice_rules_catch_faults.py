"""The stated Peppol and GIB rules reject what they exist to reject, so a passing corpus means something."""

from dataclasses import replace
from decimal import Decimal

from lxml import etree  # type: ignore[import-untyped]

from invoicing.documents.einvoice import is_peppol, is_turkish
from invoicing.documents.ubl import render_ubl
from tests.documents import peppol_rules, ubl_tr_rules
from tests.documents.corpus import corpus

DOCUMENTS = corpus(size=30)


def _peppol_root() -> etree._Element:
    document = next(d for d in DOCUMENTS if is_peppol(d) and not is_turkish(d))
    return etree.fromstring(render_ubl(document))


def _turkish_root() -> etree._Element:
    document = next(d for d in DOCUMENTS if is_turkish(d))
    return etree.fromstring(render_ubl(document))


def _first(root: etree._Element, path: str) -> etree._Element:
    found = root.xpath(path, namespaces=peppol_rules.NS)
    assert isinstance(found, list)
    assert found
    element = found[0]
    assert isinstance(element, etree._Element)
    return element


def test_peppol_rules_reject_a_missing_endpoint_an_empty_element_and_a_bad_gln() -> None:
    root = _peppol_root()
    endpoint = _first(root, "cac:AccountingCustomerParty/cac:Party/cbc:EndpointID")
    endpoint.set("schemeID", "0088")
    endpoint.text = "4000001000001"  # check digit off by one
    assert peppol_rules.rule_PEPPOL_COMMON_R040(root)
    endpoint.getparent().remove(endpoint)  # type: ignore[union-attr]
    assert peppol_rules.rule_PEPPOL_EN16931_R010(root)
    etree.SubElement(root, f"{{{peppol_rules.NS['cbc']}}}Note")
    assert peppol_rules.rule_PEPPOL_EN16931_R008(root)


def test_peppol_rules_reject_a_line_whose_net_disagrees_with_quantity_and_price() -> None:
    root = _peppol_root()
    price = _first(root, "cac:InvoiceLine/cac:Price/cbc:PriceAmount")
    price.text = str(Decimal(price.text) + 1)
    assert peppol_rules.rule_PEPPOL_EN16931_R120(root)


def test_peppol_rules_reject_a_missing_buyer_reference_and_a_foreign_customization() -> None:
    root = _peppol_root()
    reference = _first(root, "cbc:BuyerReference")
    reference.getparent().remove(reference)  # type: ignore[union-attr]
    assert peppol_rules.rule_PEPPOL_EN16931_R003(root)
    _first(root, "cbc:CustomizationID").text = "urn:cen.eu:en16931:2017"
    assert peppol_rules.rule_PEPPOL_EN16931_R004(root)


def test_gib_rules_reject_a_short_number_a_bad_uuid_and_a_wrong_vkn_length() -> None:
    root = _turkish_root()
    _first(root, "cbc:ID").text = "AB2026000000001"
    assert ubl_tr_rules.rule_InvoiceIDCheck(root)
    _first(root, "cbc:UUID").text = "not-a-uuid"
    assert ubl_tr_rules.rule_UUIDCheck(root)
    party_id = _first(root, "cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification/cbc:ID")
    party_id.set("schemeID", "VKN")
    party_id.text = "123"
    assert ubl_tr_rules.rule_PartyIdentificationTCKNVKNCheck(root)


def test_gib_rules_reject_zero_kdv_without_a_reason_and_an_unknown_profile() -> None:
    document = next(d for d in DOCUMENTS if is_turkish(d))
    stripped = replace(document, profile_id="NOTAPROFILE")
    root = etree.fromstring(render_ubl(stripped))
    assert ubl_tr_rules.rule_ProfileIDCheck(root)
    subtotal = _first(root, "cac:TaxTotal/cac:TaxSubtotal")
    _first(subtotal, "cbc:TaxAmount").text = "0.00"
    for reason in subtotal.xpath(".//cbc:TaxExemptionReason", namespaces=peppol_rules.NS):
        reason.getparent().remove(reason)
    assert ubl_tr_rules.rule_TaxExemptionReasonCheck(root)
