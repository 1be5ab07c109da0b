"""The InvoiceDocument snapshot: what an issued invoice froze, whatever changes later (acceptance 3,
the document half: every renderer reads this and nothing else)."""

import struct
import zlib
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.core.context import TenantContext
from invoicing.core.db import transaction
from invoicing.documents.model import InvoiceDocument, TaxCategory
from invoicing.documents.snapshot import load_document
from tests.conftest import Tenant
from tests.documents.test_tenant_profile import PROFILE, SVG, put_logo


def _png() -> bytes:
    """A real 1x1 PNG (the PDF decodes the logo; a header alone would not do)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


PNG = _png()


async def _document(engine: AsyncEngine, tenant: Tenant, invoice_id: int) -> InvoiceDocument:
    async with transaction(engine, write=False) as connection:
        return await load_document(TenantContext(connection, tenant.id, actor="test"), invoice_id)


async def _seller_and_customer(tenant: Tenant) -> dict[str, Any]:
    assert (await tenant.patch("/tenant", json=PROFILE)).status_code == 200
    assert (await put_logo(tenant, PNG, "image/png")).status_code == 200
    return await tenant.create_customer(
        company_name="Käufer AG",
        tax_number="DE 811 907 980",
        postal_address={"line1": "Marktplatz 5", "city": "München", "postal_code": "80331", "country_code": "DE"},
        locale="fr",
    )


async def _change_everything(tenant: Tenant, customer_id: int) -> None:
    changed = {"legal_name": "Renamed GmbH", "footer": "New footer", "bank_accounts": None, "locale": "tr"}
    assert (await tenant.patch("/tenant", json=changed)).status_code == 200
    assert (await put_logo(tenant, SVG, "image/svg+xml")).status_code == 200
    patch = {"company_name": "Renamed AG", "postal_address": {"city": "Köln"}, "locale": "de"}
    response = await tenant.patch(f"/customers/{customer_id}", json=patch)
    assert response.status_code == 200, response.text


async def test_an_issued_invoice_s_document_carries_what_it_froze(tenant: Tenant, engine: AsyncEngine) -> None:
    customer = await _seller_and_customer(tenant)
    lines = [
        {"name": "Consulting", "quantity": "2", "unit_price": "100.00", "vat_rate_percent": "19"},
        {"name": "Books", "quantity": "1", "unit_price": "30.00", "vat_rate_percent": "7", "discount_percent": "10"},
        {"name": "More consulting", "quantity": "1", "unit_price": "50.00", "vat_rate_percent": "19"},
    ]
    draft = await tenant.create_draft(customer_id=customer["id"], lines=lines, currency="EUR")
    issued = await tenant.issue(draft["id"])
    document = await _document(engine, tenant, issued["id"])
    assert document.number == issued["document_number"]
    assert document.seller.legal_name == "Muster GmbH"
    assert document.seller.postal_address.city == "Berlin"
    assert document.buyer.legal_name == "Käufer AG"
    assert document.buyer.postal_address.city == "München"
    assert document.locale == "fr"
    assert document.logo is not None
    assert document.logo.data == PNG
    assert document.bank_accounts[0].iban == "DE89370400440532013000"
    assert document.hosted_url == issued["hosted_url"]
    groups = [
        (group.category, group.rate_percent, group.taxable_amount, group.tax_amount) for group in document.tax_subtotals
    ]
    assert groups == [
        (TaxCategory.STANDARD, Decimal("19"), Decimal("250.00"), Decimal("47.50")),
        (TaxCategory.STANDARD, Decimal("7"), Decimal("27.00"), Decimal("1.89")),
    ]
    totals = document.totals
    assert str(totals.tax_inclusive) == issued["amount_payable"]
    assert totals.tax_exclusive + totals.tax_total == totals.tax_inclusive
    assert totals.due == totals.tax_inclusive - totals.paid


async def test_an_issued_document_does_not_change_when_profile_customer_and_logo_change(
    tenant: Tenant, engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    customer = await _seller_and_customer(tenant)
    issued = await tenant.issue((await tenant.create_draft(customer_id=customer["id"]))["id"])
    before = await _document(engine, tenant, issued["id"])
    path = urlsplit(issued["hosted_url"]).path
    page_before = (await client.get(path)).content
    await _change_everything(tenant, customer["id"])
    assert await _document(engine, tenant, issued["id"]) == before
    assert (await client.get(path)).content == page_before


async def test_a_draft_s_document_follows_the_current_profile_and_customer(tenant: Tenant, engine: AsyncEngine) -> None:
    customer = await _seller_and_customer(tenant)
    draft = await tenant.create_draft(customer_id=customer["id"])
    await _change_everything(tenant, customer["id"])
    document = await _document(engine, tenant, draft["id"])
    assert document.number is None
    assert document.hosted_url is None
    assert document.seller.legal_name == "Renamed GmbH"
    assert document.buyer.legal_name == "Renamed AG"
    assert document.locale == "de"
    assert document.logo is not None
    assert document.logo.media_type == "image/svg+xml"
