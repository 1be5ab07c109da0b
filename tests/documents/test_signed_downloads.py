"""FlowPayroll's `attachments[]`: an issued invoice's PDF behind a signed link that expires
15 minutes after the read, downloadable without credentials (documents.downloads)."""

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from invoicing.config import Settings
from invoicing.core import clock
from invoicing.documents.downloads import signing
from tests.conftest import Tenant
from tests.documents.test_document_endpoints import _embedded_xml, complete_invoice
from tests.documents.test_pdf import pdf_text
from tests.flowpayroll_support import FlowPayroll, billed

NOW = datetime(2026, 12, 2, 18, 0, 0, 250_000, tzinfo=UTC)
SIGNATURE = re.compile(r"/downloads/invoices/(\d+)\.(\d+)\.(\d+)\.([A-Za-z0-9_-]{43})$")


@pytest.fixture
def set_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Moves the service's clock (core.clock) for every caller."""

    def move(to: datetime) -> None:
        monkeypatch.setattr(clock, "utc_now", lambda: to)

    return move


async def _attachment(tenant: Tenant, client_id: str, invoice_public_id: str) -> dict[str, Any]:
    response = await FlowPayroll.of(tenant).get_invoice(client_id, invoice_public_id)
    assert response.status_code == 200, response.text
    (attachment,) = response.json()["content"]["data"]["attachments"]
    return dict(attachment)


async def _issued_with_link(tenant: Tenant) -> tuple[dict[str, Any], str]:
    """A complete (Factur-X) issued invoice and the path of its signed PDF link."""
    issued, customer = await complete_invoice(tenant)
    attachment = await _attachment(tenant, customer["public_id"], issued["public_id"])
    return issued, urlsplit(attachment["downloadUrl"]).path


async def test_an_issued_invoice_lists_its_pdf_with_a_link_expiring_in_15_minutes(
    tenant: Tenant, set_clock: Callable[[datetime], None]
) -> None:
    set_clock(NOW)
    invoice = await billed(tenant)
    attachment = await _attachment(tenant, invoice.client_id, invoice.public_id)
    assert attachment["id"] == f"{invoice.public_id}-pdf"
    assert attachment["fileName"] == f"{invoice.number}.pdf"
    assert attachment["contentType"] == "application/pdf"
    assert attachment["downloadUrlExpiresAt"] == "2026-12-02T18:15:00.000Z"
    assert attachment["url"] == attachment["downloadUrl"]
    assert SIGNATURE.search(attachment["downloadUrl"]), attachment["downloadUrl"]
    assert attachment["downloadUrl"].startswith("http")
    assert attachment["fileSize"] is None  # rendering to measure costs too much per read
    assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$", attachment["uploadedDate"])


async def test_a_draft_has_no_attachment_and_a_list_page_carries_the_same_link_as_the_read(
    tenant: Tenant, set_clock: Callable[[datetime], None]
) -> None:
    set_clock(NOW)
    customer = await tenant.create_customer()
    draft = await billed(tenant, issue=False, customer=customer)
    issued = await billed(tenant, customer=customer)
    body = (await FlowPayroll.of(tenant).get_invoice(draft.client_id, draft.public_id)).json()
    assert body["content"]["data"]["attachments"] == []
    listed = (await FlowPayroll.of(tenant).client_invoices(customer["public_id"])).json()["content"]["data"]
    by_id = {invoice["id"]: invoice["attachments"] for invoice in listed}
    assert by_id[draft.public_id] == []
    assert by_id[issued.public_id] == [await _attachment(tenant, issued.client_id, issued.public_id)]


async def test_the_signed_link_downloads_the_bytes_the_api_answers_without_credentials(tenant: Tenant) -> None:
    issued, path = await _issued_with_link(tenant)
    api = await tenant.get(f"/invoices/{issued['id']}/pdf")
    assert api.status_code == 200, api.text
    downloaded = await tenant.client.get(path)  # no Authorization, no X-Tenant
    assert downloaded.status_code == 200, downloaded.text
    assert downloaded.headers["content-type"] == "application/pdf"
    assert downloaded.headers["cache-control"] == "private, no-store"
    assert downloaded.headers["content-disposition"] == f'attachment; filename="{issued["document_number"]}.pdf"'
    assert downloaded.content == api.content  # the same document, byte for byte
    assert issued["document_number"] in pdf_text(downloaded.content)
    cii = await tenant.get(f"/invoices/{issued['id']}/cii")
    assert _embedded_xml(downloaded.content) == cii.content


def _tampered(path: str) -> list[str]:
    found = SIGNATURE.search(path)
    assert found is not None
    tenant_id, invoice_id, expires, signature = found.groups()
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return [
        f"/downloads/invoices/{tenant_id}.{int(invoice_id) + 1}.{expires}.{signature}",  # another invoice
        f"/downloads/invoices/{int(tenant_id) + 1}.{invoice_id}.{expires}.{signature}",  # another tenant
        f"/downloads/invoices/{tenant_id}.{invoice_id}.{int(expires) + 3600}.{signature}",  # a longer life
        f"/downloads/invoices/{tenant_id}.{invoice_id}.{expires}.{flipped}",
        f"/downloads/invoices/{tenant_id}.{invoice_id}.{expires}",
        "/downloads/invoices/not-a-link",
    ]


async def test_a_tampered_or_made_up_link_is_403_and_its_body_names_nothing(tenant: Tenant) -> None:
    issued, path = await _issued_with_link(tenant)
    bodies = set()
    for tampered in _tampered(path):
        response = await tenant.client.get(tampered)
        assert response.status_code == 403, (tampered, response.text)
        body = response.json()
        assert body["code"] == "download_link_invalid"
        assert str(issued["id"]) not in body["detail"]
        assert issued["document_number"] not in response.text
        bodies.add((body["type"], body["title"], body["detail"]))
    assert len(bodies) == 1  # which part was wrong is not told


async def test_a_link_works_until_it_expires_then_answers_410(
    tenant: Tenant, set_clock: Callable[[datetime], None]
) -> None:
    set_clock(NOW)
    _, path = await _issued_with_link(tenant)
    set_clock(NOW + timedelta(minutes=14, seconds=59))
    assert (await tenant.client.get(path)).status_code == 200
    set_clock(NOW + timedelta(minutes=15))
    expired = await tenant.client.get(path)
    assert expired.status_code == 410, expired.text
    assert expired.json()["code"] == "download_link_expired"
    # Only a genuine link learns it expired: a forged one stays 403 after its claimed expiry.
    assert (await tenant.client.get(_tampered(path)[0])).status_code == 403


async def test_each_tenant_s_link_opens_its_own_invoice(tenant: Tenant, other_tenant: Tenant) -> None:
    _, my_path = await _issued_with_link(tenant)  # the seller is Muster GmbH
    theirs = await billed(other_tenant)
    their_link = (await _attachment(other_tenant, theirs.client_id, theirs.public_id))["downloadUrl"]
    assert "Muster GmbH" in pdf_text((await tenant.client.get(my_path)).content)
    assert "Muster GmbH" not in pdf_text((await other_tenant.client.get(urlsplit(their_link).path)).content)


def test_links_signed_with_a_configured_key_verify_under_it_and_fail_under_another(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(signing, "_key", signing._key)  # restored after the test
    signing.configure(Settings(download_signing_key="k" * 32))
    token = signing.token_of(signing.sign(7, 42, now=NOW))
    link = signing.verify(token, now=NOW)
    assert (link.tenant_id, link.invoice_id) == (7, 42)
    assert link.expires_at == datetime(2026, 12, 2, 18, 15, tzinfo=UTC)
    signing.configure(Settings(download_signing_key="j" * 32))  # another worker, another key
    with pytest.raises(signing.DownloadLinkInvalid):
        signing.verify(token, now=NOW)


def test_a_signing_key_shorter_than_32_characters_is_refused() -> None:
    with pytest.raises(ValueError, match="download_signing_key"):
        Settings(download_signing_key="short")
