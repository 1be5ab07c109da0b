"""Finding 4 of issue 10: a tenant's OAuth clients can be listed, revoked (ending every token they
minted) and given a new secret, through /api/v1/clients, with the `clients:manage` scope only."""

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.auth.scopes import DEFAULT_SCOPES, INVOICES_READ
from invoicing.auth.tables import access_tokens
from invoicing.core.db import transaction
from tests.conftest import Tenant, rows_of
from tests.test_auth import assert_problem, assert_unauthenticated, make_token

TOKEN_URL = "/api/oauth/token"
NEVER_USED_ID = 999_999_999


async def create_client(tenant: Tenant, **body: Any) -> dict[str, Any]:
    response = await tenant.post("/clients", json={"name": "Integration", **body})
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    return dict(response.json()["data"])


async def mint(http: httpx.AsyncClient, client_id: str, client_secret: str, **form: str) -> httpx.Response:
    data = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret, **form}
    return await http.post(TOKEN_URL, data=data)


async def minted_token(http: httpx.AsyncClient, created: dict[str, Any]) -> str:
    response = await mint(http, created["client_id"], created["client_secret"])
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def caller(tenant: Tenant, token: str) -> Tenant:
    return Tenant(tenant.id, tenant.public_id, token, tenant.client)


def assert_invalid_client(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.json() == {"error": "invalid_client", "error_description": "Client authentication failed."}


def without_request_id(response: httpx.Response) -> tuple[int, Any]:
    body = response.json()
    body.pop("request_id", None)
    return response.status_code, body


async def test_a_created_client_is_listed_and_read_without_its_secret(tenant: Tenant) -> None:
    created = await create_client(tenant, name="Accounting sync", scopes=[INVOICES_READ])
    assert created["client_id"].startswith("cli_")
    assert created["client_secret"].startswith("sec_")
    assert created["scopes"] == [INVOICES_READ]
    assert created["status"] == "active"
    assert created["revoked_at"] is None

    listed = (await tenant.get("/clients")).json()["data"]
    one = (await tenant.get(f"/clients/{created['id']}")).json()["data"]
    expected = {key: value for key, value in created.items() if key != "client_secret"}
    assert listed == [expected]
    assert one == expected


async def test_a_client_created_without_scopes_gets_the_invoice_scopes_and_not_clients_manage(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    created = await create_client(tenant)
    assert created["scopes"] == list(DEFAULT_SCOPES)
    response = await mint(client, created["client_id"], created["client_secret"])
    assert response.json()["scope"] == " ".join(DEFAULT_SCOPES)
    assert_problem(await caller(tenant, response.json()["access_token"]).get("/clients"), 403, "insufficient_scope")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"name": "x", "scopes": ["admin"]}, id="unknown-scope"),
        pytest.param({"name": "x", "scopes": []}, id="no-scope"),
        pytest.param({"name": "x", "scopes": "invoices:read"}, id="scopes-as-text"),
        pytest.param({"name": "   "}, id="blank-name"),
        pytest.param({"scopes": [INVOICES_READ]}, id="no-name"),
        pytest.param({"name": "x", "client_secret": "sec_mine"}, id="chosen-secret"),
    ],
)
async def test_a_bad_client_body_is_a_422_naming_the_field_and_creates_nothing(
    engine: AsyncEngine, tenant: Tenant, body: dict[str, Any]
) -> None:
    before = await rows_of(engine, tenant.id)
    assert_problem(await tenant.post("/clients", json=body), 422)
    assert await rows_of(engine, tenant.id) == before


async def test_revoking_a_client_ends_its_secret_and_every_token_it_minted_and_nothing_else(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    leaked, kept = await create_client(tenant), await create_client(tenant)
    leaked_tokens = [await minted_token(client, leaked) for _ in range(2)]
    kept_token = await minted_token(client, kept)

    response = await tenant.post(f"/clients/{leaked['id']}/revoke")

    assert response.status_code == 200, response.text
    revoked = response.json()["data"]
    assert revoked["status"] == "revoked"
    assert revoked["revoked_at"] is not None
    assert_invalid_client(await mint(client, leaked["client_id"], leaked["client_secret"]))
    assert (await mint(client, leaked["client_id"], leaked["client_secret"])).json() == (
        await mint(client, "cli_never_issued", leaked["client_secret"])
    ).json(), "a revoked client must answer exactly like an unknown one"
    for token in leaked_tokens:
        assert_unauthenticated(await caller(tenant, token).get("/series"))
        unknown = await caller(tenant, "inv_never_issued").get("/series")
        assert (await caller(tenant, token).get("/series")).json()["code"] == unknown.json()["code"]
    assert (await caller(tenant, kept_token).get("/series")).status_code == 200
    assert (await tenant.get("/series")).status_code == 200
    assert (await mint(client, kept["client_id"], kept["client_secret"])).status_code == 200


async def test_revoking_a_revoked_client_answers_200_with_the_same_state_and_changes_nothing(
    engine: AsyncEngine, tenant: Tenant
) -> None:
    created = await create_client(tenant)
    first = await tenant.post(f"/clients/{created['id']}/revoke")
    before = await rows_of(engine, tenant.id)

    again = await tenant.post(f"/clients/{created['id']}/revoke")

    assert again.status_code == 200, again.text
    assert again.json()["data"] == first.json()["data"]
    assert await rows_of(engine, tenant.id) == before


async def test_rotating_the_secret_ends_the_old_one_at_once_and_leaves_minted_tokens_working(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    created = await create_client(tenant)
    token_before = await minted_token(client, created)

    response = await tenant.post(f"/clients/{created['id']}/rotate-secret")

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    rotated = response.json()["data"]
    assert rotated["client_id"] == created["client_id"]
    assert rotated["client_secret"] not in (created["client_secret"], None)
    assert rotated["status"] == "active"
    assert_invalid_client(await mint(client, created["client_id"], created["client_secret"]))
    token_after = await minted_token(client, rotated)
    assert (await caller(tenant, token_after).get("/series")).status_code == 200
    assert (await caller(tenant, token_before).get("/series")).status_code == 200
    assert "client_secret" not in (await tenant.get(f"/clients/{created['id']}")).json()["data"]


async def test_a_revoked_client_cannot_get_a_new_secret(
    client: httpx.AsyncClient, engine: AsyncEngine, tenant: Tenant
) -> None:
    created = await create_client(tenant)
    await tenant.post(f"/clients/{created['id']}/revoke")
    before = await rows_of(engine, tenant.id)

    assert_problem(await tenant.post(f"/clients/{created['id']}/rotate-secret"), 409, "client_revoked")
    assert await rows_of(engine, tenant.id) == before
    assert_invalid_client(await mint(client, created["client_id"], created["client_secret"]))


async def test_managing_clients_needs_the_clients_manage_scope(engine: AsyncEngine, tenant: Tenant) -> None:
    created = await create_client(tenant)
    without_scope = caller(tenant, await make_token(engine, tenant, scopes=DEFAULT_SCOPES))
    before = await rows_of(engine, tenant.id)
    for method, path, body in [
        ("GET", "/clients", None),
        ("POST", "/clients", {"name": "x"}),
        ("GET", f"/clients/{created['id']}", None),
        ("POST", f"/clients/{created['id']}/revoke", None),
        ("POST", f"/clients/{created['id']}/rotate-secret", None),
    ]:
        assert_problem(await without_scope.request(method, path, json=body), 403, "insufficient_scope")
    assert await rows_of(engine, tenant.id) == before


@pytest.mark.parametrize("action", ["", "/revoke", "/rotate-secret"])
async def test_another_tenants_client_answers_exactly_like_a_missing_one(
    engine: AsyncEngine, client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, action: str
) -> None:
    theirs = await create_client(other_tenant)
    before = await rows_of(engine, other_tenant.id)
    method = "POST" if action else "GET"

    foreign = await tenant.request(method, f"/clients/{theirs['id']}{action}")
    missing = await tenant.request(method, f"/clients/{NEVER_USED_ID}{action}")

    assert_problem(foreign, 404, "client_not_found")
    assert without_request_id(foreign) == without_request_id(missing)
    assert await rows_of(engine, other_tenant.id) == before
    assert (await mint(client, theirs["client_id"], theirs["client_secret"])).status_code == 200
    assert [row["id"] for row in (await tenant.get("/clients")).json()["data"]] == []


async def test_no_token_minted_while_a_client_is_revoked_outlives_the_revocation(
    engine: AsyncEngine, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    """Mints racing the revoke: each either fails or made a token that the revoke then ended."""
    created = await create_client(tenant)
    mints = [mint(client, created["client_id"], created["client_secret"]) for _ in range(8)]
    revoke = tenant.post(f"/clients/{created['id']}/revoke")
    *minted, revoked = await asyncio.gather(*mints, revoke)

    assert revoked.status_code == 200, revoked.text
    assert {response.status_code for response in minted} <= {200, 401}
    async with transaction(engine, write=False) as connection:
        statement = select(access_tokens.c.revoked_at).where(
            access_tokens.c.tenant_id == tenant.id, access_tokens.c.client_pk == created["id"]
        )
        revoked_at = [row.revoked_at for row in await connection.execute(statement)]
    assert len(revoked_at) == sum(response.status_code == 200 for response in minted)
    assert None not in revoked_at
    for response in minted:
        if response.status_code == 200:
            assert_unauthenticated(await caller(tenant, response.json()["access_token"]).get("/series"))
