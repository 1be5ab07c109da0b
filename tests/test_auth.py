"""Who may call: bearer tokens, the X-Tenant header, scopes, the OAuth token endpoint, request ids."""

import base64
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.app import create_app
from invoicing.auth.scopes import ALL_SCOPES, DEFAULT_SCOPES, INVOICES_READ, INVOICES_WRITE
from invoicing.auth.service import IssuedClient, create_client, create_token, revoke_token
from invoicing.auth.tables import access_tokens, api_clients
from invoicing.config import Settings
from invoicing.core.clock import utc_now
from invoicing.core.db import transaction
from tests.conftest import Tenant, new_tenant

PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "request_id", "success"}
TOKEN_URL = "/api/oauth/token"


def assert_problem(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """An RFC 9457 body with the service's keys, and the request id the header carries."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert body["success"] == "false"
    assert body["request_id"] == response.headers.get("x-request-id"), "the x-request-id header is missing"
    if code is not None:
        assert body["code"] == code, body
    if status == 422:
        assert body["errors"], body
        assert all(isinstance(messages, list) and messages for messages in body["errors"].values()), body
    return body


def assert_unauthenticated(response: httpx.Response) -> None:
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].lower().startswith("bearer")


async def make_token(engine: AsyncEngine, tenant: Tenant, **options: Any) -> str:
    options = {"scopes": ALL_SCOPES, "expires_in": None, **options}
    async with transaction(engine, write=True) as connection:
        return (await create_token(connection, tenant_id=tenant.id, **options)).token


async def list_invoices_with(tenant: Tenant, headers: dict[str, str]) -> httpx.Response:
    """GET /api/v1/invoices with exactly these headers (none of the tenant's defaults)."""
    return await tenant.client.get("/api/v1/invoices", headers=headers)


# -- bearer token --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="missing"),
        pytest.param("", id="empty"),
        pytest.param("Bearer", id="scheme-without-token"),
        pytest.param("Bearer    ", id="scheme-with-blank-token"),
        pytest.param("Basic dXNlcjpwYXNz", id="basic-scheme"),
        pytest.param("{token}", id="token-without-scheme"),
        pytest.param("Token {token}", id="other-scheme"),
        pytest.param("Bearer inv_unknownunknownunknownunknownunknownunknown", id="unknown-token"),
        pytest.param("Bearer {token}x", id="token-with-extra-character"),
    ],
)
async def test_a_missing_malformed_or_unknown_token_is_a_401_with_www_authenticate(
    tenant: Tenant, authorization: str | None
) -> None:
    headers = {"X-Tenant": str(tenant.id)}
    if authorization is not None:
        headers["Authorization"] = authorization.format(token=tenant.token)
    assert_unauthenticated(await list_invoices_with(tenant, headers))


async def test_the_bearer_scheme_is_case_insensitive(tenant: Tenant) -> None:
    response = await list_invoices_with(tenant, {"Authorization": f"bearer {tenant.token}", "X-Tenant": str(tenant.id)})
    assert response.status_code == 200, response.text


async def test_an_expired_token_is_a_401(engine: AsyncEngine, tenant: Tenant) -> None:
    token = await make_token(engine, tenant, expires_in=60)
    headers = {"Authorization": f"Bearer {token}", "X-Tenant": str(tenant.id)}
    assert (await list_invoices_with(tenant, headers)).status_code == 200
    async with transaction(engine, write=True) as connection:
        await connection.execute(
            update(access_tokens)
            .where(access_tokens.c.tenant_id == tenant.id, access_tokens.c.expires_at.is_not(None))
            .values(expires_at=utc_now() - timedelta(seconds=1))
        )
    assert_unauthenticated(await list_invoices_with(tenant, headers))
    assert_unauthenticated(await tenant.client.post("/api/v1/customers", headers=headers, json={"first_name": "A"}))


async def test_a_revoked_token_is_a_401_and_the_tenants_other_tokens_still_work(
    engine: AsyncEngine, tenant: Tenant
) -> None:
    token = await make_token(engine, tenant)
    headers = {"Authorization": f"Bearer {token}", "X-Tenant": str(tenant.id)}
    assert (await list_invoices_with(tenant, headers)).status_code == 200
    async with transaction(engine, write=True) as connection:
        assert await revoke_token(connection, token=token)
    assert_unauthenticated(await list_invoices_with(tenant, headers))
    assert (await tenant.get("/invoices")).status_code == 200


# -- X-Tenant ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "code"),
    [
        pytest.param(None, "tenant_required", id="missing"),
        pytest.param("", "tenant_required", id="empty"),
        pytest.param("   ", "tenant_required", id="blank"),
        pytest.param("abc", "tenant_invalid", id="letters"),
        pytest.param("0", "tenant_invalid", id="zero"),
        pytest.param("-1", "tenant_invalid", id="negative"),
        pytest.param("+1", "tenant_invalid", id="plus-sign"),
        pytest.param("1.0", "tenant_invalid", id="decimal"),
        pytest.param("1e3", "tenant_invalid", id="exponent"),
        pytest.param("0x1", "tenant_invalid", id="hex"),
        pytest.param("99999999999999999999", "tenant_invalid", id="beyond-bigint"),
        pytest.param(b"\xb2", "tenant_invalid", id="non-ascii-digit"),  # latin-1 superscript two
    ],
)
async def test_a_missing_or_non_positive_integer_x_tenant_is_a_422(
    tenant: Tenant, value: str | bytes | None, code: str
) -> None:
    headers: dict[str, Any] = {"Authorization": f"Bearer {tenant.token}"}
    if value is not None:
        headers["X-Tenant"] = value
    body = assert_problem(await tenant.client.get("/api/v1/invoices", headers=headers), 422, code)
    assert list(body["errors"]) == ["X-Tenant"]


async def test_surrounding_spaces_in_x_tenant_are_ignored(tenant: Tenant) -> None:
    response = await tenant.get("/invoices", headers={"X-Tenant": f" {tenant.id} "})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("target", ["other", "nonexistent"])
async def test_a_token_acting_for_another_tenant_is_a_403(tenant: Tenant, other_tenant: Tenant, target: str) -> None:
    other_id = other_tenant.id if target == "other" else 999_999_999
    for method, path, body in [("GET", "/invoices", None), ("POST", "/customers", {"first_name": "Eve"})]:
        response = await tenant.request(method, path, json=body, headers={"X-Tenant": str(other_id)})
        assert_problem(response, 403, "tenant_forbidden")
    assert (await other_tenant.get("/customers")).json()["data"] == []


# -- scopes ------------------------------------------------------------------------------------


async def test_a_read_only_token_reads_but_every_write_is_a_403_that_changes_nothing(
    engine: AsyncEngine, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    draft = await tenant.create_draft()
    reader = Tenant(tenant.id, tenant.public_id, await make_token(engine, tenant, scopes=(INVOICES_READ,)), client)
    for path in ("/invoices", f"/invoices/{draft['id']}", f"/invoices/{draft['id']}/events", "/customers", "/series"):
        assert (await reader.get(path)).status_code == 200, path
    writes: list[tuple[str, str, Any]] = [
        ("POST", "/customers", {"first_name": "Eve"}),
        ("PATCH", f"/customers/{draft['customer']['id']}", {"job": "spy"}),
        ("POST", "/invoices", {}),
        ("PATCH", f"/invoices/{draft['id']}", {"notes": "changed"}),
        ("POST", f"/invoices/{draft['id']}/issue", None),
        ("POST", "/series", {"name": "NEW"}),
    ]
    for method, path, body in writes:
        assert_problem(await reader.request(method, path, json=body), 403, "insufficient_scope")
    assert (await tenant.get(f"/invoices/{draft['id']}")).json()["data"] == draft
    assert [row["id"] for row in (await tenant.get("/invoices")).json()["data"]] == [draft["id"]]
    assert [row["id"] for row in (await tenant.get("/customers")).json()["data"]] == [draft["customer"]["id"]]
    assert [row["name"] for row in (await tenant.get("/series")).json()["data"]] == ["INV", "CRN"]


async def test_a_write_only_token_writes_but_cannot_read(
    engine: AsyncEngine, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    writer = Tenant(tenant.id, tenant.public_id, await make_token(engine, tenant, scopes=(INVOICES_WRITE,)), client)
    customer = await writer.create_customer()
    assert_problem(await writer.get(f"/customers/{customer['id']}"), 403, "insufficient_scope")
    assert_problem(await writer.get("/invoices"), 403, "insufficient_scope")


# -- request ids ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        pytest.param("GET", "/api/v1/invoices", {}, 200, id="success"),
        pytest.param("GET", "/api/v1/invoices", {"headers": {"Authorization": ""}}, 401, id="unauthenticated"),
        pytest.param("GET", "/api/v1/invoices", {"headers": {"X-Tenant": "999999999"}}, 403, id="forbidden"),
        pytest.param("GET", "/api/v1/invoices/999999999", {}, 404, id="not-found"),
        pytest.param("GET", "/api/v1/no-such-route", {}, 404, id="no-route"),
        pytest.param("DELETE", "/api/v1/invoices", {}, 405, id="method-not-allowed"),
        pytest.param("POST", "/api/v1/customers", {"content": b"x" * 1_100_000}, 413, id="too-large"),
        pytest.param("GET", "/api/v1/invoices", {"params": {"limit": 0}}, 422, id="invalid"),
        pytest.param("POST", TOKEN_URL, {"data": {"grant_type": "password"}}, 400, id="oauth-error"),
        pytest.param("GET", "/api/openapi.json", {}, 200, id="openapi"),
    ],
)
async def test_every_response_carries_a_request_id(
    tenant: Tenant, method: str, path: str, kwargs: dict[str, Any], status: int
) -> None:
    kwargs = dict(kwargs)  # the parameter is shared by both databases' runs
    headers = {**tenant.headers, **kwargs.pop("headers", {})}
    response = await tenant.client.request(method, path, headers=headers, **kwargs)
    assert response.status_code == status, response.text
    request_id = response.headers["x-request-id"]
    assert request_id
    if response.headers["content-type"] == "application/problem+json":
        assert response.json()["request_id"] == request_id


async def test_a_sane_incoming_request_id_is_echoed_and_an_unsafe_one_replaced(tenant: Tenant) -> None:
    echoed = await tenant.get("/invoices/999999999", headers={"X-Request-ID": "client-42.a:b_c"})
    assert echoed.headers["x-request-id"] == "client-42.a:b_c"
    assert echoed.json()["request_id"] == "client-42.a:b_c"
    for unsafe in ("has spaces", "x" * 129, "<script>", ""):
        response = await tenant.get("/invoices/999999999", headers={"X-Request-ID": unsafe})
        assert response.headers["x-request-id"] not in (unsafe, "")
        assert response.json()["request_id"] == response.headers["x-request-id"]


async def test_two_requests_get_different_request_ids(tenant: Tenant) -> None:
    first, second = await tenant.get("/invoices"), await tenant.get("/invoices")
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_an_unexpected_error_is_a_500_problem_with_a_request_id_and_no_internals() -> None:
    app = create_app(Settings(database_url="sqlite://"))

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/boom")
    body = assert_problem(response, 500, "internal_error")
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
    assert body["detail"] == "An unexpected error occurred."


# -- OAuth 2.0 client credentials ----------------------------------------------------------------


async def make_client(engine: AsyncEngine, tenant: Tenant, scopes: tuple[str, ...] = DEFAULT_SCOPES) -> IssuedClient:
    async with transaction(engine, write=True) as connection:
        return await create_client(connection, tenant_id=tenant.id, name="Integration", scopes=scopes)


def basic(client_id: str, client_secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()}


def form(issued: IssuedClient) -> dict[str, str]:
    return {"grant_type": "client_credentials", "client_id": issued.client_id, "client_secret": issued.client_secret}


async def token_count(engine: AsyncEngine, tenant: Tenant) -> int:
    async with transaction(engine, write=False) as connection:
        statement = select(func.count()).select_from(access_tokens).where(access_tokens.c.tenant_id == tenant.id)
        return int((await connection.execute(statement)).scalar_one())


def assert_token_response(response: httpx.Response, settings: Settings, scope: str) -> str:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    body = response.json()
    assert body.keys() == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == settings.access_token_ttl_seconds
    assert body["scope"] == scope
    return str(body["access_token"])


@pytest.mark.parametrize("how", ["form", "basic"])
async def test_client_credentials_get_a_token_that_works_on_the_api(
    engine: AsyncEngine, client: httpx.AsyncClient, settings: Settings, tenant: Tenant, how: str
) -> None:
    issued = await make_client(engine, tenant)
    if how == "form":
        response = await client.post(TOKEN_URL, data=form(issued))
    else:
        response = await client.post(
            TOKEN_URL,
            data={"grant_type": "client_credentials"},
            headers=basic(issued.client_id, issued.client_secret),
        )
    token = assert_token_response(response, settings, "invoices:read invoices:write")
    caller = Tenant(tenant.id, tenant.public_id, token, client)
    customer = await caller.create_customer(first_name="Oauth")
    assert (await caller.get(f"/customers/{customer['id']}")).status_code == 200


async def test_a_client_may_ask_for_fewer_scopes_than_it_was_granted(
    engine: AsyncEngine, client: httpx.AsyncClient, settings: Settings, tenant: Tenant
) -> None:
    issued = await make_client(engine, tenant)
    response = await client.post(TOKEN_URL, data={**form(issued), "scope": INVOICES_READ})
    caller = Tenant(tenant.id, tenant.public_id, assert_token_response(response, settings, INVOICES_READ), client)
    assert (await caller.get("/invoices")).status_code == 200
    assert_problem(await caller.post("/customers", json={"first_name": "Eve"}), 403, "insufficient_scope")


async def test_an_oauth_token_lives_for_the_configured_ttl_and_is_refused_after(
    engine: AsyncEngine, client: httpx.AsyncClient, settings: Settings, tenant: Tenant
) -> None:
    issued = await make_client(engine, tenant)
    token = assert_token_response(await client.post(TOKEN_URL, data=form(issued)), settings, " ".join(DEFAULT_SCOPES))
    async with transaction(engine, write=True) as connection:
        stored = (
            await connection.execute(
                select(access_tokens.c.expires_at).where(
                    access_tokens.c.tenant_id == tenant.id, access_tokens.c.kind == "oauth"
                )
            )
        ).scalar_one()
        assert abs(stored - utc_now() - timedelta(seconds=settings.access_token_ttl_seconds)) < timedelta(minutes=1)
        await connection.execute(
            update(access_tokens)
            .where(access_tokens.c.tenant_id == tenant.id, access_tokens.c.kind == "oauth")
            .values(expires_at=utc_now() - timedelta(seconds=1))
        )
    assert_unauthenticated(await Tenant(tenant.id, tenant.public_id, token, client).get("/invoices"))


Clients = tuple[IssuedClient, IssuedClient]  # (granted every scope, granted invoices:read only)
OAUTH_ERRORS: list[tuple[str, Callable[[Clients], dict[str, Any]], int, str]] = [
    ("password-grant", lambda c: {"data": {**form(c[0]), "grant_type": "password"}}, 400, "unsupported_grant_type"),
    (
        "code-grant",
        lambda c: {"data": {**form(c[0]), "grant_type": "authorization_code"}},
        400,
        "unsupported_grant_type",
    ),
    # RFC 6749 5.2: a missing required parameter or a repeated one is invalid_request.
    (
        "no-grant-type",
        lambda c: {"data": {"client_id": c[0].client_id, "client_secret": c[0].client_secret}},
        400,
        "invalid_request",
    ),
    (
        "repeated-parameter",
        lambda c: {
            "content": f"grant_type=client_credentials&client_id={c[0].client_id}&client_secret="
            f"{c[0].client_secret}&scope=invoices:read&scope=invoices:write",
            "headers": {"Content-Type": "application/x-www-form-urlencoded"},
        },
        400,
        "invalid_request",
    ),
    ("json-body", lambda c: {"json": form(c[0])}, 400, "invalid_request"),
    ("no-content-type", lambda c: {"content": b"grant_type=client_credentials"}, 400, "invalid_request"),
    (
        "not-utf8",
        lambda c: {
            "content": b"grant_type=client_credentials&client_id=\xff",
            "headers": {"Content-Type": "application/x-www-form-urlencoded"},
        },
        400,
        "invalid_request",
    ),
    (
        "basic-and-form-credentials",
        lambda c: {"data": form(c[0]), "headers": basic(c[0].client_id, c[0].client_secret)},
        400,
        "invalid_request",
    ),
    ("no-credentials", lambda c: {"data": {"grant_type": "client_credentials"}}, 401, "invalid_client"),
    ("wrong-secret", lambda c: {"data": {**form(c[0]), "client_secret": "sec_wrong"}}, 401, "invalid_client"),
    (
        "another-clients-secret",
        lambda c: {"data": {**form(c[0]), "client_secret": c[1].client_secret}},
        401,
        "invalid_client",
    ),
    ("unknown-client", lambda c: {"data": {**form(c[0]), "client_id": "cli_unknown"}}, 401, "invalid_client"),
    ("nul-in-client-id", lambda c: {"data": {**form(c[0]), "client_id": "cli_\x00"}}, 401, "invalid_client"),
    (
        "wrong-secret-by-basic",
        lambda c: {"data": {"grant_type": "client_credentials"}, "headers": basic(c[0].client_id, "sec_wrong")},
        401,
        "invalid_client",
    ),
    ("unknown-scope", lambda c: {"data": {**form(c[0]), "scope": "invoices:read admin"}}, 400, "invalid_scope"),
    ("scope-beyond-grant", lambda c: {"data": {**form(c[1]), "scope": INVOICES_WRITE}}, 400, "invalid_scope"),
]


@pytest.mark.parametrize(("build", "status", "error"), [pytest.param(*case[1:], id=case[0]) for case in OAUTH_ERRORS])
async def test_token_endpoint_errors_are_rfc_6749_bodies_and_issue_no_token(
    engine: AsyncEngine,
    client: httpx.AsyncClient,
    tenant: Tenant,
    build: Callable[[Clients], dict[str, Any]],
    status: int,
    error: str,
) -> None:
    clients = (await make_client(engine, tenant), await make_client(engine, tenant, (INVOICES_READ,)))
    before = await token_count(engine, tenant)
    response = await client.post(TOKEN_URL, **build(clients))
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-request-id"]
    body = response.json()
    assert body.keys() == {"error", "error_description"}
    assert body["error"] == error
    assert body["error_description"]
    if status == 401:
        challenge = response.headers["www-authenticate"]
        if "authorization" in response.request.headers:  # RFC 6749 5.2: the scheme the client used
            assert challenge.startswith("Basic "), challenge
    assert await token_count(engine, tenant) == before


async def test_a_revoked_client_gets_no_token(engine: AsyncEngine, client: httpx.AsyncClient, tenant: Tenant) -> None:
    issued = await make_client(engine, tenant)
    async with transaction(engine, write=True) as connection:
        await connection.execute(
            update(api_clients).where(api_clients.c.client_id == issued.client_id).values(revoked_at=utc_now())
        )
    response = await client.post(TOKEN_URL, data=form(issued))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_a_client_of_one_tenant_cannot_act_for_another(
    engine: AsyncEngine, client: httpx.AsyncClient, settings: Settings, tenant: Tenant
) -> None:
    stranger = await new_tenant(engine, client, name="Stranger")
    issued = await make_client(engine, stranger)
    token = assert_token_response(await client.post(TOKEN_URL, data=form(issued)), settings, " ".join(DEFAULT_SCOPES))
    response = await Tenant(tenant.id, tenant.public_id, token, client).get("/invoices")
    assert_problem(response, 403, "tenant_forbidden")
