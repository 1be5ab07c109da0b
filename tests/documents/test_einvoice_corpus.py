"""Every generated invoice renders to CII and UBL that pass the official XSDs and EN 16931 schematron
with zero errors, Peppol's rules when Peppol-flagged, GIB's rules when Turkish (issue 11, acceptance 1)."""

from collections import Counter
from dataclasses import dataclass

import facturx
import pytest
from lxml import etree  # type: ignore[import-untyped]

from invoicing.documents.cii import render_cii
from invoicing.documents.einvoice import is_peppol, is_turkish, missing_for_einvoice
from invoicing.documents.model import InvoiceDocument
from invoicing.documents.ubl import render_ubl
from tests.documents import peppol_rules, ubl_tr_rules
from tests.documents.corpus import corpus
from tests.documents.validators import (
    CII_SCHEMATRON,
    CII_XSD,
    UBL_SCHEMATRON,
    UBL_XSD,
    Finding,
    schematron_findings,
    xsd_errors,
)


@dataclass
class Checked:
    document: InvoiceDocument
    ubl: bytes
    cii: bytes
    xsd: list[str]
    findings: list[Finding]


@pytest.fixture(scope="module")
def checked() -> list[Checked]:
    results = []
    for document in corpus():
        ubl, cii = render_ubl(document), render_cii(document)
        xsd = xsd_errors(ubl, UBL_XSD) + xsd_errors(cii, CII_XSD)
        findings = schematron_findings(cii, CII_SCHEMATRON)
        if not is_turkish(document):  # UBL-TR is not an EN 16931 CIUS; GIB's rules are checked below
            findings += schematron_findings(ubl, UBL_SCHEMATRON)
        results.append(Checked(document, ubl, cii, xsd, findings))
    return results


def test_the_corpus_is_at_least_200_varied_invoices(checked: list[Checked]) -> None:
    documents = [c.document for c in checked]
    assert len(documents) >= 200
    assert {d.minor_units for d in documents} == {0, 2, 3}
    assert {"JPY", "KRW", "EUR", "USD", "GBP", "CHF", "TRY", "KWD", "BHD"} <= {d.currency for d in documents}
    categories = Counter(line.tax_category.value for d in documents for line in d.lines)
    assert set(categories) == {"S", "Z", "E", "AE", "K", "G", "O"}
    assert sum(len({s.rate_percent for s in d.tax_subtotals if s.category == "S"}) >= 2 for d in documents) >= 50
    assert sum(any(line.amount_discount for line in d.lines) for d in documents) >= 50
    assert sum(0 < d.totals.paid < d.totals.tax_inclusive for d in documents) >= 30
    assert sum(is_peppol(d) for d in documents) >= 60
    assert sum(is_turkish(d) for d in documents) >= 60
    assert all(missing_for_einvoice(d) == [] for d in documents)


def test_every_document_passes_the_xsds(checked: list[Checked]) -> None:
    failing = {c.document.number: c.xsd for c in checked if c.xsd}
    assert failing == {}


def test_factur_x_accepts_every_cii_as_its_en16931_profile(checked: list[Checked]) -> None:
    # factur-x's own check (it raises on an invalid document), on top of the XSD run above.
    assert all(facturx.xml_check_xsd(c.cii, flavor="factur-x", level="en16931") for c in checked)


def test_every_document_passes_the_en16931_schematron_with_zero_errors(checked: list[Checked]) -> None:
    errors = Counter(f.rule_id for c in checked for f in c.findings if f.is_error)
    warnings = Counter(f.rule_id for c in checked for f in c.findings if not f.is_error)
    print(f"EN 16931 schematron: {sum(errors.values())} errors, {sum(warnings.values())} warnings {dict(warnings)}")
    assert errors == Counter()


def test_peppol_flagged_ubl_passes_the_peppol_bis_3_rules(checked: list[Checked]) -> None:
    peppol = [c for c in checked if is_peppol(c.document) and not is_turkish(c.document)]
    assert len(peppol) >= 60
    violations = {
        (c.document.number, rule_id): found
        for c in peppol
        for rule_id, rule in peppol_rules.RULES.items()
        if (found := rule(etree.fromstring(c.ubl)))
    }
    assert violations == {}


def test_non_peppol_ubl_is_plain_en16931(checked: list[Checked]) -> None:
    plain = [etree.fromstring(c.ubl) for c in checked if not is_peppol(c.document) and not is_turkish(c.document)]
    assert plain
    assert {root.findtext("cbc:CustomizationID", namespaces=peppol_rules.NS) for root in plain} == {
        "urn:cen.eu:en16931:2017"
    }
    assert all(root.find("cbc:ProfileID", peppol_rules.NS) is None for root in plain)


def test_turkish_sellers_ubl_tr_passes_gibs_rules(checked: list[Checked]) -> None:
    turkish = [c for c in checked if is_turkish(c.document)]
    assert len(turkish) >= 60
    violations = {
        (c.document.number, rule_id): found
        for c in turkish
        for rule_id, rule in ubl_tr_rules.RULES.items()
        if (found := rule(etree.fromstring(c.ubl)))
    }
    assert violations == {}


def test_ubl_tr_carries_the_invoices_gib_fields(checked: list[Checked]) -> None:
    for c in (c for c in checked if is_turkish(c.document)):
        root, document = etree.fromstring(c.ubl), c.document
        fields = {
            path: root.findtext(path, namespaces=peppol_rules.NS)
            for path in ("cbc:ProfileID", "cbc:InvoiceTypeCode", "cbc:ID", "cbc:UUID", "cbc:IssueTime")
        }
        assert fields == {
            "cbc:ProfileID": document.profile_id,
            "cbc:InvoiceTypeCode": document.document_type,
            "cbc:ID": document.number,
            "cbc:UUID": document.uuid,
            "cbc:IssueTime": document.issue_time.isoformat() if document.issue_time else None,
        }
        kdv = root.findtext(
            "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cac:TaxScheme/cbc:Name", namespaces=peppol_rules.NS
        )
        assert kdv == "KDV"


def test_every_rule_module_names_the_rules_it_was_asked_to_state() -> None:
    asked = {
        f"PEPPOL-EN16931-R{n:03d}"
        for n in (1, 2, 3, 4, 5, 7, 8, 10, 20, 40, 41, 42, 43, 44, 46, 53, 54, 55, 61, 80, 101, 110, 111, 120, 121, 130)
    }
    asked |= {f"PEPPOL-COMMON-R{n:03d}" for n in (40, 41, 42, 43)}
    assert asked <= set(peppol_rules.RULES)
    assert {
        "UBLVersionIDCheck",
        "CustomizationIDCheck",
        "ProfileIDCheck",
        "InvoiceIDCheck",
        "UUIDCheck",
        "InvoiceTypeCodeCheck",
        "PartyIdentificationTCKNVKNCheck",
        "TaxTypeCheck",
    } <= set(ubl_tr_rules.RULES)
