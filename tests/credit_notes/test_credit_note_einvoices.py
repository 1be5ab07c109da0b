"""Every generated credit note renders to UBL and CII that pass the same validators as invoices
(issue 12, acceptance 3): the UBL 2.1 CreditNote XSD and the Factur-X CII XSD, CEN's EN 16931
schematron for both, the Peppol BIS 3 rules when Peppol-flagged, and GIB's UBL-TR rules (an IADE
invoice citing the returned invoice) for Turkish sellers, with zero errors."""

from collections import Counter
from dataclasses import dataclass

import facturx
import pytest
from lxml import etree  # type: ignore[import-untyped]

from invoicing.documents.cii import render_cii
from invoicing.documents.einvoice import is_peppol, is_turkish, missing_for_einvoice
from invoicing.documents.model import InvoiceDocument
from invoicing.documents.ubl import render_ubl
from tests.credit_notes.credit_corpus import credit_note_corpus
from tests.documents import peppol_rules, ubl_tr_rules
from tests.documents.validators import (
    CII_SCHEMATRON,
    CII_XSD,
    SHIPPED,
    UBL_SCHEMATRON,
    UBL_XSD,
    Finding,
    schematron_findings,
    xsd_errors,
)

CREDIT_NOTE_XSD = SHIPPED / "ubl-2.1" / "maindoc" / "UBL-CreditNote-2.1.xsd"
# What an e-invoice refuses an invoice for when its amounts cannot be stated exactly in the
# format (3-decimal currencies, and Peppol's line slack in currencies without minor units): a
# credit note of such amounts gets the same refusal, not a rounded document.
PRECISION_GAPS = ("currency", "lines[")


@dataclass
class Checked:
    document: InvoiceDocument
    ubl: bytes
    cii: bytes
    xsd: list[str]
    findings: list[Finding]


@pytest.fixture(scope="module")
def generated() -> list[InvoiceDocument]:
    return credit_note_corpus()


@pytest.fixture(scope="module")
def checked(generated: list[InvoiceDocument]) -> list[Checked]:
    results = []
    for document in generated:
        if missing_for_einvoice(document):
            continue
        ubl, cii = render_ubl(document), render_cii(document)
        ubl_schema = UBL_XSD if is_turkish(document) else CREDIT_NOTE_XSD  # UBL-TR returns are Invoices
        xsd = xsd_errors(ubl, ubl_schema) + xsd_errors(cii, CII_XSD)
        findings = schematron_findings(cii, CII_SCHEMATRON)
        if not is_turkish(document):
            findings += schematron_findings(ubl, UBL_SCHEMATRON)
        results.append(Checked(document, ubl, cii, xsd, findings))
    return results


def test_the_corpus_is_at_least_200_varied_credit_notes(
    generated: list[InvoiceDocument], checked: list[Checked]
) -> None:
    documents = [c.document for c in checked]
    assert len(documents) >= 200
    assert {d.minor_units for d in documents} == {0, 2, 3}
    assert sum(any(line.amount_discount < 0 for line in d.lines) for d in documents) >= 3, "closing lines with residue"
    assert sum(any(line.name == "Goodwill" for line in d.lines) for d in documents) >= 20, "free lines"
    assert sum(is_peppol(d) and not is_turkish(d) for d in documents) >= 40
    assert sum(is_turkish(d) for d in documents) >= 40
    refused = [missing_for_einvoice(d) for d in generated if missing_for_einvoice(d)]
    assert all(gap.startswith(PRECISION_GAPS) for gaps in refused for gap in gaps), refused


def test_every_credit_note_passes_the_xsds(checked: list[Checked]) -> None:
    assert {c.document.number: c.xsd for c in checked if c.xsd} == {}


def test_factur_x_accepts_every_credit_note_cii(checked: list[Checked]) -> None:
    assert all(facturx.xml_check_xsd(c.cii, flavor="factur-x", level="en16931") for c in checked)


def test_every_credit_note_passes_the_en16931_schematron_with_zero_errors(checked: list[Checked]) -> None:
    errors = Counter(f.rule_id for c in checked for f in c.findings if f.is_error)
    warnings = Counter(f.rule_id for c in checked for f in c.findings if not f.is_error)
    print(f"credit notes, EN 16931 schematron: {sum(errors.values())} errors, {sum(warnings.values())} warnings")
    assert errors == Counter()


def test_peppol_credit_notes_pass_the_peppol_bis_3_rules(checked: list[Checked]) -> None:
    violations = {
        (c.document.number, rule_id): found
        for c in checked
        if is_peppol(c.document) and not is_turkish(c.document)
        for rule_id, rule in peppol_rules.RULES.items()
        if (found := rule(etree.fromstring(c.ubl)))
    }
    assert violations == {}


def test_turkish_credit_notes_are_iade_invoices_passing_gibs_rules(checked: list[Checked]) -> None:
    turkish = [c for c in checked if is_turkish(c.document)]
    violations = {
        (c.document.number, rule_id): found
        for c in turkish
        for rule_id, rule in ubl_tr_rules.RULES.items()
        if (found := rule(etree.fromstring(c.ubl)))
    }
    assert violations == {}
    for c in turkish:
        root = etree.fromstring(c.ubl)
        assert root.findtext("cbc:InvoiceTypeCode", namespaces=peppol_rules.NS) == "IADE"
        assert root.findtext("cbc:ProfileID", namespaces=peppol_rules.NS) in ("TEMELFATURA", "EARSIVFATURA")


def test_every_credit_note_cites_the_invoice_it_corrects(checked: list[Checked]) -> None:
    cac = "{urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2}"
    for c in checked:
        reference = c.document.billing_reference
        assert reference is not None
        ubl = etree.fromstring(c.ubl)
        cited = ubl.find(f"{cac}BillingReference/{cac}InvoiceDocumentReference")
        assert cited is not None
        assert cited.findtext("cbc:ID", namespaces=peppol_rules.NS) == reference.number
        assert cited.findtext("cbc:IssueDate", namespaces=peppol_rules.NS) == reference.issue_date.isoformat()
        cii = etree.fromstring(c.cii)
        ram = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
        assert cii.findtext(f".//{{{ram}}}InvoiceReferencedDocument/{{{ram}}}IssuerAssignedID") == reference.number
        assert cii.findtext(f".//{{{ram}}}TypeCode") == "381"
        if not is_turkish(c.document):
            assert ubl.tag.endswith("}CreditNote")
            assert ubl.findtext("cbc:CreditNoteTypeCode", namespaces=peppol_rules.NS) == "381"
