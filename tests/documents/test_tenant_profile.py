"""The tenant's profile and logo over /api/v1/tenant: round trip, merge patch, and bad input
refused with a 422 naming the field while nothing is stored (issue 11, acceptance 5)."""

import hashlib
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.auth.scopes import INVOICES_READ, INVOICES_WRITE
from invoicing.tenants.logo import MAX_LOGO_BYTES
from tests.conftest import Tenant, new_tenant

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
JPEG = b"\xff\xd8\xff\xe0" + bytes(64)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'

PROFILE = {
    "legal_name": "Muster GmbH",
    "postal_address": {
        "line1": "Hauptstr. 1",
        "line2": None,
        "city": "Berlin",
        "postal_code": "10115",
        "subdivision": "DE-BE",
        "country_code": "DE",
    },
    "tax_number": "DE 136 695 976",
    "registration_id": "HRB 12345",
    "email": "billing@muster.example",
    "phone": "+49 30 123456",
    "website": "https://muster.example",
    "bank_accounts": [{"iban": "de89 3704 0044 0532 0130 00", "bic": "deutdeff", "bank_name": "Deutsche Bank"}],
    "payment_terms_days": 14,
    "footer": "Geschäftsführer: Erika Muster",
    "locale": "de-DE",
    "electronic_address": {"scheme": "9930", "id": "DE136695976"},
    "paper_size": "A4",
}


async def profile_of(tenant: Tenant) -> dict[str, Any]:
    response = await tenant.get("/tenant")
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


async def put_logo(tenant: Tenant, data: bytes, content_type: str) -> httpx.Response:
    return await tenant.request("PUT", "/tenant/logo", content=data, headers={"Content-Type": content_type})


async def test_a_new_tenant_has_an_empty_profile_but_the_tax_number_it_was_created_with(tenant: Tenant) -> None:
    profile = await profile_of(tenant)
    assert profile["tax_number"] == "1234567890"
    assert profile["logo"] is None
    assert {key for key, value in profile.items() if value is not None} == {"tax_number"}


async def test_the_profile_round_trips_with_numbers_in_their_compact_form(tenant: Tenant) -> None:
    response = await tenant.patch("/tenant", json=PROFILE)
    assert response.status_code == 200, response.text
    expected = {
        **PROFILE,
        "tax_number": "DE136695976",
        "bank_accounts": [{"iban": "DE89370400440532013000", "bic": "DEUTDEFF", "bank_name": "Deutsche Bank"}],
        "locale": "de_DE",
        "logo": None,
    }
    assert response.json()["data"] == expected
    assert await profile_of(tenant) == expected


async def test_a_merge_patch_changes_what_it_sends_clears_nulls_and_keeps_the_rest(tenant: Tenant) -> None:
    assert (await tenant.patch("/tenant", json=PROFILE)).status_code == 200
    patch = {"postal_address": {"city": "Potsdam", "subdivision": "DE-BB"}, "phone": None, "footer": "Danke"}
    response = await tenant.patch("/tenant", json=patch)
    assert response.status_code == 200, response.text
    profile = response.json()["data"]
    assert profile["postal_address"] == {**PROFILE["postal_address"], "city": "Potsdam", "subdivision": "DE-BB"}
    assert profile["phone"] is None
    assert profile["footer"] == "Danke"
    assert profile["legal_name"] == "Muster GmbH"
    assert profile["bank_accounts"][0]["iban"] == "DE89370400440532013000"
    cleared = await tenant.patch("/tenant", json={"postal_address": None, "bank_accounts": None})
    assert cleared.json()["data"]["postal_address"] is None
    assert cleared.json()["data"]["bank_accounts"] is None


async def test_a_subdivision_is_free_text_unless_it_looks_like_an_iso_code(tenant: Tenant) -> None:
    free = await tenant.patch("/tenant", json={"postal_address": {"country_code": "TR", "subdivision": "Marmara"}})
    assert free.status_code == 200, free.text
    wrong_country = await tenant.patch("/tenant", json={"postal_address": {"subdivision": "DE-BY"}})
    assert wrong_country.status_code == 422
    assert set(wrong_country.json()["errors"]) == {"postal_address.subdivision"}
    iso = await tenant.patch("/tenant", json={"postal_address": {"subdivision": "TR-34"}})
    assert iso.status_code == 200, iso.text


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"bank_accounts": [{"iban": "DE89 3704 0044 0532 0130 01"}]}, "bank_accounts[0].iban"),
        ({"bank_accounts": [{"iban": "DE89370400440532013000", "bic": "DEUTXXFF"}]}, "bank_accounts[0].bic"),
        ({"postal_address": {"country_code": "DE"}, "tax_number": "DE123456789"}, "tax_number"),
        ({"postal_address": {"country_code": "TR"}, "tax_number": "1234567891"}, "tax_number"),
        ({"postal_address": {"country_code": "ZZ"}}, "postal_address.country_code"),
        ({"locale": "xx-YY"}, "locale"),
        ({"locale": "not a locale"}, "locale"),
        ({"electronic_address": {"scheme": "1234", "id": "x"}}, "electronic_address.scheme"),
        ({"payment_terms_days": 366}, "payment_terms_days"),
        ({"footer": "x" * 2001}, "footer"),
        ({"email": "not-an-address"}, "email"),
        ({"website": "javascript:alert(1)"}, "website"),
        ({"paper_size": "A3"}, "paper_size"),
        ({"legal_name": " "}, "legal_name"),
        ({"name": "Renamed"}, "name"),
    ],
)
async def test_bad_profile_input_is_refused_naming_the_field_and_nothing_is_stored(
    tenant: Tenant, patch: dict[str, Any], field: str
) -> None:
    assert (await tenant.patch("/tenant", json=PROFILE)).status_code == 200
    before = await profile_of(tenant)
    response = await tenant.patch("/tenant", json={"legal_name": "Changed GmbH", **patch})
    assert response.status_code == 422, response.text
    assert field in response.json()["errors"], response.json()
    assert await profile_of(tenant) == before


async def test_writing_the_profile_needs_the_tenant_manage_scope_and_reading_it_does_not(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    reader = await new_tenant(engine, client, scopes=(INVOICES_READ, INVOICES_WRITE))
    assert (await reader.get("/tenant")).status_code == 200
    refused = await reader.patch("/tenant", json={"legal_name": "Nope"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "insufficient_scope"
    assert (await put_logo(reader, PNG, "image/png")).status_code == 403
    assert (await profile_of(reader))["legal_name"] is None


@pytest.mark.parametrize(("data", "media_type"), [(PNG, "image/png"), (JPEG, "image/jpeg"), (SVG, "image/svg+xml")])
async def test_a_logo_is_stored_by_its_digest_and_read_back_byte_for_byte(
    tenant: Tenant, data: bytes, media_type: str
) -> None:
    response = await put_logo(tenant, data, media_type)
    assert response.status_code == 200, response.text
    described = {"media_type": media_type, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    assert response.json()["data"]["logo"] == described
    image = await tenant.get("/tenant/logo")
    assert image.status_code == 200
    assert image.content == data
    assert image.headers["content-type"] == media_type
    assert image.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in image.headers["content-security-policy"]


async def test_a_deleted_logo_is_gone_and_deleting_again_changes_nothing(tenant: Tenant) -> None:
    assert (await put_logo(tenant, PNG, "image/png")).status_code == 200
    deleted = await tenant.request("DELETE", "/tenant/logo")
    assert deleted.status_code == 200
    assert deleted.json()["data"]["logo"] is None
    missing = await tenant.get("/tenant/logo")
    assert missing.status_code == 404
    assert missing.json()["code"] == "logo_not_found"
    assert (await tenant.request("DELETE", "/tenant/logo")).status_code == 200


SCRIPTED_SVGS = [
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">'
    b'<image x:href="https://tracker.example/p.png"/></svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"><rect/></a></svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill: url(https://x.example/a)"/></svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg"><style>@import "https://x.example/a.css";</style></svg>',
    b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><div>hi</div></foreignObject></svg>',
    b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>',
    b'<?xml-stylesheet href="https://x.example/a.css"?><svg xmlns="http://www.w3.org/2000/svg"/>',
    b"<html><body>not svg</body></html>",
    b'<svg xmlns="http://www.w3.org/2000/svg"><rect></svg>',
]


@pytest.mark.parametrize("svg", SCRIPTED_SVGS)
async def test_an_svg_that_could_run_or_fetch_anything_is_refused(tenant: Tenant, svg: bytes) -> None:
    response = await put_logo(tenant, svg, "image/svg+xml")
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_logo"
    assert set(response.json()["errors"]) == {"logo"}
    assert (await profile_of(tenant))["logo"] is None


@pytest.mark.parametrize(
    ("data", "content_type", "field", "code"),
    [
        (PNG + bytes(MAX_LOGO_BYTES), "image/png", "logo", "logo_too_large"),
        (b"GIF89a" + bytes(32), "image/gif", "logo", "invalid_logo"),
        (b"%PDF-1.7\n", "application/pdf", "logo", "invalid_logo"),
        (b"", "image/png", "logo", "invalid_logo"),
        (PNG, "image/jpeg", "Content-Type", "invalid_logo"),
    ],
)
async def test_a_logo_too_large_not_an_image_or_mislabelled_is_refused_and_the_old_one_stays(
    tenant: Tenant, data: bytes, content_type: str, field: str, code: str
) -> None:
    assert (await put_logo(tenant, SVG, "image/svg+xml")).status_code == 200
    before = await profile_of(tenant)
    response = await put_logo(tenant, data, content_type)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code
    assert set(response.json()["errors"]) == {field}
    assert await profile_of(tenant) == before
    assert (await tenant.get("/tenant/logo")).content == SVG


async def test_a_logo_of_exactly_one_mebibyte_is_accepted(tenant: Tenant) -> None:
    data = PNG + bytes(MAX_LOGO_BYTES - len(PNG))
    response = await put_logo(tenant, data, "image/png")
    assert response.status_code == 200, response.text
    assert response.json()["data"]["logo"]["size"] == MAX_LOGO_BYTES
