"""GET /api/v1/invoices/{id}/cii and /ubl, and the hosted page's UBL download (acceptance 3, the
bytes half for the e-invoices): safe, refusing drafts and incomplete invoices, byte-stable."""

import io
from typing import Any
from urllib.parse import urlsplit

import httpx
from pypdf import PdfReader
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import Tenant, rows_of
from tests.documents.test_snapshot import _change_everything, _seller_and_customer

FORMATS = ("cii", "ubl")  # the PDF has tests of its own below


async def complete_invoice(tenant: Tenant) -> tuple[dict[str, Any], dict[str, Any]]:
    customer = await _seller_and_customer(tenant)
    draft = await tenant.create_draft(customer_id=customer["id"], currency="EUR", due_date="2099-01-31")
    return await tenant.issue(draft["id"]), customer


async def test_a_draft_has_no_e_invoice(tenant: Tenant) -> None:
    draft = await tenant.create_draft()
    for kind in FORMATS:
        response = await tenant.get(f"/invoices/{draft['id']}/{kind}")
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "invoice_not_issued"


async def test_an_incomplete_invoice_is_refused_naming_what_it_lacks(tenant: Tenant) -> None:
    issued = await tenant.issue((await tenant.create_draft())["id"])  # the tenant has no address
    for kind in FORMATS:
        response = await tenant.get(f"/invoices/{issued['id']}/{kind}")
        assert response.status_code == 422, response.text
        body = response.json()
        assert body["code"] == "einvoice_incomplete"
        assert "seller.postal_address.country_code" in body["errors"]


async def test_the_e_invoices_are_xml_named_by_the_number_and_change_nothing(
    tenant: Tenant, engine: AsyncEngine
) -> None:
    issued, _ = await complete_invoice(tenant)
    before = await rows_of(engine, tenant.id)
    for kind, filename in (
        ("cii", f"{issued['document_number']}-cii.xml"),
        ("ubl", f"{issued['document_number']}.xml"),
    ):
        response = await tenant.get(f"/invoices/{issued['id']}/{kind}")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/xml"
        assert response.headers["content-disposition"] == f'attachment; filename="{filename}"'
        assert response.content.startswith(b"<?xml")
        assert issued["document_number"].encode() in response.content
        unchanged = await tenant.get(
            f"/invoices/{issued['id']}/{kind}", headers={"If-None-Match": response.headers["etag"]}
        )
        assert unchanged.status_code == 304
        assert unchanged.content == b""
    assert await rows_of(engine, tenant.id) == before


async def test_the_e_invoices_stay_byte_identical_after_profile_customer_and_logo_change(tenant: Tenant) -> None:
    issued, customer = await complete_invoice(tenant)
    before = {kind: (await tenant.get(f"/invoices/{issued['id']}/{kind}")).content for kind in FORMATS}
    await _change_everything(tenant, customer["id"])
    after = {kind: (await tenant.get(f"/invoices/{issued['id']}/{kind}")).content for kind in FORMATS}
    assert after == before


async def test_the_hosted_page_offers_the_same_ubl_without_credentials(
    tenant: Tenant, client: httpx.AsyncClient
) -> None:
    issued, _ = await complete_invoice(tenant)
    path = urlsplit(issued["hosted_url"]).path
    page = await client.get(path)
    assert f'href="{path.removeprefix("/i/")}/ubl"' in page.text
    download = await client.get(f"{path}/ubl")
    assert download.status_code == 200
    assert download.headers["cache-control"] == "private, no-store"
    assert download.content == (await tenant.get(f"/invoices/{issued['id']}/ubl")).content
    assert (await client.get("/i/" + "r" * 43 + "/ubl")).content == (await client.get("/i/" + "r" * 43)).content


async def test_an_invoice_without_a_valid_e_invoice_offers_no_ubl_on_its_page(
    tenant: Tenant, client: httpx.AsyncClient
) -> None:
    issued = await tenant.issue((await tenant.create_draft())["id"])
    path = urlsplit(issued["hosted_url"]).path
    assert "/ubl" not in (await client.get(path)).text
    assert (await client.get(f"{path}/ubl")).status_code == 404


async def test_another_tenant_s_invoice_has_no_documents_here(tenant: Tenant, other_tenant: Tenant) -> None:
    theirs = await other_tenant.issue((await other_tenant.create_draft())["id"])
    for kind in FORMATS:
        assert (await tenant.get(f"/invoices/{theirs['id']}/{kind}")).status_code == 404


def _embedded_xml(pdf: bytes) -> bytes:
    (embedded,) = PdfReader(io.BytesIO(pdf)).attachments["factur-x.xml"]
    return embedded


async def test_the_pdf_embeds_exactly_the_cii_and_changes_nothing(tenant: Tenant, engine: AsyncEngine) -> None:
    issued, _ = await complete_invoice(tenant)
    before = await rows_of(engine, tenant.id)
    response = await tenant.get(f"/invoices/{issued['id']}/pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'attachment; filename="{issued["document_number"]}.pdf"'
    assert _embedded_xml(response.content) == (await tenant.get(f"/invoices/{issued['id']}/cii")).content
    assert await rows_of(engine, tenant.id) == before
    assert (await tenant.get(f"/invoices/{issued['id']}")).json()["data"]["is_printed"] is False


async def test_the_pdf_stays_byte_identical_after_profile_customer_and_logo_change(
    tenant: Tenant, client: httpx.AsyncClient
) -> None:
    issued, customer = await complete_invoice(tenant)
    before = (await tenant.get(f"/invoices/{issued['id']}/pdf")).content
    await _change_everything(tenant, customer["id"])
    after = (await tenant.get(f"/invoices/{issued['id']}/pdf")).content
    # Every byte, metadata dates included: they are the invoice's, not the render's.
    assert after == before
    assert _embedded_xml(after) == (await tenant.get(f"/invoices/{issued['id']}/cii")).content
    hosted = await client.get(urlsplit(issued["hosted_url"]).path + "/pdf")
    assert hosted.status_code == 200
    assert hosted.headers["cache-control"] == "private, no-store"
    assert hosted.content == before


async def test_a_draft_and_an_incomplete_invoice_still_get_a_plain_pdf(tenant: Tenant) -> None:
    draft = await tenant.create_draft()
    response = await tenant.get(f"/invoices/{draft['id']}/pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == f'attachment; filename="draft-{draft["public_id"]}.pdf"'
    assert "factur-x.xml" not in PdfReader(io.BytesIO(response.content)).attachments
    issued = await tenant.issue(draft["id"])
    plain = await tenant.get(f"/invoices/{issued['id']}/pdf")
    assert plain.status_code == 200
    assert "factur-x.xml" not in PdfReader(io.BytesIO(plain.content)).attachments
