# ruff: noqa: N802 - each function is named after the official rule id it states
"""Peppol BIS Billing 3.0 rules, stated from its specification as XPath checks (no package ships them).

A credit note's lines are `cac:CreditNoteLine` with `cbc:CreditedQuantity`: the line rules
read both (LINES, QUANTITY), as Peppol states each rule for both documents.

Each `rule_<id>` takes a parsed UBL Invoice and returns the list of violations (empty when the
document satisfies the rule). Ids are OpenPeppol's (PEPPOL-EN16931-Rnnn, PEPPOL-COMMON-Rnnn).
"""

import re
from collections.abc import Callable
from decimal import Decimal

from lxml import etree  # type: ignore[import-untyped]

from invoicing.documents.einvoice import words

NS = {
    "inv": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE = re.compile(r"^urn:fdc:peppol\.eu:2017:poacc:billing:[0-9]{2}:1\.0$")
# The Electronic Address Scheme code list Peppol accepts (PEPPOL-EN16931-CL008).
EAS = frozenset(
    words(
        "0002 0007 0009 0037 0060 0088 0096 0097 0106 0130 0135 0142 0151 0183 0184 0188 0190 0191 0192 "
        "0193 0195 0196 0198 0199 0200 0201 0202 0204 0208 0209 0210 0211 0212 0213 0215 0216 0218 0221 "
        "0230 9901 9910 9913 9914 9915 9918 9919 9920 9922 9923 9924 9925 9926 9927 9928 9929 9930 9931 "
        "9932 9933 9934 9935 9936 9937 9938 9939 9940 9941 9942 9943 9944 9945 9946 9947 9948 9949 9950 "
        "9951 9952 9953 9957 9959"
    )
)
# The invoice type codes profile 01 accepts (PEPPOL-EN16931-P0100).
INVOICE_TYPES = frozenset(
    words("71 80 82 84 102 218 219 331 380 382 383 386 388 393 395 553 575 623 780 817 870 875 876 877")
)
# Allowance reason codes (UNCL 5189 subset, PEPPOL-EN16931-CL002).
ALLOWANCE_REASONS = frozenset(words("41 42 60 62 63 64 65 66 67 68 70 71 88 95 100 102 103 104 105"))
AMOUNT_TAGS = words(
    "Amount BaseAmount PriceAmount TaxableAmount LineExtensionAmount TaxExclusiveAmount "
    "TaxInclusiveAmount AllowanceTotalAmount ChargeTotalAmount PrepaidAmount PayableRoundingAmount "
    "PayableAmount"
)
SLACK = Decimal("0.02")
LINES = "(cac:InvoiceLine | cac:CreditNoteLine)"
QUANTITY = "(cbc:InvoicedQuantity | cbc:CreditedQuantity)"
# The credit note type codes profile 01 accepts (PEPPOL-EN16931-P0101).
CREDIT_NOTE_TYPES = frozenset(words("81 83 261 262 296 308 381 396 420 458 532"))

Rule = Callable[[etree._Element], list[str]]


def _all(root: etree._Element, path: str) -> list[etree._Element]:
    return list(root.xpath(path, namespaces=NS))


def _text(root: etree._Element, path: str) -> str:
    return " ".join(str(root.xpath(f"normalize-space({path})", namespaces=NS)).split())


def _decimal(element: etree._Element | None, default: Decimal = Decimal(0)) -> Decimal:
    return Decimal(element.text.strip()) if element is not None and element.text else default


def rule_PEPPOL_EN16931_R001(root: etree._Element) -> list[str]:
    """A business process (ProfileID) is given."""
    return [] if _text(root, "cbc:ProfileID") else ["no ProfileID"]


def rule_PEPPOL_EN16931_R002(root: etree._Element) -> list[str]:
    """At most one note on document level."""
    return [] if len(_all(root, "cbc:Note")) <= 1 else ["more than one Note"]


def rule_PEPPOL_EN16931_R003(root: etree._Element) -> list[str]:
    """A buyer reference or a purchase order reference is given."""
    return [] if _text(root, "cbc:BuyerReference") or _text(root, "cac:OrderReference/cbc:ID") else ["neither"]


def rule_PEPPOL_EN16931_R004(root: etree._Element) -> list[str]:
    """The specification identifier is Peppol BIS Billing 3.0's."""
    return [] if _text(root, "cbc:CustomizationID").startswith(CUSTOMIZATION) else ["wrong CustomizationID"]


def rule_PEPPOL_EN16931_R005(root: etree._Element) -> list[str]:
    """A VAT accounting currency, when given, differs from the invoice currency."""
    tax_currency = _text(root, "cbc:TaxCurrencyCode")
    return (
        ["TaxCurrencyCode equals DocumentCurrencyCode"]
        if tax_currency and tax_currency == _text(root, "cbc:DocumentCurrencyCode")
        else []
    )


def rule_PEPPOL_EN16931_R007(root: etree._Element) -> list[str]:
    """The business process has the form urn:fdc:peppol.eu:2017:poacc:billing:NN:1.0."""
    return [] if PROFILE.match(_text(root, "cbc:ProfileID")) else ["ProfileID format"]


def rule_PEPPOL_EN16931_R008(root: etree._Element) -> list[str]:
    """No empty elements (fatal in Peppol, a warning in EN 16931)."""
    return [element.tag for element in root.iter() if len(element) == 0 and not (element.text or "").strip()]


def rule_PEPPOL_EN16931_R010(root: etree._Element) -> list[str]:
    """The buyer's electronic address is given."""
    return [] if _all(root, "cac:AccountingCustomerParty/cac:Party/cbc:EndpointID") else ["no buyer EndpointID"]


def rule_PEPPOL_EN16931_R020(root: etree._Element) -> list[str]:
    """The seller's electronic address is given."""
    return [] if _all(root, "cac:AccountingSupplierParty/cac:Party/cbc:EndpointID") else ["no seller EndpointID"]


def _allowances(root: etree._Element) -> list[etree._Element]:
    return _all(
        root, "cac:AllowanceCharge | cac:InvoiceLine/cac:AllowanceCharge | cac:CreditNoteLine/cac:AllowanceCharge"
    )


def rule_PEPPOL_EN16931_R040(root: etree._Element) -> list[str]:
    """An allowance with base amount and percentage equals base x percentage / 100 (0.02 slack)."""
    bad = []
    for allowance in _allowances(root):
        base, factor = allowance.find("cbc:BaseAmount", NS), allowance.find("cbc:MultiplierFactorNumeric", NS)
        if base is not None and factor is not None:
            expected = _decimal(base) * _decimal(factor) / 100
            if abs(_decimal(allowance.find("cbc:Amount", NS)) - expected) > SLACK:
                bad.append("allowance amount")
    return bad


def rule_PEPPOL_EN16931_R041(root: etree._Element) -> list[str]:
    """A percentage needs a base amount."""
    return [
        "percentage without base"
        for a in _allowances(root)
        if a.find("cbc:MultiplierFactorNumeric", NS) is not None and a.find("cbc:BaseAmount", NS) is None
    ]


def rule_PEPPOL_EN16931_R042(root: etree._Element) -> list[str]:
    """A base amount needs a percentage."""
    return [
        "base without percentage"
        for a in _allowances(root)
        if a.find("cbc:BaseAmount", NS) is not None and a.find("cbc:MultiplierFactorNumeric", NS) is None
    ]


def rule_PEPPOL_EN16931_R043(root: etree._Element) -> list[str]:
    """ChargeIndicator is exactly true or false."""
    return [
        "ChargeIndicator"
        for a in _allowances(root) + _all(root, f"{LINES}/cac:Price/cac:AllowanceCharge")
        if _text(a, "cbc:ChargeIndicator") not in ("true", "false")
    ]


def rule_PEPPOL_EN16931_R044(root: etree._Element) -> list[str]:
    """A price-level allowance charge is an allowance (no charges on price level)."""
    return [
        "price charge"
        for a in _all(root, f"{LINES}/cac:Price/cac:AllowanceCharge")
        if _text(a, "cbc:ChargeIndicator") != "false"
    ]


def rule_PEPPOL_EN16931_R046(root: etree._Element) -> list[str]:
    """The net price equals the gross price minus the price allowance when a gross price is given."""
    bad = []
    for price in _all(root, f"{LINES}/cac:Price[cac:AllowanceCharge/cbc:BaseAmount]"):
        allowance = price.find("cac:AllowanceCharge", NS)
        assert allowance is not None
        gross = _decimal(allowance.find("cbc:BaseAmount", NS)) - _decimal(allowance.find("cbc:Amount", NS))
        if _decimal(price.find("cbc:PriceAmount", NS)) != gross:
            bad.append("net price")
    return bad


def rule_PEPPOL_EN16931_R051(root: etree._Element) -> list[str]:
    """Every amount's currency id is the document currency."""
    currency = _text(root, "cbc:DocumentCurrencyCode")
    return [
        element.tag
        for tag in AMOUNT_TAGS
        for element in _all(root, f".//cbc:{tag}")
        if element.get("currencyID") != currency
    ]


def rule_PEPPOL_EN16931_R053(root: etree._Element) -> list[str]:
    """Exactly one tax total with tax subtotals."""
    return [] if len(_all(root, "cac:TaxTotal[cac:TaxSubtotal]")) == 1 else ["tax totals with subtotals"]


def rule_PEPPOL_EN16931_R054(root: etree._Element) -> list[str]:
    """A tax total without subtotals only when a tax currency is given (then exactly one)."""
    expected = 1 if _text(root, "cbc:TaxCurrencyCode") else 0
    return [] if len(_all(root, "cac:TaxTotal[not(cac:TaxSubtotal)]")) == expected else ["tax total without subtotals"]


def rule_PEPPOL_EN16931_R055(root: etree._Element) -> list[str]:
    """The VAT total in accounting currency has the same sign as the VAT total (when given)."""
    tax_currency = _text(root, "cbc:TaxCurrencyCode")
    if not tax_currency:
        return []
    amounts = [_decimal(e) for e in _all(root, "cac:TaxTotal/cbc:TaxAmount")]
    return [] if all(a >= 0 for a in amounts) or all(a <= 0 for a in amounts) else ["VAT total signs differ"]


def rule_PEPPOL_EN16931_R061(root: etree._Element) -> list[str]:
    """Direct debit (payment means 49 or 59) carries a mandate reference."""
    return [
        "no mandate"
        for means in _all(root, "cac:PaymentMeans")
        if _text(means, "cbc:PaymentMeansCode") in ("49", "59") and not _text(means, "cac:PaymentMandate/cbc:ID")
    ]


def rule_PEPPOL_EN16931_R080(root: etree._Element) -> list[str]:
    """At most one project reference (document type 50) on document level."""
    return [] if len(_all(root, "cac:AdditionalDocumentReference[cbc:DocumentTypeCode='50']")) <= 1 else ["projects"]


def rule_PEPPOL_EN16931_R101(root: etree._Element) -> list[str]:
    """A line's document reference is an invoiced object (type 130), at most one per line (R100)."""
    bad = []
    for line in _all(root, LINES):
        references = _all(line, "cac:DocumentReference")
        if len(references) > 1 or any(_text(r, "cbc:DocumentTypeCode") != "130" for r in references):
            bad.append(_text(line, "cbc:ID"))
    return bad


def _within_invoice_period(root: etree._Element, which: str) -> list[str]:
    bound = _text(root, f"cac:InvoicePeriod/cbc:{which}")
    if not bound:
        return []
    dates = [_text(e, ".") for e in _all(root, f"{LINES}/cac:InvoicePeriod/cbc:{which}")]
    return [d for d in dates if (d < bound if which == "StartDate" else d > bound)]


def rule_PEPPOL_EN16931_R110(root: etree._Element) -> list[str]:
    """A line period starts within the invoice period."""
    return _within_invoice_period(root, "StartDate")


def rule_PEPPOL_EN16931_R111(root: etree._Element) -> list[str]:
    """A line period ends within the invoice period."""
    return _within_invoice_period(root, "EndDate")


def rule_PEPPOL_EN16931_R120(root: etree._Element) -> list[str]:
    """Line net = quantity x (price / base quantity) + charges - allowances, within 0.02."""
    bad = []
    for line in _all(root, LINES):
        found = line.xpath(QUANTITY, namespaces=NS)
        quantity = _decimal(found[0] if found else None, Decimal(1))
        price = _decimal(line.find("cac:Price/cbc:PriceAmount", NS))
        base = _decimal(line.find("cac:Price/cbc:BaseQuantity", NS), Decimal(1)) or Decimal(1)
        allowances = sum(
            (_decimal(e) for e in _all(line, "cac:AllowanceCharge[cbc:ChargeIndicator='false']/cbc:Amount")), Decimal(0)
        )
        charges = sum(
            (_decimal(e) for e in _all(line, "cac:AllowanceCharge[cbc:ChargeIndicator='true']/cbc:Amount")), Decimal(0)
        )
        expected = quantity * price / base + charges - allowances
        if abs(_decimal(line.find("cbc:LineExtensionAmount", NS)) - expected) > SLACK:
            bad.append(_text(line, "cbc:ID"))
    return bad


def rule_PEPPOL_EN16931_R121(root: etree._Element) -> list[str]:
    """A price base quantity is above zero."""
    return ["base quantity" for e in _all(root, f"{LINES}/cac:Price/cbc:BaseQuantity") if _decimal(e) <= 0]


def rule_PEPPOL_EN16931_R130(root: etree._Element) -> list[str]:
    """A price base quantity's unit is the invoiced quantity's."""
    return [
        _text(line, "cbc:ID")
        for line in _all(root, f"{LINES}[cac:Price/cbc:BaseQuantity/@unitCode]")
        if line.xpath(f"string(cac:Price/cbc:BaseQuantity/@unitCode) != string({QUANTITY}/@unitCode)", namespaces=NS)
    ]


def _ids(root: etree._Element, scheme: str) -> list[str]:
    path = (
        f".//cbc:EndpointID[@schemeID='{scheme}'] | .//cac:PartyIdentification/cbc:ID[@schemeID='{scheme}']"
        f" | .//cbc:CompanyID[@schemeID='{scheme}']"
    )
    return [_text(e, ".") for e in _all(root, path)]


def _gln_ok(value: str) -> bool:
    if not value.isdigit():
        return False
    digits = [int(c) for c in value[:-1]][::-1]
    total = sum(d * (3 if i % 2 == 0 else 1) for i, d in enumerate(digits))
    return (10 - total % 10) % 10 == int(value[-1])


def rule_PEPPOL_COMMON_R040(root: etree._Element) -> list[str]:
    """A GLN (scheme 0088) is digits with a valid GS1 check digit."""
    return [value for value in _ids(root, "0088") if not _gln_ok(value)]


def rule_PEPPOL_COMMON_R041(root: etree._Element) -> list[str]:
    """A Norwegian organisation number (0192) is 9 digits with a valid mod 11 check digit."""
    bad = []
    for value in _ids(root, "0192"):
        weights = (3, 2, 7, 6, 5, 4, 3, 2)
        ok = re.fullmatch(r"[0-9]{9}", value) is not None
        if ok:
            check = (11 - sum(int(d) * w for d, w in zip(value[:8], weights, strict=True)) % 11) % 11
            ok = check == int(value[8])
        if not ok:
            bad.append(value)
    return bad


def rule_PEPPOL_COMMON_R042(root: etree._Element) -> list[str]:
    """A Danish CVR (0184) is DK followed by 8 digits."""
    return [value for value in _ids(root, "0184") if not re.fullmatch(r"DK[0-9]{8}", value)]


def rule_PEPPOL_COMMON_R043(root: etree._Element) -> list[str]:
    """A Belgian enterprise number (0208) is 10 digits whose last two are 97 - (first eight mod 97)."""
    return [
        value
        for value in _ids(root, "0208")
        if not (re.fullmatch(r"[0-9]{10}", value) and int(value[8:]) == 97 - int(value[:8]) % 97)
    ]


def rule_PEPPOL_EN16931_CL002(root: etree._Element) -> list[str]:
    """Allowance reason codes come from Peppol's UNCL 5189 subset."""
    return [
        _text(e, ".")
        for e in _all(root, ".//cac:AllowanceCharge[cbc:ChargeIndicator='false']/cbc:AllowanceChargeReasonCode")
        if _text(e, ".") not in ALLOWANCE_REASONS
    ]


def rule_PEPPOL_EN16931_CL008(root: etree._Element) -> list[str]:
    """Electronic address schemes come from the EAS code list."""
    return [e.get("schemeID", "") for e in _all(root, ".//cbc:EndpointID") if e.get("schemeID") not in EAS]


def rule_PEPPOL_EN16931_P0100(root: etree._Element) -> list[str]:
    """Profile 01's invoice type codes (an invoice's)."""
    if root.tag.endswith("}CreditNote"):
        return []
    return [] if _text(root, "cbc:InvoiceTypeCode") in INVOICE_TYPES else ["type code"]


def rule_PEPPOL_EN16931_P0101(root: etree._Element) -> list[str]:
    """Profile 01's credit note type codes (a credit note's)."""
    if not root.tag.endswith("}CreditNote"):
        return []
    return [] if _text(root, "cbc:CreditNoteTypeCode") in CREDIT_NOTE_TYPES else ["type code"]


def rule_PEPPOL_EN16931_F001(root: etree._Element) -> list[str]:
    """Dates are YYYY-MM-DD."""
    return [
        _text(e, ".")
        for e in _all(root, ".//cbc:IssueDate | .//cbc:DueDate | .//cbc:ActualDeliveryDate")
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", _text(e, "."))
    ]


RULES: dict[str, Rule] = {
    name.removeprefix("rule_").replace("_", "-"): function
    for name, function in dict(globals()).items()
    if name.startswith("rule_") and callable(function)
}
