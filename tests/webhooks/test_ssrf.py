"""Acceptance 4 of issue 13 over HTTP, on SQLite and PostgreSQL: an endpoint URL resolving to
127.0.0.1, 10.x or ::1 is refused with 422 naming `url` unless WEBHOOK_ALLOW_PRIVATE_NETWORKS
is set; one on 169.254.x or fe80:: always. Host names resolve through the test's resolver; IP
literals are checked the same way without one."""

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import Tenant, rows_of
from tests.webhooks.support import PUBLIC_ADDRESS, FakeResolver, create_endpoint, on_lan

PRIVATE = [
    ("http://receiver.internal/hook", ["127.0.0.1"], "127.0.0.1"),
    ("http://receiver.internal/hook", ["10.20.30.40"], "10.20.30.40"),
    ("http://receiver.internal/hook", ["::1"], "::1"),
    ("http://receiver.internal/hook", [PUBLIC_ADDRESS, "192.168.1.9"], "192.168.1.9"),  # any address counts
    ("http://receiver.internal/hook", ["100.64.0.1"], "100.64.0.1"),
    ("http://receiver.internal/hook", ["fd00::5"], "fd00::5"),
    ("http://127.0.0.1:8080/hook", [], "127.0.0.1"),
    ("http://10.0.0.7/hook", [], "10.0.0.7"),
    ("http://[::1]:9000/hook", [], "::1"),
    ("http://[::ffff:10.0.0.7]/hook", [], "::ffff:10.0.0.7"),
    ("http://0.0.0.0/hook", [], "0.0.0.0"),  # noqa: S104 (a URL refused, nothing binds)
]
LINK_LOCAL = [
    ("http://metadata.internal/latest", ["169.254.169.254"], "169.254.169.254"),
    ("http://metadata.internal/latest", ["fe80::1"], "fe80::1"),
    ("http://169.254.169.254/latest/meta-data/", [], "169.254.169.254"),
    ("http://[fe80::abcd]/hook", [], "fe80::abcd"),
    ("http://[::ffff:169.254.169.254]/latest", [], "::ffff:169.254.169.254"),
]


def _ids(cases: list[tuple[str, list[str], str]]) -> list[str]:
    return [f"{url} -> {','.join(addresses) or 'literal'}" for url, addresses, _ in cases]


async def _refused(engine: AsyncEngine, tenant: Tenant, url: str) -> dict[str, object]:
    before = await rows_of(engine, tenant.id)
    response = await tenant.post("/webhook-endpoints", json={"url": url})
    assert response.status_code == 422, response.text
    problem = dict(response.json())
    assert problem["code"] == "webhook_url_refused"
    assert list(problem["errors"]) == ["url"]  # type: ignore[call-overload]
    assert await rows_of(engine, tenant.id) == before
    return problem


@pytest.mark.parametrize(("url", "addresses", "shown"), PRIVATE, ids=_ids(PRIVATE))
async def test_a_private_or_loopback_target_is_refused_unless_private_networks_are_allowed(
    engine: AsyncEngine,
    tenant: Tenant,
    lan_client: httpx.AsyncClient,
    resolver: FakeResolver,
    url: str,
    addresses: list[str],
    shown: str,
) -> None:
    resolver.answers["receiver.internal"] = addresses
    problem = await _refused(engine, tenant, url)
    assert problem["reason"] == "private_address"
    message = problem["errors"]["url"][0]  # type: ignore[index]
    assert f"resolves to a private or loopback address ({shown}" in message
    assert "set WEBHOOK_ALLOW_PRIVATE_NETWORKS=true to allow" in message

    allowed = await create_endpoint(on_lan(tenant, lan_client), url=url)
    assert allowed["url"] == url


@pytest.mark.parametrize(("url", "addresses", "shown"), LINK_LOCAL, ids=_ids(LINK_LOCAL))
async def test_a_link_local_target_is_refused_even_when_private_networks_are_allowed(
    engine: AsyncEngine,
    tenant: Tenant,
    lan_client: httpx.AsyncClient,
    resolver: FakeResolver,
    url: str,
    addresses: list[str],
    shown: str,
) -> None:
    resolver.answers["metadata.internal"] = addresses
    for client_tenant in (tenant, on_lan(tenant, lan_client)):
        problem = await _refused(engine, client_tenant, url)
        assert problem["reason"] == "link_local_address"
        message = problem["errors"]["url"][0]  # type: ignore[index]
        assert f"resolves to a link-local address ({shown})" in message
        assert "never allowed" in message


async def test_a_host_that_does_not_resolve_is_refused(engine: AsyncEngine, tenant: Tenant) -> None:
    problem = await _refused(engine, tenant, "https://nowhere.invalid/hook")
    assert problem["reason"] == "unresolvable"
    assert "nowhere.invalid" in problem["errors"]["url"][0]  # type: ignore[index]


async def test_a_public_target_is_accepted_and_its_host_resolved_once(tenant: Tenant, resolver: FakeResolver) -> None:
    await create_endpoint(tenant, url="https://hooks.example.com:8443/in?source=invoicing")
    assert resolver.asked == ["hooks.example.com"]


async def test_changing_the_url_to_a_private_target_is_refused_and_keeps_the_old_one(
    engine: AsyncEngine, tenant: Tenant, resolver: FakeResolver
) -> None:
    created = await create_endpoint(tenant)
    resolver.answers["receiver.internal"] = ["10.1.1.1"]
    before = await rows_of(engine, tenant.id)
    for url in ("http://receiver.internal/hook", "http://169.254.169.254/"):
        response = await tenant.patch(f"/webhook-endpoints/{created['id']}", json={"url": url})
        assert response.status_code == 422, response.text
        assert list(response.json()["errors"]) == ["url"]
    assert await rows_of(engine, tenant.id) == before
