"""Issue 10, finding 12: small leaks.

- One 401 for every bad token: unknown, revoked and expired tokens answer byte for byte the same
  (but the request id) in every dialect; only the log keeps the reason.
- `Cache-Control: no-store` on every answer to a request that presents a credential, in every
  dialect and on the OAuth token response (RFC 6749 section 5.1).
- No `server` banner from a live `invoicing serve`.
"""

import asyncio
import base64
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.auth import secrets
from invoicing.auth.scopes import ALL_SCOPES
from invoicing.auth.service import create_client, create_token, revoke_token
from invoicing.auth.tables import access_tokens
from invoicing.core.clock import utc_now
from invoicing.core.db import transaction
from tests.conftest import Tenant, new_tenant
from tests.highlevel_support import VERSION
from tests.test_seed_curls import _start_server, _stop

FLOWPAYROLL = "/flowpayroll/v1/billing"


async def bad_tokens(engine: AsyncEngine, tenant: Tenant) -> dict[str, str]:
    """An unknown, a revoked and an expired token (the last two real tokens of the tenant)."""
    async with transaction(engine, write=True) as connection:
        revoked = await create_token(connection, tenant_id=tenant.id, scopes=ALL_SCOPES, expires_in=None)
        expired = await create_token(connection, tenant_id=tenant.id, scopes=ALL_SCOPES, expires_in=3600)
        assert await revoke_token(connection, token=revoked.token)
        await connection.execute(
            update(access_tokens)
            .where(access_tokens.c.token_hash == secrets.digest(expired.token))
            .values(expires_at=utc_now() - timedelta(seconds=1))
        )
    return {"unknown": secrets.new_token(), "revoked": revoked.token, "expired": expired.token}


def dialect_request(dialect: str, tenant: Tenant, token: str) -> tuple[str, dict[str, str]]:
    if dialect == "primary":
        return "/api/v1/customers", {"Authorization": f"Bearer {token}", "X-Tenant": str(tenant.id)}
    if dialect == "highlevel":
        query = f"altId={tenant.public_id}&altType=location&limit=10&offset=0"
        return f"/highlevel/invoices/?{query}", {"Authorization": f"Bearer {token}", "Version": VERSION}
    return f"{FLOWPAYROLL}/clients/1/invoices", {"X-Auth-Token": token}


def without_request_id(response: httpx.Response) -> tuple[bytes, list[tuple[str, str]]]:
    request_id = response.headers["x-request-id"]
    headers = sorted((name, value) for name, value in response.headers.items() if name != "x-request-id")
    return response.content.replace(request_id.encode(), b"<id>"), headers


@pytest.mark.parametrize("dialect", ["primary", "highlevel", "flowpayroll"])
async def test_unknown_revoked_and_expired_tokens_get_one_identical_401(
    engine: AsyncEngine, tenant: Tenant, dialect: str, caplog: pytest.LogCaptureFixture
) -> None:
    tokens = await bad_tokens(engine, tenant)
    answers = {}
    with caplog.at_level(logging.WARNING, logger="invoicing.auth"):
        for reason, token in tokens.items():
            path, headers = dialect_request(dialect, tenant, token)
            response = await tenant.client.get(path, headers=headers)
            assert response.status_code == 401, response.text
            answers[reason] = without_request_id(response)
    assert answers["revoked"] == answers["unknown"]
    assert answers["expired"] == answers["unknown"]
    for telling in (b"is unknown.", b"was revoked", b"has expired"):  # what the primary API used to say
        assert telling not in answers["unknown"][0]
    # The operator still learns why, from the log (never the token).
    logged = caplog.text
    assert all(f"authentication failed: {reason}" in logged for reason in tokens)
    assert not any(token in logged for token in tokens.values())


async def test_the_primary_api_401_says_only_that_the_token_is_invalid(engine: AsyncEngine, tenant: Tenant) -> None:
    tokens = await bad_tokens(engine, tenant)
    path, headers = dialect_request("primary", tenant, tokens["revoked"])
    body = (await tenant.client.get(path, headers=headers)).json()
    assert (body["code"], body["detail"]) == ("invalid_token", "The access token is invalid.")


def authenticated_calls(tenant: Tenant) -> list[tuple[str, str, dict[str, str], Any]]:
    """(method, path, headers, json) in every dialect: reads, writes, refusals."""
    primary = tenant.headers
    highlevel = {"Authorization": f"Bearer {tenant.token}", "Version": VERSION}
    flowpayroll = {"X-Auth-Token": tenant.token}
    query = f"altId={tenant.public_id}&altType=location&limit=10&offset=0"
    return [
        ("GET", "/api/v1/customers", primary, None),
        ("POST", "/api/v1/customers", primary, {"first_name": "Stored nowhere else"}),
        ("GET", "/api/v1/invoices/999999999", primary, None),  # 404
        ("POST", "/api/v1/customers", primary, {"first_name": ""}),  # 422
        ("GET", "/api/v1/customers", {**primary, "X-Tenant": "1" + str(tenant.id)}, None),  # 403
        ("GET", "/api/v1/customers", {**primary, "Authorization": "Bearer nope"}, None),  # 401
        ("GET", f"/highlevel/invoices/?{query}", highlevel, None),
        ("GET", "/highlevel/invoices/inv_none?altId=x&altType=location", highlevel, None),
        ("GET", f"{FLOWPAYROLL}/clients/1/invoices", flowpayroll, None),
        ("POST", f"{FLOWPAYROLL}/invoices/1/1/void", flowpayroll, {}),
    ]


async def test_every_answer_to_a_credentialed_request_is_no_store_in_every_dialect(tenant: Tenant) -> None:
    statuses = set()
    for method, path, headers, body in authenticated_calls(tenant):
        response = await tenant.client.request(method, path, headers=headers, json=body)
        statuses.add(response.status_code)
        assert response.headers.get("cache-control") == "no-store", (method, path, response.status_code)
    assert {200, 201, 401, 403, 404, 422} <= statuses


async def test_the_oauth_token_response_is_no_store(engine: AsyncEngine, tenant: Tenant) -> None:
    async with transaction(engine, write=True) as connection:
        issued = await create_client(connection, tenant_id=tenant.id, name="No store", scopes=ALL_SCOPES)
    basic = base64.b64encode(f"{issued.client_id}:{issued.client_secret}".encode()).decode()
    headers = {"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"}
    minted = await tenant.client.post("/api/oauth/token", content="grant_type=client_credentials", headers=headers)
    assert minted.status_code == 200, minted.text
    assert minted.headers.get_list("cache-control") == ["no-store"]
    form = f"grant_type=client_credentials&client_id={issued.client_id}&client_secret=wrong"
    refused = await tenant.client.post(
        "/api/oauth/token", content=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert refused.status_code == 401
    assert refused.headers.get_list("cache-control") == ["no-store"]


async def test_public_documents_stay_cacheable(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/openapi.json")
    assert response.status_code == 200
    assert "cache-control" not in response.headers
    assert orjson.loads(response.content)["openapi"]


@pytest.fixture(scope="module")
async def live_base_url(
    database_url: str, engine: AsyncEngine, client: httpx.AsyncClient, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[str, Tenant]]:
    tenant = await new_tenant(engine, client, name="Live banner")
    process, base_url = await asyncio.to_thread(
        _start_server, database_url, tmp_path_factory.mktemp("banner"), tenant.headers
    )
    try:
        yield base_url, tenant
    finally:
        await asyncio.to_thread(_stop, process)


async def test_a_live_server_sends_no_server_banner(live_base_url: tuple[str, Tenant]) -> None:
    base_url, tenant = live_base_url
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        answers = [
            await http.get("/api/v1/customers", headers=tenant.headers),
            await http.get("/api/v1/customers"),
            await http.get("/api/openapi.json"),
            await http.get("/nothing-here"),
        ]
    assert [response.status_code for response in answers] == [200, 401, 200, 404]
    for response in answers:
        assert "server" not in response.headers, response.headers
    assert answers[0].headers["cache-control"] == "no-store"
