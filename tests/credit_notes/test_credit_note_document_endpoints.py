"""A credit note's documents over HTTP: PDF (Factur-X with a type-381 CII), UBL CreditNote, CII."""

import io
from typing import Any

import facturx
from lxml import etree  # type: ignore[import-untyped]
from pypdf import PdfReader
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import Tenant, rows_of
from tests.documents.test_document_endpoints import complete_invoice
from tests.documents.validators import SHIPPED, ubl_errors, xsd_errors

CREDIT_NOTE_XSD = SHIPPED / "ubl-2.1" / "maindoc" / "UBL-CreditNote-2.1.xsd"
RAM = "{urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100}"


async def _credit_note(tenant: Tenant, *, issue: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    invoice, _ = await complete_invoice(tenant)
    body = {"lines": [{"invoice_line_id": invoice["lines"][0]["id"], "quantity": "1"}], "reason": "One returned"}
    response = await tenant.post(f"/invoices/{invoice['id']}/credit-notes", json={**body, "issue": issue})
    assert response.status_code == 201, response.text
    return response.json()["data"]["credit_note"], invoice


async def test_an_issued_credit_notes_ubl_is_a_valid_creditnote_citing_its_invoice(tenant: Tenant) -> None:
    note, invoice = await _credit_note(tenant, issue=True)
    response = await tenant.get(f"/credit-notes/{note['id']}/ubl")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    assert f'filename="{note["document_number"]}.xml"' in response.headers["content-disposition"]
    assert xsd_errors(response.content, CREDIT_NOTE_XSD) == []
    _, findings = ubl_errors(response.content)  # the Invoice XSD does not apply; the schematron does
    assert [finding for finding in findings if finding.is_error] == []
    root = etree.fromstring(response.content)
    ns = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}
    assert root.tag.endswith("}CreditNote")
    assert root.findtext("cbc:CreditNoteTypeCode", namespaces=ns) == "381"
    assert invoice["document_number"].encode() in response.content
    again = await tenant.get(f"/credit-notes/{note['id']}/ubl", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


async def test_the_pdf_is_factur_x_with_the_credit_notes_cii(tenant: Tenant, engine: AsyncEngine) -> None:
    note, invoice = await _credit_note(tenant, issue=True)
    before = await rows_of(engine, tenant.id)
    cii = await tenant.get(f"/credit-notes/{note['id']}/cii")
    assert cii.status_code == 200, cii.text
    root = etree.fromstring(cii.content)
    assert root.findtext(f".//{RAM}TypeCode") == "381"
    assert root.findtext(f".//{RAM}InvoiceReferencedDocument/{RAM}IssuerAssignedID") == invoice["document_number"]
    pdf = await tenant.get(f"/credit-notes/{note['id']}/pdf")
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    _, embedded = facturx.get_xml_from_pdf(pdf.content, check_xsd=False)
    assert embedded == cii.content
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Avoir" in text  # the customer reads French: the document speaks its language
    assert note["document_number"] in text
    assert invoice["document_number"] in text
    assert await rows_of(engine, tenant.id) == before, "documents are safe reads"


async def test_a_draft_credit_note_has_a_draft_pdf_and_no_e_invoice(tenant: Tenant) -> None:
    note, _ = await _credit_note(tenant, issue=False)
    for kind in ("ubl", "cii"):
        response = await tenant.get(f"/credit-notes/{note['id']}/{kind}")
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "credit_note_not_issued"
    pdf = await tenant.get(f"/credit-notes/{note['id']}/pdf")
    assert pdf.status_code == 200, pdf.text
    assert f'filename="draft-{note["public_id"]}.pdf"' in pdf.headers["content-disposition"]


async def test_another_tenants_credit_note_documents_are_not_found(tenant: Tenant, other_tenant: Tenant) -> None:
    note, _ = await _credit_note(other_tenant, issue=True)
    for kind in ("pdf", "ubl", "cii"):
        response = await tenant.get(f"/credit-notes/{note['id']}/{kind}")
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "credit_note_not_found"
