"""Issue 10, finding 3: the rate limit holds under every spelling of one credential, and failed
authentications are limited by client address.

The bucket is keyed on the credential as its route resolves it (auth.credentials), not on raw
header bytes: blanks after the scheme, the scheme's case, a decoy header the route does not read,
Basic with blanks (one OAuth client by its id) all share one bucket; junk tokens, each a new key,
are held by the address's bucket of failures, before any token lookup.

Each test builds an app of its own (its buckets are a worker's) on the shared app's engine, with
a refill so slow that an empty bucket stays empty for the test.
"""

import asyncio
import base64
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request

import invoicing.auth.dependencies as auth_dependencies
from invoicing.app import create_app
from invoicing.auth.credentials import bearer_token, credential_key
from invoicing.auth.dependencies import bearer_scheme
from invoicing.auth.scopes import ALL_SCOPES
from invoicing.auth.service import create_client, revoke_token
from invoicing.config import Settings
from invoicing.core.db import transaction
from invoicing.flowpayroll.dependencies import auth_token_scheme
from tests.conftest import Tenant, new_tenant
from tests.highlevel_support import VERSION

BURST = 4
FAILURE_BURST = 5
SLOW_RATE = 0.01  # a token back in 100 s: no refill during a test
FLOWPAYROLL = "/flowpayroll/v1/billing"


@asynccontextmanager
async def limited_client(
    shared: FastAPI, *, rate: float = SLOW_RATE, burst: int = BURST, failures_per_minute: float = 0
) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=shared.state.settings.database_url,
        rate_limit_per_second=rate,
        rate_limit_burst=burst,
        auth_failures_per_minute=failures_per_minute,
        auth_failure_burst=FAILURE_BURST,
    )
    app = create_app(settings)
    app.state.engine = shared.state.engine  # ASGITransport runs no lifespan
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=60) as http:
        yield http


@pytest.fixture
async def limited(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with limited_client(app) as http:
        yield http


@pytest.fixture
async def guarded(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Requests unlimited in practice; failed authentications limited to FAILURE_BURST (refilling slowly)."""
    async with limited_client(app, rate=1000, burst=1000, failures_per_minute=SLOW_RATE * 60) as http:
        yield http


@pytest.fixture
async def caller(engine: AsyncEngine, limited: httpx.AsyncClient) -> Tenant:
    return await new_tenant(engine, limited, name="Limited by credential")


def primary(tenant: Tenant, authorization: str) -> tuple[str, dict[str, str]]:
    return "/api/v1/customers", {"Authorization": authorization, "X-Tenant": str(tenant.id)}


def highlevel(tenant: Tenant, authorization: str) -> tuple[str, dict[str, str]]:
    query = f"altId={tenant.public_id}&altType=location&limit=10&offset=0"
    return f"/highlevel/invoices/?{query}", {"Authorization": authorization, "Version": VERSION}


BEARER_SPELLINGS = [
    pytest.param("Bearer   {token}", id="blanks-after-the-scheme"),
    pytest.param("Bearer {token}   ", id="blanks-after-the-token"),
    pytest.param("bearer {token}", id="lower-case-scheme"),
    pytest.param("BEARER {token}", id="upper-case-scheme"),
    pytest.param("bEaReR \t {token}", id="mixed-case-and-a-tab"),
]


async def exhaust(client: httpx.AsyncClient, path: str, headers: dict[str, str], count: int = BURST) -> None:
    for _ in range(count):
        response = await client.get(path, headers=headers)
        assert response.status_code not in (401, 429), response.text


async def get(client: httpx.AsyncClient, target: tuple[str, dict[str, str]]) -> httpx.Response:
    path, headers = target
    return await client.get(path, headers=headers)


def assert_rate_limited(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["code"] == "rate_limited"
    assert int(response.headers["retry-after"]) >= 1


@pytest.mark.parametrize("route", [primary, highlevel], ids=["primary", "highlevel"])
@pytest.mark.parametrize("spelling", BEARER_SPELLINGS)
async def test_every_spelling_of_a_bearer_token_shares_its_bucket(caller: Tenant, route: Any, spelling: str) -> None:
    path, variant = route(caller, spelling.format(token=caller.token))
    _, canonical = route(caller, f"Bearer {caller.token}")
    first = await caller.client.get(path, headers=variant)
    assert first.status_code == 200, first.text  # the route reads this spelling as the token
    await exhaust(caller.client, path, canonical, BURST - 1)
    assert_rate_limited(await caller.client.get(path, headers=variant))
    assert_rate_limited(await caller.client.get(path, headers=canonical))


async def test_a_token_has_one_bucket_across_dialects(caller: Tenant) -> None:
    await exhaust(caller.client, *primary(caller, f"Bearer {caller.token}"))
    assert_rate_limited(await get(caller.client, highlevel(caller, f"bearer  {caller.token}")))
    flowpayroll = await caller.client.get(f"{FLOWPAYROLL}/clients/1/invoices", headers={"X-Auth-Token": caller.token})
    assert_rate_limited(flowpayroll)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param([("Authorization", "x")], id="a-decoy-authorization-first"),
        pytest.param([("Authorization", f"Bearer {'d' * 40}")], id="a-decoy-bearer-first"),
        pytest.param([], id="blanks-around-the-token"),
    ],
)
async def test_flowpayroll_keys_its_bucket_on_the_header_it_reads(
    caller: Tenant, headers: list[tuple[str, str]]
) -> None:
    path = f"{FLOWPAYROLL}/clients/{2**40}/invoices"  # a client nobody has: 404 once authenticated
    canonical = {"X-Auth-Token": caller.token}
    for _ in range(BURST):
        assert (await caller.client.get(path, headers=canonical)).status_code == 404
    variant = httpx.Headers([*headers, ("X-Auth-Token", f"  {caller.token}  ")])
    assert_rate_limited(await caller.client.get(path, headers=variant))


async def test_the_decoy_is_not_the_credential_on_flowpayroll(caller: Tenant) -> None:
    """A fresh decoy each time does not buy a fresh bucket: the route reads X-Auth-Token only."""
    path = f"{FLOWPAYROLL}/clients/{2**40}/invoices"
    for index in range(BURST):
        headers = httpx.Headers([("Authorization", f"decoy-{index}"), ("X-Auth-Token", caller.token)])
        assert (await caller.client.get(path, headers=headers)).status_code == 404
    headers = httpx.Headers([("Authorization", "decoy-new"), ("X-Auth-Token", caller.token)])
    assert_rate_limited(await caller.client.get(path, headers=headers))


def basic(client_id: str, secret: str, *, template: str = "Basic {}") -> dict[str, str]:
    encoded = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": template.format(encoded), "Content-Type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize(
    "template",
    [
        pytest.param("Basic    {}", id="blanks-after-the-scheme"),
        pytest.param("basic {}", id="lower-case-scheme"),
        pytest.param("BASIC {}  ", id="upper-case-and-trailing-blanks"),
    ],
)
async def test_basic_credentials_share_the_oauth_clients_bucket_in_every_spelling(
    engine: AsyncEngine, caller: Tenant, template: str
) -> None:
    async with transaction(engine, write=True) as connection:
        issued = await create_client(connection, tenant_id=caller.id, name="Minting", scopes=ALL_SCOPES)
    form = "grant_type=client_credentials"
    for _ in range(BURST):
        minted = await caller.client.post(
            "/api/oauth/token", content=form, headers=basic(issued.client_id, issued.client_secret)
        )
        assert minted.status_code == 200, minted.text
    variant = basic(issued.client_id, issued.client_secret, template=template)
    assert_rate_limited(await caller.client.post("/api/oauth/token", content=form, headers=variant))
    # Guessing the secret is the same client's bucket too.
    guess = basic(issued.client_id, "not-the-secret", template=template)
    assert_rate_limited(await caller.client.post("/api/oauth/token", content=form, headers=guess))


class LookupCounter:
    def __init__(self) -> None:
        self.calls = 0


@pytest.fixture
def token_lookups(monkeypatch: pytest.MonkeyPatch) -> LookupCounter:
    counter = LookupCounter()
    real = auth_dependencies.authenticate

    async def counting(*args: Any, **kwargs: Any) -> Any:
        counter.calls += 1
        return await real(*args, **kwargs)

    monkeypatch.setattr(auth_dependencies, "authenticate", counting)
    return counter


def junk_token() -> str:
    return "inv_" + secrets.token_urlsafe(32)


@pytest.mark.parametrize(
    "junk",
    [
        pytest.param(lambda tenant: primary(tenant, f"Bearer {junk_token()}"), id="primary"),
        pytest.param(lambda tenant: highlevel(tenant, f"Bearer {junk_token()}"), id="highlevel"),
        pytest.param(
            lambda tenant: (f"{FLOWPAYROLL}/clients/1/invoices", {"X-Auth-Token": junk_token()}), id="flowpayroll"
        ),
    ],
)
async def test_junk_tokens_are_refused_by_address_before_any_lookup_once_failures_run_out(
    engine: AsyncEngine, guarded: httpx.AsyncClient, token_lookups: LookupCounter, junk: Any
) -> None:
    tenant = await new_tenant(engine, guarded, name="Guarded")
    for _ in range(FAILURE_BURST):
        assert (await get(guarded, junk(tenant))).status_code == 401
    assert token_lookups.calls == FAILURE_BURST
    for _ in range(3):
        refused = await get(guarded, junk(tenant))
        assert_rate_limited(refused)
        assert "failed authentications" in refused.json()["detail"]
    assert token_lookups.calls == FAILURE_BURST  # refused before the token was looked up


async def test_failed_client_authentications_are_limited_by_address(
    engine: AsyncEngine, guarded: httpx.AsyncClient
) -> None:
    form = "grant_type=client_credentials"
    for index in range(FAILURE_BURST):
        guessed = await guarded.post("/api/oauth/token", content=form, headers=basic(f"cl_guess{index}", "secret"))
        assert guessed.status_code == 401, guessed.text
    assert_rate_limited(await guarded.post("/api/oauth/token", content=form, headers=basic("cl_another", "secret")))


async def test_a_working_token_keeps_working_while_its_address_is_refused_for_failures(
    engine: AsyncEngine, guarded: httpx.AsyncClient
) -> None:
    tenant = await new_tenant(engine, guarded, name="Working neighbour")
    assert (await tenant.get("/customers")).status_code == 200  # proven before the failures
    for _ in range(FAILURE_BURST):
        assert (await get(guarded, primary(tenant, f"Bearer {junk_token()}"))).status_code == 401
    assert_rate_limited(await get(guarded, primary(tenant, f"Bearer {junk_token()}")))
    assert (await tenant.get("/customers")).status_code == 200
    # ...and in another spelling, which is the same credential.
    assert (await get(guarded, primary(tenant, f"bearer   {tenant.token}"))).status_code == 200


async def test_a_revoked_token_is_not_proven_by_its_earlier_successes(
    engine: AsyncEngine, guarded: httpx.AsyncClient
) -> None:
    tenant = await new_tenant(engine, guarded, name="Soon revoked")
    assert (await tenant.get("/customers")).status_code == 200
    async with transaction(engine, write=True) as connection:
        assert await revoke_token(connection, token=tenant.token)
    for _ in range(FAILURE_BURST):
        assert (await tenant.get("/customers")).status_code == 401
    assert_rate_limited(await tenant.get("/customers"))


async def test_the_failure_limit_is_off_at_zero(engine: AsyncEngine, limited: httpx.AsyncClient) -> None:
    tenant = await new_tenant(engine, limited, name="Unguarded")
    statuses = {(await get(limited, primary(tenant, f"Bearer {junk_token()}"))).status_code for _ in range(20)}
    assert statuses == {401}


def _request(headers: list[tuple[bytes, bytes]], path: str = "/api/v1/customers") -> Request:
    return Request({"type": "http", "method": "GET", "path": path, "headers": headers, "query_string": b""})


HEADER_TEXT = st.text(alphabet=st.sampled_from(" \t\xa0\x85\x1fBbEeAaRrSsIiCc:=x_-9"), max_size=16)


@given(
    scheme=st.sampled_from(["Bearer", "bearer", "BEARER", "Basic", "x", "", "Bearer\t"]),
    gap=st.sampled_from(["", " ", "   ", "\t", " \t ", "\xa0"]),
    token=HEADER_TEXT,
    decoys=st.lists(HEADER_TEXT, max_size=2),
)
def test_the_bucket_key_reads_the_bearer_token_exactly_as_the_route_does(
    scheme: str, gap: str, token: str, decoys: list[str]
) -> None:
    value = scheme + gap + token
    headers = [(b"authorization", text.encode("latin-1")) for text in [value, *decoys]]
    credentials = asyncio.run(bearer_scheme(_request(headers)))
    route_reads = credentials.credentials.strip() if credentials else None  # as auth.dependencies reads it
    assert bearer_token(value) == (route_reads or None)
    # ...so the bucket is the canonical spelling's, and there is none without a token the route reads.
    canonical = [(b"authorization", f"Bearer {route_reads}".encode("latin-1"))] if route_reads else []
    key = credential_key({"path": "/api/v1/customers", "headers": headers})
    assert key == (credential_key({"path": "/api/v1/customers", "headers": canonical}) if route_reads else None)


@given(token=HEADER_TEXT, decoy=HEADER_TEXT)
def test_the_bucket_key_reads_x_auth_token_exactly_as_flowpayroll_does(token: str, decoy: str) -> None:
    headers = [(b"authorization", decoy.encode("latin-1")), (b"x-auth-token", token.encode("latin-1"))]
    path = f"{FLOWPAYROLL}/clients/1/invoices"
    raw = asyncio.run(auth_token_scheme(_request(headers, path)))
    route_reads = raw.strip() if raw else None
    canonical = [(b"x-auth-token", route_reads.encode("latin-1"))] if route_reads else []
    assert credential_key({"path": path, "headers": headers}) == credential_key({"path": path, "headers": canonical})
