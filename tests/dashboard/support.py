"""A signed-in person for dashboard tests: an httpx client with the session cookie, posting
forms with the page's CSRF token, as a browser would (https, so the Secure cookie is sent)."""

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.core.db import transaction
from invoicing.users.service import create_user
from tests.conftest import Tenant

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "correct horse battery"


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


@dataclass
class Person:
    http: httpx.AsyncClient
    email: str
    tenant: Tenant
    csrf: str = ""
    last: httpx.Response | None = field(default=None, repr=False)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        response = await self.http.get(path, **kwargs)
        if response.status_code == 200 and "text/html" in response.headers.get("content-type", ""):
            found = CSRF.search(response.text)
            if found:
                self.csrf = found.group(1)
        self.last = response
        return response

    async def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        """A form post with the session's CSRF token (unless `data` names its own)."""
        if not self.csrf:
            await self.get("/app/invoices")
        form = {"csrf_token": self.csrf, **(data or {})}
        response = await self.http.post(path, data=form, **kwargs)
        self.last = response
        return response


def client_for(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://testserver", timeout=60)


async def make_user(engine: AsyncEngine, tenant: Tenant, *, role: str = "owner", email: str | None = None) -> str:
    address = email or f"{role}-{secrets.token_hex(4)}@example.com"
    async with transaction(engine, write=True) as connection:
        await create_user(
            connection, tenant_id=tenant.id, email=address, name=f"{role.title()} Person", password=PASSWORD, role=role
        )
    return address


async def sign_in(
    http: httpx.AsyncClient, email: str, password: str = PASSWORD, *, cookies: dict[str, str] | None = None
) -> httpx.Response:
    form = await http.get("/app/login")
    data = {"csrf_token": csrf_of(form.text), "email": email, "password": password}
    if cookies:  # sent as the browser would hold them, besides the login form's own
        login_cookie = {"invoicing_login_csrf": form.cookies["invoicing_login_csrf"]}
        return await http.post("/app/login", data=data, cookies={**cookies, **login_cookie})
    return await http.post("/app/login", data=data)


async def signed_in_person(app: FastAPI, engine: AsyncEngine, tenant: Tenant, *, role: str = "owner") -> Person:
    """A new account of `role` in `tenant`, signed in. Close `person.http` when done (or use
    the `person` fixtures of tests/dashboard/conftest.py, which do)."""
    email = await make_user(engine, tenant, role=role)
    http = client_for(app)
    response = await sign_in(http, email)
    assert response.status_code == 303, response.text
    return Person(http=http, email=email, tenant=tenant)


async def credit_first_line(tenant: Tenant, invoice: dict[str, Any], reason: str = "One unit less") -> dict[str, Any]:
    """One unit of the invoice's first line credited over the API, the note issued at once."""
    answer = await tenant.post(
        f"/invoices/{invoice['id']}/credit-notes",
        json={
            "lines": [{"invoice_line_id": invoice["lines"][0]["id"], "quantity": "1"}],
            "reason": reason,
            "issue": True,
        },
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json()["data"]["credit_note"])
