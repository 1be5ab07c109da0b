"""Settings pages: the profile and logo, series, API tokens, webhook endpoints and users, each
checked against the API that shares their services; only an owner changes anything."""

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.auth.tables import access_tokens
from invoicing.core.db import transaction
from invoicing.users.tables import users
from invoicing.webhooks import targets
from invoicing.webhooks.tables import webhook_endpoints
from tests.conftest import Tenant, rows_of
from tests.dashboard.support import PASSWORD, Person, client_for, sign_in, signed_in_person
from tests.webhooks.support import PUBLIC_URL, FakeResolver, add_attempt, add_delivery, add_message, deliveries_of

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
VALID_IBAN = "DE89 3704 0044 0532 0130 00"
TOKEN = re.compile(r"inv_[A-Za-z0-9_-]{20,}")
WEBHOOK_SECRET = re.compile(r"whsec_[A-Za-z0-9+/=_-]+")
LAST_OWNER = "A tenant keeps at least one owner who can sign in."


@pytest.fixture(autouse=True)
def resolver(monkeypatch: pytest.MonkeyPatch) -> FakeResolver:
    """Webhook hosts resolve as tests/webhooks do: never through real DNS."""
    fake = FakeResolver()
    monkeypatch.setattr(targets, "lookup", fake.lookup)
    return fake


def profile_form(**changes: str) -> dict[str, str]:
    form = {
        "legal_name": "Tenant A GmbH",
        "tax_number": "1234567890",
        "registration_id": "HRB 12345",
        "email": "billing@tenant-a.example",
        "phone": "+49 30 123456",
        "website": "https://tenant-a.example",
        "postal_address.line1": "Hauptstraße 1",
        "postal_address.city": "Berlin",
        "postal_address.postal_code": "10115",
        "bank_accounts[0].iban": VALID_IBAN,
        "bank_accounts[0].bank_name": "Commerzbank",
        "payment_terms_days": "21",
        "footer": "Thank you for your business.",
        "locale": "de-DE",
    }
    return {**form, **changes}


async def api_profile(tenant: Tenant) -> dict[str, object]:
    response = await tenant.get("/tenant")
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


async def user_id_of(engine: AsyncEngine, tenant: Tenant, email: str) -> int:
    async with transaction(engine, write=False) as connection:
        statement = select(users.c.id).where(users.c.tenant_id == tenant.id, users.c.email == email)
        return int((await connection.execute(statement)).scalar_one())


async def role_of(engine: AsyncEngine, tenant: Tenant, email: str) -> str:
    async with transaction(engine, write=False) as connection:
        statement = select(users.c.role).where(users.c.tenant_id == tenant.id, users.c.email == email)
        return str((await connection.execute(statement)).scalar_one())


async def test_an_owner_changes_the_profile_and_the_api_shows_it(owner: Person, tenant: Tenant) -> None:
    assert (await owner.get("/app/settings/profile")).status_code == 200
    response = await owner.post("/app/settings/profile", profile_form())
    assert response.status_code == 303
    assert response.headers["location"] == "/app/settings/profile?notice=profile"

    shown = await api_profile(tenant)
    assert shown["legal_name"] == "Tenant A GmbH"
    assert shown["payment_terms_days"] == 21
    assert shown["locale"] == "de_DE"
    assert shown["bank_accounts"] == [{"iban": "DE89370400440532013000", "bic": None, "bank_name": "Commerzbank"}]
    assert shown["postal_address"] == {
        "line1": "Hauptstraße 1",
        "line2": None,
        "city": "Berlin",
        "postal_code": "10115",
        "subdivision": None,
        "country_code": None,
    }
    page = await owner.get("/app/settings/profile?notice=profile")
    assert "The profile is saved." in page.text
    assert 'value="Tenant A GmbH"' in page.text


async def test_an_iban_with_a_wrong_check_digit_is_refused_naming_its_field_and_nothing_changes(
    owner: Person, tenant: Tenant
) -> None:
    before = await api_profile(tenant)
    await owner.get("/app/settings/profile")
    response = await owner.post(
        "/app/settings/profile", profile_form(**{"bank_accounts[0].iban": "DE89370400440532013001"})
    )
    assert response.status_code == 422
    assert "bank_accounts[0].iban" in response.text
    assert "is not a valid IBAN" in response.text
    assert 'aria-invalid="true" aria-describedby="f-bank-accounts-0-iban-error"' in response.text
    assert 'value="DE89370400440532013001"' in response.text, "the form keeps what was typed"
    assert await api_profile(tenant) == before


async def test_a_payment_term_that_is_no_number_is_refused_naming_its_field(owner: Person) -> None:
    await owner.get("/app/settings/profile")
    response = await owner.post("/app/settings/profile", profile_form(payment_terms_days="soon"))
    assert response.status_code == 422
    assert 'id="f-payment-terms-days-error"' in response.text


async def test_a_logo_is_uploaded_shown_and_removed(owner: Person, tenant: Tenant) -> None:
    await owner.get("/app/settings/profile")
    response = await owner.post("/app/settings/logo", files={"logo": ("logo.png", PNG, "image/png")})
    assert response.status_code == 303, response.text
    assert (await api_profile(tenant))["logo"] == {"media_type": "image/png", "size": len(PNG), "sha256": _sha(PNG)}
    page = await owner.get("/app/settings/profile")
    assert '<img class="logo-preview" src="/app/settings/logo' in page.text
    image = await owner.get("/app/settings/logo")
    assert image.status_code == 200
    assert image.content == PNG
    assert image.headers["content-type"] == "image/png"

    removed = await owner.post("/app/settings/logo/remove")
    assert removed.status_code == 303
    assert (await api_profile(tenant))["logo"] is None
    assert (await owner.get("/app/settings/logo")).status_code == 404


async def test_a_logo_that_is_no_image_or_too_large_is_refused_naming_the_logo_field(
    owner: Person, tenant: Tenant
) -> None:
    await owner.get("/app/settings/profile")
    text = await owner.post("/app/settings/logo", files={"logo": ("logo.png", b"hello", "image/png")})
    assert text.status_code == 422
    assert "The logo must be a PNG, JPEG or SVG image." in text.text
    large = await owner.post("/app/settings/logo", files={"logo": ("big.png", PNG + b"\0" * 1_048_576, "image/png")})
    assert large.status_code == 422
    assert "at most 1048576 (1 MiB)" in large.text
    script = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    svg = await owner.post("/app/settings/logo", files={"logo": ("logo.svg", script, "image/svg+xml")})
    assert svg.status_code == 422
    assert (await api_profile(tenant))["logo"] is None


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


async def test_an_owner_creates_a_series_and_the_api_lists_it(owner: Person, tenant: Tenant) -> None:
    await owner.get("/app/settings/series")
    response = await owner.post("/app/settings/series", {"name": "abc", "kind": "credit_note"})
    assert response.status_code == 303
    listed = (await tenant.get("/series")).json()["data"]
    assert {"name": "ABC", "kind": "credit_note", "is_default": False} in [
        {key: s[key] for key in ("name", "kind", "is_default")} for s in listed
    ]
    assert "ABC" in (await owner.get("/app/settings/series")).text

    again = await owner.post("/app/settings/series", {"name": "ABC", "kind": "invoice"})
    assert again.status_code == 409
    assert "The series ABC already exists." in again.text
    bad = await owner.post("/app/settings/series", {"name": "TOOLONG", "kind": "invoice"})
    assert bad.status_code == 422
    assert 'id="f-name-error"' in bad.text


async def test_a_token_is_shown_once_works_against_the_api_and_stops_when_revoked(
    owner: Person, tenant: Tenant, engine: AsyncEngine
) -> None:
    await owner.get("/app/settings/tokens")
    created = await owner.post("/app/settings/tokens", {"scopes": ["invoices:read"], "expires_in_days": "30"})
    assert created.status_code == 200
    assert created.headers["cache-control"] == "no-store"
    found = TOKEN.search(created.text)
    assert found is not None
    secret = found.group(0)
    api = {"Authorization": f"Bearer {secret}", "X-Tenant": str(tenant.id)}
    assert (await tenant.client.get("/api/v1/invoices", headers=api)).status_code == 200

    listing = await owner.get("/app/settings/tokens")
    assert secret not in listing.text, "the secret is shown once, never in the list"
    assert secret[:12] in listing.text
    async with transaction(engine, write=False) as connection:
        statement = select(access_tokens.c.public_id).where(access_tokens.c.token_prefix == secret[:12])
        public_id = (await connection.execute(statement)).scalar_one()
    confirm = await owner.get(f"/app/settings/tokens/{public_id}/revoke")
    assert confirm.status_code == 200
    assert "cannot be undone" in confirm.text
    revoked = await owner.post(f"/app/settings/tokens/{public_id}/revoke")
    assert revoked.status_code == 303
    assert (await tenant.client.get("/api/v1/invoices", headers=api)).status_code == 401
    assert "Revoked" in (await owner.get("/app/settings/tokens")).text


async def test_a_token_without_a_scope_or_with_a_bad_expiry_is_refused(owner: Person) -> None:
    await owner.get("/app/settings/tokens")
    none = await owner.post("/app/settings/tokens", {"expires_in_days": ""})
    assert none.status_code == 422
    assert "Choose at least one scope." in none.text
    bad = await owner.post("/app/settings/tokens", {"scopes": ["invoices:read"], "expires_in_days": "-3"})
    assert bad.status_code == 422
    assert 'id="f-expires-in-days-error"' in bad.text
    assert TOKEN.search(bad.text) is None


async def test_a_webhook_endpoint_is_created_its_log_renders_and_a_replay_is_accepted(
    owner: Person, tenant: Tenant, engine: AsyncEngine
) -> None:
    await owner.get("/app/settings/webhooks/new")
    created = await owner.post(
        "/app/settings/webhooks",
        {"url": PUBLIC_URL, "description": "ERP", "events": "chosen", "event_types": ["invoice.issued"]},
    )
    assert created.status_code == 200, created.text
    assert WEBHOOK_SECRET.search(created.text)
    endpoint_id = await _only_endpoint(engine, tenant)
    shown = (await tenant.get(f"/webhook-endpoints/{endpoint_id}")).json()["data"]
    assert (shown["url"], shown["description"], shown["event_types"]) == (PUBLIC_URL, "ERP", ["invoice.issued"])

    message = await add_message(engine, tenant, created_at=datetime(2026, 3, 1, 9, tzinfo=UTC))
    delivery = await add_delivery(engine, tenant, message, endpoint_id)
    await add_attempt(engine, tenant, delivery, status_code=503, outcome="failed", error="HTTP 503")
    log = await owner.get(f"/app/settings/webhooks/{endpoint_id}/deliveries")
    assert log.status_code == 200
    assert f"msg_{message['public_id']}" in log.text
    assert "HTTP 503" in log.text

    replayed = await owner.post(
        f"/app/settings/webhooks/{endpoint_id}/replay", {"message_id": f"msg_{message['public_id']}"}
    )
    assert replayed.status_code == 303
    assert replayed.headers["location"].endswith("notice=replayed&count=1")
    assert [row["state"] for row in await deliveries_of(engine, tenant, endpoint_id)] == ["pending"]
    since = await owner.post(f"/app/settings/webhooks/{endpoint_id}/replay", {"since": "2026-03-01T08:00"})
    assert since.status_code == 303
    bad = await owner.post(f"/app/settings/webhooks/{endpoint_id}/replay", {"since": "yesterday"})
    assert bad.status_code == 422
    assert 'id="f-since-error"' in bad.text


async def test_a_webhook_endpoint_is_edited_disabled_enabled_rotated_and_deleted(
    owner: Person, tenant: Tenant, engine: AsyncEngine
) -> None:
    await owner.get("/app/settings/webhooks/new")
    await owner.post("/app/settings/webhooks", {"url": PUBLIC_URL, "events": "all"})
    endpoint_id = await _only_endpoint(engine, tenant)
    path = f"/app/settings/webhooks/{endpoint_id}"
    version = await _version(owner, path)
    edited = await owner.post(path, {"url": PUBLIC_URL + "/v2", "events": "all", "version": version})
    assert edited.status_code == 303
    stale = await owner.post(path, {"url": PUBLIC_URL + "/v3", "events": "all", "version": version})
    assert stale.status_code == 412
    assert "Someone changed this since you opened it" in stale.text
    refused = await owner.post(
        path, {"url": "ftp://files.example", "events": "all", "version": await _version(owner, path)}
    )
    assert refused.status_code == 422
    assert 'id="f-url-error"' in refused.text

    disabled = await owner.post(f"{path}/enabled", {"enabled": "no", "version": await _version(owner, path)})
    assert disabled.status_code == 303
    assert (await tenant.get(f"/webhook-endpoints/{endpoint_id}")).json()["data"]["enabled"] is False
    enabled = await owner.post(f"{path}/enabled", {"enabled": "yes", "version": await _version(owner, path)})
    assert enabled.status_code == 303
    rotated = await owner.post(f"{path}/rotate-secret", {"version": await _version(owner, path)})
    assert rotated.status_code == 200
    assert WEBHOOK_SECRET.search(rotated.text)
    shown = (await tenant.get(f"/webhook-endpoints/{endpoint_id}")).json()["data"]
    assert shown["url"] == PUBLIC_URL + "/v2"
    assert shown["secret_rotated_until"] is not None

    assert (await owner.get(f"{path}/delete")).status_code == 200
    deleted = await owner.post(f"{path}/delete", {"version": await _version(owner, path)})
    assert deleted.status_code == 303
    assert (await tenant.get(f"/webhook-endpoints/{endpoint_id}")).status_code == 404


async def _only_endpoint(engine: AsyncEngine, tenant: Tenant) -> int:
    async with transaction(engine, write=False) as connection:
        statement = select(webhook_endpoints.c.id).where(webhook_endpoints.c.tenant_id == tenant.id)
        return int((await connection.execute(statement)).scalar_one())


async def _version(person: Person, path: str) -> str:
    page = await person.get(path)
    found = re.search(r'name="version" value="(\d+)"', page.text)
    assert found is not None
    return found.group(1)


async def test_a_user_the_owner_creates_signs_in_with_the_role_given(
    owner: Person, app: FastAPI, engine: AsyncEngine, tenant: Tenant
) -> None:
    await owner.get("/app/settings/users")
    form = {"name": "Ayşe Yılmaz", "email": "Ayse@Example.com", "role": "accountant", "password": PASSWORD}
    response = await owner.post("/app/settings/users", form)
    assert response.status_code == 303
    assert "ayse@example.com" in (await owner.get("/app/settings/users")).text
    async with client_for(app) as http:
        assert (await sign_in(http, "ayse@example.com")).status_code == 303
        page = await http.get("/app/invoices")
    assert '<span class="role">accountant</span>' in page.text

    again = await owner.post("/app/settings/users", form)
    assert again.status_code == 409
    assert 'id="f-email-error"' in again.text
    short = await owner.post("/app/settings/users", {**form, "email": "b@example.com", "password": "short"})
    assert short.status_code == 422
    assert 'id="f-password-error"' in short.text


async def test_an_owner_changes_a_role_disables_an_account_and_enables_it_again(
    owner: Person, accountant: Person, engine: AsyncEngine, tenant: Tenant, app: FastAPI
) -> None:
    accountant_id = await user_id_of(engine, tenant, accountant.email)
    await owner.get("/app/settings/users")
    assert (await owner.post(f"/app/settings/users/{accountant_id}/role", {"role": "viewer"})).status_code == 303
    assert await role_of(engine, tenant, accountant.email) == "viewer"
    assert (await owner.get(f"/app/settings/users/{accountant_id}/disable")).status_code == 200
    assert (await owner.post(f"/app/settings/users/{accountant_id}/disable")).status_code == 303
    assert (await accountant.get("/app/invoices")).status_code == 303, "signed out everywhere"
    async with client_for(app) as again:
        assert (await sign_in(again, accountant.email)).status_code == 401, "a disabled account cannot sign in"
        await owner.get("/app/settings/users")
        assert (await owner.post(f"/app/settings/users/{accountant_id}/enable")).status_code == 303
        assert (await sign_in(again, accountant.email)).status_code == 303, "enabled, it signs in with its password"


async def test_the_last_owner_cannot_be_demoted_or_disabled_and_the_page_says_why(
    owner: Person, engine: AsyncEngine, tenant: Tenant
) -> None:
    owner_id = await user_id_of(engine, tenant, owner.email)
    await owner.get("/app/settings/users")
    demoted = await owner.post(f"/app/settings/users/{owner_id}/role", {"role": "viewer"})
    assert demoted.status_code == 409
    assert LAST_OWNER in demoted.text
    disabled = await owner.post(f"/app/settings/users/{owner_id}/disable")
    assert disabled.status_code == 409
    assert LAST_OWNER in disabled.text
    assert await role_of(engine, tenant, owner.email) == "owner"


@pytest.mark.parametrize("role", ["accountant", "viewer"])
async def test_an_accountant_and_a_viewer_get_403_on_every_settings_change_and_nothing_changes(
    role: str, owner: Person, app: FastAPI, engine: AsyncEngine, tenant: Tenant
) -> None:
    person = await signed_in_person(app, engine, tenant, role=role)
    await owner.get("/app/settings/webhooks/new")
    await owner.post("/app/settings/webhooks", {"url": PUBLIC_URL, "events": "all"})
    endpoint_id = await _only_endpoint(engine, tenant)
    owner_id = await user_id_of(engine, tenant, owner.email)
    async with transaction(engine, write=False) as connection:
        token_id = (
            await connection.execute(select(access_tokens.c.public_id).where(access_tokens.c.tenant_id == tenant.id))
        ).scalar_one()
    before = await rows_of(engine, tenant.id)
    hook = f"/app/settings/webhooks/{endpoint_id}"
    changes: dict[str, dict[str, Any]] = {
        "/app/settings/profile": profile_form(),
        "/app/settings/logo/remove": {},
        "/app/settings/series": {"name": "XYZ", "kind": "invoice"},
        "/app/settings/tokens": {"scopes": ["invoices:read"]},
        f"/app/settings/tokens/{token_id}/revoke": {},
        "/app/settings/webhooks": {"url": PUBLIC_URL, "events": "all"},
        hook: {"url": PUBLIC_URL, "events": "all"},
        f"{hook}/enabled": {"enabled": "no"},
        f"{hook}/rotate-secret": {},
        f"{hook}/delete": {},
        f"{hook}/replay": {"since": "2026-01-01T00:00"},
        "/app/settings/users": {"name": "X", "email": "x@example.com", "role": "owner", "password": PASSWORD},
        f"/app/settings/users/{owner_id}/role": {"role": "viewer"},
        f"/app/settings/users/{owner_id}/disable": {},
        f"/app/settings/users/{owner_id}/enable": {},
    }
    for path, form in changes.items():
        assert (await person.post(path, form)).status_code == 403, path
    logo = await person.post("/app/settings/logo", files={"logo": ("logo.png", PNG, "image/png")})
    assert logo.status_code == 403
    assert await rows_of(engine, tenant.id) == before

    for readable in ("/app/settings", "/app/settings/profile", "/app/settings/series"):
        page = await person.get(readable)
        assert page.status_code == 200, readable
        assert 'method="post" action="/app/settings' not in page.text, "no settings form for this role"
    for owners_only in (
        "/app/settings/tokens",
        "/app/settings/webhooks",
        hook,
        f"{hook}/deliveries",
        "/app/settings/users",
    ):
        assert (await person.get(owners_only)).status_code == 403, owners_only
    await person.http.aclose()
