"""Every page the dashboard serves carries the strict Content-Security-Policy, found or not,
signed in or not; the PDF shown in the preview frame carries the framed one. The test walks the
dashboard's own route table, so a page added later is covered or the test says which is missing."""

import re

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.auth.tables import access_tokens
from invoicing.core.db import transaction
from invoicing.dashboard.app import ROUTERS
from invoicing.dashboard.security import CONTENT_SECURITY_POLICY, FRAMED_CONTENT_SECURITY_POLICY
from invoicing.users.tables import users
from invoicing.webhooks.tables import webhook_endpoints
from tests.conftest import Tenant
from tests.dashboard.support import Person, client_for, credit_first_line

HOOK_URL = "https://192.0.2.10/hooks/invoicing"  # TEST-NET-1: public, never reached by this test


def _get_routes() -> set[str]:
    return {
        str(getattr(route, "path", ""))
        for router in ROUTERS
        for route in router.routes
        if "GET" in getattr(route, "methods", ())
    }


async def _ids(engine: AsyncEngine, tenant: Tenant, owner: Person) -> dict[str, str]:
    async with transaction(engine, write=False) as connection:
        token = (
            await connection.execute(select(access_tokens.c.public_id).where(access_tokens.c.tenant_id == tenant.id))
        ).scalar_one()
        user = (
            await connection.execute(
                select(users.c.id).where(users.c.tenant_id == tenant.id, users.c.email == owner.email)
            )
        ).scalar_one()
        endpoint = (
            await connection.execute(select(webhook_endpoints.c.id).where(webhook_endpoints.c.tenant_id == tenant.id))
        ).scalar_one()
    return {"public_id": str(token), "user_id": str(user), "endpoint_id": str(endpoint)}


async def test_every_dashboard_page_sends_the_strict_content_security_policy(
    owner: Person, tenant: Tenant, engine: AsyncEngine, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft = await tenant.create_draft()
    note = await credit_first_line(tenant, await tenant.issue((await tenant.create_draft())["id"]))
    await owner.get("/app/settings/webhooks/new")
    monkeypatch.setattr("invoicing.webhooks.service.check_target", _accept_any_target)
    created = await owner.post("/app/settings/webhooks", {"url": HOOK_URL, "events": "all"})
    assert created.status_code == 200, created.text
    values = {
        "invoice_id": str(draft["id"]),
        "customer_id": str(draft["customer"]["id"]),
        "action_name": "delete",
        "credit_note_id": str(note["id"]),
        **await _ids(engine, tenant, owner),
    }
    framed = {"/invoices/{invoice_id:int}/pdf"}
    visited: set[str] = set()
    for template in sorted(_get_routes()):
        path = re.sub(r"\{(\w+)(?::\w+)?\}", lambda found: values[found.group(1)], template)
        response = await owner.get(f"/app{path}")
        assert response.status_code in (200, 303, 404), f"{path}: {response.status_code}"
        expected = FRAMED_CONTENT_SECURITY_POLICY if template in framed else CONTENT_SECURITY_POLICY
        assert response.headers["content-security-policy"] == expected, path
        visited.add(template)
    assert visited == _get_routes()
    async with client_for(app) as anonymous:
        for path in ("/app/login", "/app/no-such-page", "/app/invoices/999999", "/app/static/app.css"):
            response = await anonymous.get(path)
            assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path


async def _accept_any_target(url: str, *, allow_private: bool) -> None:
    """The endpoint's address is not looked up: this test needs an endpoint, not a reachable one."""


async def test_an_unknown_page_and_another_tenants_invoice_answer_404_with_the_policy(
    owner: Person, other_tenant: Tenant
) -> None:
    foreign = await other_tenant.create_draft()
    for path in ("/app/no-such-page", f"/app/invoices/{foreign['id']}", f"/app/customers/{foreign['customer']['id']}"):
        response = await owner.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
