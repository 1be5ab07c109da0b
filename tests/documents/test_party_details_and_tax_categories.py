"""Customers' structured details, lines' tax categories, and what issuing freezes (issue 11):
an issued invoice keeps its seller, buyer, logo and locale whatever changes later (acceptance 3,
its data half; the documents' bytes are tested where they are rendered)."""

import json
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.core.db import transaction
from invoicing.invoices.tables import invoices
from invoicing.tenants.profile import logo
from tests.conftest import Tenant
from tests.documents.test_tenant_profile import PNG, PROFILE, SVG, put_logo

ADDRESS = {
    "line1": "Rue de Rivoli 1",
    "line2": None,
    "city": "Paris",
    "postal_code": "75001",
    "subdivision": None,
    "country_code": "FR",
}
LINE = {"name": "Work", "quantity": "2", "unit_price": "50.00", "vat_rate_percent": "20"}


async def frozen(engine: AsyncEngine, invoice_id: int) -> dict[str, Any]:
    async with transaction(engine, write=False) as connection:
        row = (await connection.execute(select(invoices).where(invoices.c.id == invoice_id))).mappings().one()
    return {
        "seller": json.loads(row["seller"]) if row["seller"] else None,
        "buyer": json.loads(row["buyer"]) if row["buyer"] else None,
        "locale": row["locale"],
    }


# -- customers ---------------------------------------------------------------------------------


async def test_a_customer_keeps_its_address_electronic_address_and_locale(tenant: Tenant) -> None:
    customer = await tenant.create_customer(
        company_name="Client SARL",
        postal_address=ADDRESS,
        tax_number="FR 40 303 265 045",
        electronic_address={"scheme": "0009", "id": "30326504500011"},
        locale="fr",
    )
    assert customer["postal_address"] == ADDRESS
    assert customer["tax_number"] == "FR40303265045"
    assert customer["electronic_address"] == {"scheme": "0009", "id": "30326504500011"}
    assert customer["locale"] == "fr"
    assert customer["address"] is None  # the seed's free-text address stays its own field
    again = await tenant.get(f"/customers/{customer['id']}")
    assert again.json()["data"] == customer


async def test_a_customer_without_details_shows_them_as_null(tenant: Tenant) -> None:
    customer = await tenant.create_customer()
    assert (customer["postal_address"], customer["electronic_address"], customer["locale"]) == (None, None, None)


async def test_updating_a_customer_changes_only_the_details_sent(tenant: Tenant) -> None:
    customer = await tenant.create_customer(postal_address=ADDRESS, locale="fr")
    response = await tenant.patch(f"/customers/{customer['id']}", json={"locale": "de-AT"})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["locale"] == "de_AT"
    assert response.json()["data"]["postal_address"] == ADDRESS


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"postal_address": {"country_code": "FR"}, "tax_number": "FR00000000000"}, "tax_number"),
        ({"postal_address": {"country_code": "XX"}}, "postal_address.country_code"),
        ({"locale": "zz"}, "locale"),
        ({"electronic_address": {"scheme": "99999", "id": "1"}}, "electronic_address.scheme"),
    ],
)
async def test_bad_customer_details_are_refused_naming_the_field(
    tenant: Tenant, fields: dict[str, Any], field: str
) -> None:
    customer = await tenant.create_customer()
    created = await tenant.post("/customers", json={"first_name": "Bad", **fields})
    assert created.status_code == 422, created.text
    assert field in created.json()["errors"]
    updated = await tenant.patch(f"/customers/{customer['id']}", json=fields)
    assert updated.status_code == 422, updated.text
    assert field in updated.json()["errors"]
    assert (await tenant.get(f"/customers/{customer['id']}")).json()["data"] == customer


async def test_a_customers_tax_number_without_a_country_stays_free_text(tenant: Tenant) -> None:
    customer = await tenant.create_customer(tax_number="anything 123")
    assert customer["tax_number"] == "anything 123"


# -- lines -------------------------------------------------------------------------------------


async def test_lines_default_to_s_above_zero_and_z_at_zero_with_unit_c62(tenant: Tenant) -> None:
    draft = await tenant.create_draft(lines=[LINE, {**LINE, "vat_rate_percent": "0"}])
    assert [(line["tax_category"], line["unit_code"]) for line in draft["lines"]] == [("S", "C62"), ("Z", "C62")]
    assert [line["tax_exemption_reason_code"] for line in draft["lines"]] == [None, None]


async def test_exempt_and_reverse_charge_lines_keep_their_reason_and_unit(tenant: Tenant) -> None:
    lines = [
        {**LINE, "vat_rate_percent": "0", "tax_category": "E", "tax_exemption_reason": "Art. 132 (1)(i)"},
        {**LINE, "vat_rate_percent": "0", "tax_category": "AE", "tax_exemption_reason_code": "VATEX-EU-AE"},
        {**LINE, "tax_category": "S", "unit_code": "HUR"},
    ]
    draft = await tenant.create_draft(lines=lines)
    shown = [
        (line["tax_category"], line["tax_exemption_reason_code"], line["tax_exemption_reason"], line["unit_code"])
        for line in draft["lines"]
    ]
    assert shown == [
        ("E", None, "Art. 132 (1)(i)", "C62"),
        ("AE", "VATEX-EU-AE", None, "C62"),
        ("S", None, None, "HUR"),
    ]
    # An update that sends no lines keeps them as they are.
    updated = await tenant.patch(f"/invoices/{draft['id']}", json={"notes": "kept"})
    assert [{**line, "id": None} for line in updated.json()["data"]["lines"]] == [
        {**line, "id": None} for line in draft["lines"]
    ]


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"vat_rate_percent": "0", "tax_category": "S"}, "vat_rate_percent"),
        ({"tax_category": "Z"}, "vat_rate_percent"),
        ({"tax_category": "E", "tax_exemption_reason": "exempt"}, "vat_rate_percent"),
        ({"vat_rate_percent": "0", "tax_category": "E"}, "tax_exemption_reason"),
        ({"vat_rate_percent": "0", "tax_category": "K"}, "tax_exemption_reason"),
        ({"vat_rate_percent": "0", "tax_category": "G"}, "tax_exemption_reason"),
        ({"vat_rate_percent": "0", "tax_category": "O"}, "tax_exemption_reason"),
        ({"vat_rate_percent": "0", "tax_category": "AE"}, "tax_exemption_reason"),
        ({"tax_exemption_reason": "why"}, "tax_exemption_reason"),
        ({"vat_rate_percent": "0", "tax_exemption_reason_code": "VATEX-EU-O"}, "tax_exemption_reason"),
        ({"vat_rate_percent": "0", "tax_category": "E", "tax_exemption_reason_code": "VATEX-XX"}, None),
        ({"unit_code": "ZZZ"}, "unit_code"),
        ({"tax_category": "X"}, "tax_category"),
    ],
)
async def test_a_line_whose_category_rate_and_reason_disagree_is_refused_naming_it(
    tenant: Tenant, line: dict[str, Any], field: str | None
) -> None:
    customer = await tenant.create_customer()
    response = await tenant.post("/invoices", json={"customer_id": customer["id"], "lines": [LINE, {**LINE, **line}]})
    assert response.status_code == 422, response.text
    expected = f"lines[1].{field or 'tax_exemption_reason_code'}"
    assert expected in response.json()["errors"], response.json()
    listed = await tenant.get("/invoices")
    assert all(invoice["customer"]["id"] != customer["id"] for invoice in listed.json()["data"] if invoice["customer"])


async def test_a_draft_keeps_its_delivery_date_and_every_invoice_has_a_uuid(tenant: Tenant) -> None:
    draft = await tenant.create_draft(issue_date="2026-03-01", delivery_date="2026-02-20")
    assert draft["delivery_date"] == "2026-02-20"
    assert len(draft["uuid"]) == 36
    assert draft["locale"] is None  # frozen at issue
    updated = await tenant.patch(f"/invoices/{draft['id']}", json={"delivery_date": None})
    assert updated.json()["data"]["delivery_date"] is None
    assert updated.json()["data"]["uuid"] == draft["uuid"]


# -- freezing at issue -------------------------------------------------------------------------


async def test_issuing_freezes_the_seller_buyer_and_locale(engine: AsyncEngine, tenant: Tenant) -> None:
    assert (await tenant.patch("/tenant", json={**PROFILE, "locale": "de"})).status_code == 200
    assert (await put_logo(tenant, PNG, "image/png")).status_code == 200
    customer = await tenant.create_customer(
        company_name="Client SARL", postal_address=ADDRESS, email="ap@client.example", locale="fr"
    )
    issued = await tenant.issue((await tenant.create_draft(customer_id=customer["id"]))["id"])
    assert issued["locale"] == "fr"
    snapshot = await frozen(engine, issued["id"])
    profile = (await tenant.get("/tenant")).json()["data"]
    assert snapshot["seller"] == {
        **{key: value for key, value in profile.items() if key != "logo"},
        "logo_sha256": profile["logo"]["sha256"],
    }
    assert snapshot["buyer"] == {
        "legal_name": "Client SARL",
        "postal_address": ADDRESS,
        "tax_number": None,
        "registration_id": None,
        "email": "ap@client.example",
        "phone": None,
        "electronic_address": None,
    }


async def test_the_locale_falls_back_to_the_tenants_then_english_and_the_name_to_the_tenants(
    engine: AsyncEngine, tenant: Tenant
) -> None:
    first = await tenant.issue((await tenant.create_draft())["id"])
    assert first["locale"] == "en"
    snapshot = await frozen(engine, first["id"])
    assert snapshot["seller"]["legal_name"] == "Tenant A"
    assert snapshot["seller"]["logo_sha256"] is None
    assert (await tenant.patch("/tenant", json={"locale": "tr"})).status_code == 200
    second = await tenant.issue((await tenant.create_draft())["id"])
    assert second["locale"] == "tr"


async def test_an_issued_invoice_keeps_its_seller_buyer_and_logo_after_they_change(
    engine: AsyncEngine, tenant: Tenant
) -> None:
    assert (await tenant.patch("/tenant", json=PROFILE)).status_code == 200
    assert (await put_logo(tenant, PNG, "image/png")).status_code == 200
    customer = await tenant.create_customer(company_name="Client SARL", postal_address=ADDRESS, locale="fr")
    issued = await tenant.issue((await tenant.create_draft(customer_id=customer["id"]))["id"])
    before = await frozen(engine, issued["id"])

    changed = {"legal_name": "Renamed AG", "postal_address": {"city": "Hamburg", "subdivision": "DE-HH"}}
    assert (await tenant.patch("/tenant", json=changed)).status_code == 200
    assert (await put_logo(tenant, SVG, "image/svg+xml")).status_code == 200
    assert (await tenant.request("DELETE", "/tenant/logo")).status_code == 200
    customer_change = {"company_name": "Other SARL", "postal_address": {**ADDRESS, "city": "Lyon"}, "locale": "de"}
    assert (await tenant.patch(f"/customers/{customer['id']}", json=customer_change)).status_code == 200

    assert await frozen(engine, issued["id"]) == before
    shown = (await tenant.get(f"/invoices/{issued['id']}")).json()["data"]
    assert (shown["locale"], shown["receiver_name"]) == ("fr", "Client SARL")
    # The logo it was issued with is still there to render, though the tenant has none now.
    async with transaction(engine, write=False) as connection:
        kept = await logo(connection, tenant_id=tenant.id, sha256=before["seller"]["logo_sha256"])
    assert kept == ("image/png", PNG)
    async with transaction(engine, write=False) as connection:
        replaced = await logo(connection, tenant_id=tenant.id, sha256="0" * 64)
    assert replaced is None


async def test_a_logo_no_invoice_froze_is_deleted_with_it(engine: AsyncEngine, tenant: Tenant) -> None:
    described = (await put_logo(tenant, SVG, "image/svg+xml")).json()["data"]["logo"]
    assert (await tenant.request("DELETE", "/tenant/logo")).status_code == 200
    async with transaction(engine, write=False) as connection:
        assert await logo(connection, tenant_id=tenant.id, sha256=described["sha256"]) is None
