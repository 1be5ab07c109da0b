# ruff: noqa: N802 - each function is named after the official rule id it states
"""GIB's UBL-TR 1.2.1 invoice rules (its Main Schematron), stated as XPath checks.

No package ships GIB's schematron; these are the rules it states for an Invoice, each named after
the schematron rule it states (UBLVersionIDCheck, ...). The envelope (StandardBusinessDocument),
XAdES signature and GIB-side checks (sender equals envelope sender) are outside what we produce.
"""

import re
from collections.abc import Callable

from lxml import etree  # type: ignore[import-untyped]

from invoicing.documents.einvoice import GIB_EXEMPTION_CODES, GIB_SPECIAL_CODE_TYPES, words
from tests.documents.peppol_rules import NS

E_INVOICE_PROFILES = frozenset(
    {"TICARIFATURA", "TEMELFATURA", "YOLCUBERABERFATURA", "IHRACAT", "OZELFATURA", "KAMU", "HKS"}
)
E_ARCHIVE_PROFILES = frozenset({"EARSIVFATURA"})
INVOICE_TYPES = frozenset(
    words("SATIS IADE TEVKIFAT TEVKIFATIADE ISTISNA OZELMATRAH IHRACKAYITLI SGK KOMISYONCU HKSSATIS HKSKOMISYONCU")
)
PARTY_ID_SCHEMES = frozenset(
    words(
        "TCKN VKN HIZMETNO MUSTERINO TESISATNO TELEFONNO DISTRIBUTORNO TICARETSICILNO TAPDKNO BAYINO "
        "ABONENO SAYACNO EPDKNO SUBENO PASAPORTNO ARACIKURUMETIKET ARACIKURUMVKN CIFTCINO IMALATCINO "
        "DOSYANO HASTANO MERSISNO URETICINO GTB_REFNO GTB_GCB_TESCILNO GTB_FIILI_IHRACAT_TARIHI"
    )
)
TAX_TYPES = frozenset(
    words(
        "0003 0015 0061 0071 0073 0074 0075 0076 0077 1047 1048 4080 4081 9015 9021 9077 8001 8002 8004 "
        "8005 8006 8007 8008 9040 0011 4071 4171 0021 0022 9944 0059"
    )
)
INVOICE_ID = re.compile(r"^[A-Z0-9]{3}20[0-9]{2}[0-9]{9}$")
UUID = re.compile(r"^[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}$")
# GIB's decimalCheck: at most 15 digits before the point, at most 2 (kuruş) after.
DECIMAL = re.compile(r"^[0-9]{1,17}(\.[0-9]{1,2})?$")
KDV = "0015"

Rule = Callable[[etree._Element], list[str]]


def _text(node: etree._Element, path: str) -> str:
    return str(node.xpath(f"normalize-space({path})", namespaces=NS))


def _all(node: etree._Element, path: str) -> list[etree._Element]:
    return list(node.xpath(path, namespaces=NS))


def _parties(root: etree._Element) -> list[etree._Element]:
    return _all(root, "cac:AccountingSupplierParty/cac:Party | cac:AccountingCustomerParty/cac:Party")


def rule_UBLVersionIDCheck(root: etree._Element) -> list[str]:
    return [] if _text(root, "cbc:UBLVersionID") == "2.1" else ["UBLVersionID is not 2.1"]


def rule_CustomizationIDCheck(root: etree._Element) -> list[str]:
    return [] if _text(root, "cbc:CustomizationID") in ("TR1.2", "TR1.2.1") else ["CustomizationID"]


def rule_ProfileIDCheck(root: etree._Element) -> list[str]:
    """e-Fatura's profile list, or EARSIVFATURA for the e-Arşiv schematron."""
    return [] if _text(root, "cbc:ProfileID") in E_INVOICE_PROFILES | E_ARCHIVE_PROFILES else ["ProfileID"]


def rule_InvoiceIDCheck(root: etree._Element) -> list[str]:
    """ABC2009123456789: 3 characters, a year 20xx, 9 digits."""
    return [] if INVOICE_ID.match(_text(root, "cbc:ID")) else [_text(root, "cbc:ID")]


def rule_CopyIndicatorCheck(root: etree._Element) -> list[str]:
    return [] if _text(root, "cbc:CopyIndicator") == "false" else ["CopyIndicator"]


def rule_UUIDCheck(root: etree._Element) -> list[str]:
    return [] if UUID.match(_text(root, "cbc:UUID")) else ["UUID"]


def rule_InvoiceTypeCodeCheck(root: etree._Element) -> list[str]:
    """A known type; IADE (a return) only under TEMELFATURA or EARSIVFATURA."""
    code, profile = _text(root, "cbc:InvoiceTypeCode"), _text(root, "cbc:ProfileID")
    bad = [] if code in INVOICE_TYPES else [code]
    if code == "IADE" and profile not in ("TEMELFATURA", "EARSIVFATURA"):
        bad.append("IADE under " + profile)
    return bad


def rule_IadeBillingReferenceCheck(root: etree._Element) -> list[str]:
    """A return (IADE) cites the invoice it returns: BillingReference/InvoiceDocumentReference with
    the returned invoice's 16-character ID and its IssueDate."""
    if _text(root, "cbc:InvoiceTypeCode") != "IADE":
        return []
    cited = _all(root, "cac:BillingReference/cac:InvoiceDocumentReference")
    if not cited:
        return ["no BillingReference"]
    return [
        f"cited {_text(reference, 'cbc:ID')!r} {_text(reference, 'cbc:IssueDate')!r}"
        for reference in cited
        if not INVOICE_ID.match(_text(reference, "cbc:ID")) or not _text(reference, "cbc:IssueDate")
    ]


def rule_SignatureCountCheck(root: etree._Element) -> list[str]:
    return [] if len(_all(root, "cac:Signature")) <= 1 else ["more than one cac:Signature"]


def rule_PartyIdentificationSchemeIDCheck(root: etree._Element) -> list[str]:
    return [
        e.get("schemeID", "")
        for party in _parties(root)
        for e in _all(party, "cac:PartyIdentification/cbc:ID")
        if e.get("schemeID") not in PARTY_ID_SCHEMES
    ]


def rule_PartyIdentificationTCKNVKNCheck(root: etree._Element) -> list[str]:
    """A VKN has 10 characters, a TCKN 11."""
    lengths = {"VKN": 10, "TCKN": 11}
    return [
        _text(e, ".")
        for party in _parties(root)
        for e in _all(party, "cac:PartyIdentification/cbc:ID")
        if e.get("schemeID") in lengths and len(_text(e, ".")) != lengths[str(e.get("schemeID"))]
    ]


def rule_PartyIdentificationPartyNamePersonCheck(root: etree._Element) -> list[str]:
    """Exactly one of VKN or TCKN; a VKN party has a PartyName, a TCKN party a Person with both names."""
    bad = []
    for party in _parties(root):
        vkn = len(_all(party, "cac:PartyIdentification/cbc:ID[@schemeID='VKN']"))
        tckn = len(_all(party, "cac:PartyIdentification/cbc:ID[@schemeID='TCKN']"))
        if not (vkn == 1 or tckn == 1) or (vkn == 1 and tckn == 1):
            bad.append("VKN/TCKN count")
        if vkn and not _text(party, "cac:PartyName/cbc:Name"):
            bad.append("VKN party without PartyName")
        if tckn and not (_text(party, "cac:Person/cbc:FirstName") and _text(party, "cac:Person/cbc:FamilyName")):
            bad.append("TCKN party without Person names")
    return bad


def rule_TaxTypeCheck(root: etree._Element) -> list[str]:
    path = (
        "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cac:TaxScheme/cbc:TaxTypeCode"
        " | cac:InvoiceLine/cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cac:TaxScheme/cbc:TaxTypeCode"
    )
    return [_text(e, ".") for e in _all(root, path) if _text(e, ".") not in TAX_TYPES]


def rule_TaxExemptionReasonCheck(root: etree._Element) -> list[str]:
    """A zero KDV (0015) subtotal states an exemption reason, unless the type is IADE, IHRACKAYITLI, OZELMATRAH."""
    if _text(root, "cbc:InvoiceTypeCode") in ("IADE", "IHRACKAYITLI", "OZELMATRAH"):
        return []
    return [
        _text(s, "cbc:TaxableAmount")
        for s in _all(root, "cac:TaxTotal/cac:TaxSubtotal")
        if _text(s, "cac:TaxCategory/cac:TaxScheme/cbc:TaxTypeCode") == KDV
        and float(_text(s, "cbc:TaxAmount")) == 0
        and not _text(s, "cac:TaxCategory/cbc:TaxExemptionReason")
    ]


def rule_TaxExemptionReasonCodeCheck(root: etree._Element) -> list[str]:
    """With a reason, a code from GIB's list; special codes only with their invoice types."""
    invoice_type = _text(root, "cbc:InvoiceTypeCode")
    bad = []
    for category in _all(root, "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory[cbc:TaxExemptionReason]"):
        code = _text(category, "cbc:TaxExemptionReasonCode")
        if code not in GIB_EXEMPTION_CODES:
            bad.append(f"code {code!r}")
        bad += [
            f"{code} under {invoice_type}"
            for types, codes in GIB_SPECIAL_CODE_TYPES
            if code in codes and invoice_type not in types
        ]
    return bad


def rule_InvoicedQuantityCheck(root: etree._Element) -> list[str]:
    return [_text(e, ".") for e in _all(root, "cac:InvoiceLine/cbc:InvoicedQuantity") if e.get("unitCode") is None]


def rule_decimalCheck(root: etree._Element) -> list[str]:
    """Monetary totals and the tax total have at most 2 decimals."""
    path = "cac:LegalMonetaryTotal/cbc:* | cac:TaxTotal/cbc:TaxAmount"
    return [_text(e, ".") for e in _all(root, path) if not DECIMAL.match(_text(e, "."))]


def rule_LineCountNumeric(root: etree._Element) -> list[str]:
    """LineCountNumeric counts the invoice lines (UBL-TR guide)."""
    return [] if _text(root, "cbc:LineCountNumeric") == str(len(_all(root, "cac:InvoiceLine"))) else ["count"]


RULES: dict[str, Rule] = {
    name.removeprefix("rule_"): function
    for name, function in dict(globals()).items()
    if name.startswith("rule_") and callable(function)
}
