"""Signing in and out, sessions, CSRF, cookie flags, the sign-in throttle, security headers."""

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.config import Settings
from invoicing.core.db import transaction
from invoicing.dashboard.security import CONTENT_SECURITY_POLICY
from invoicing.users.tables import user_sessions
from tests.conftest import Tenant
from tests.dashboard.support import PASSWORD, Person, client_for, make_user, sign_in

SESSION_COOKIE = "__Host-invoicing_session"


async def test_a_page_without_a_session_sends_the_browser_to_the_sign_in_form(app: FastAPI) -> None:
    async with client_for(app) as http:
        response = await http.get("/app/invoices")
    assert response.status_code == 303
    assert response.headers["location"] == "/app/login"


async def test_signing_in_sets_a_host_only_secure_http_only_same_site_cookie(
    app: FastAPI, engine: AsyncEngine, tenant: Tenant
) -> None:
    email = await make_user(engine, tenant, role="viewer")
    async with client_for(app) as http:
        response = await sign_in(http, email)
    assert response.status_code == 303
    assert response.headers["location"] == "/app/invoices"
    cookie = next(value for value in response.headers.get_list("set-cookie") if value.startswith(SESSION_COOKIE))
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"secure", "httponly", "path"} <= attributes
    assert "domain" not in attributes
    assert "samesite=lax" in cookie.lower()
    assert "path=/;" in cookie.lower() + ";"


async def test_a_wrong_password_and_an_unknown_e_mail_get_the_same_answer(
    app: FastAPI, engine: AsyncEngine, tenant: Tenant
) -> None:
    email = await make_user(engine, tenant)
    async with client_for(app) as http:
        wrong = await sign_in(http, email, "not the password at all")
        unknown = await sign_in(http, "nobody-here@example.com", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert "The e-mail or the password is not right." in wrong.text
    assert "The e-mail or the password is not right." in unknown.text
    assert SESSION_COOKIE not in wrong.headers.get("set-cookie", "")


async def test_signing_in_always_makes_a_new_session_so_a_planted_cookie_is_never_adopted(
    app: FastAPI, engine: AsyncEngine, tenant: Tenant
) -> None:
    email = await make_user(engine, tenant)
    async with client_for(app) as http:
        planted = {SESSION_COOKIE: "ses_planted-by-an-attacker"}
        first = _session_set_by(await sign_in(http, email, cookies=planted))
        second = _session_set_by(await sign_in(http, email, cookies=planted))
    assert first not in (None, "ses_planted-by-an-attacker")
    assert second not in (None, first)


def _session_set_by(response: httpx.Response) -> str | None:
    for value in response.headers.get_list("set-cookie"):
        if value.startswith(SESSION_COOKIE + "="):
            return value.split(";")[0].split("=", 1)[1]
    return None


async def test_a_form_without_the_csrf_token_or_with_another_is_refused_and_changes_nothing(
    owner: Person, engine: AsyncEngine
) -> None:
    await owner.get("/app/invoices")
    missing = await owner.http.post("/app/logout", data={})
    wrong = await owner.http.post("/app/logout", data={"csrf_token": "0" * 64})
    assert missing.status_code == wrong.status_code == 403
    async with transaction(engine, write=False) as connection:
        ended = (
            (
                await connection.execute(
                    select(user_sessions.c.ended_at).where(user_sessions.c.tenant_id == owner.tenant.id)
                )
            )
            .scalars()
            .all()
        )
    assert ended
    assert all(value is None for value in ended), "the session is still open"
    assert (await owner.get("/app/invoices")).status_code == 200


async def test_the_sign_in_form_needs_its_own_csrf_token(app: FastAPI, engine: AsyncEngine, tenant: Tenant) -> None:
    email = await make_user(engine, tenant)
    async with client_for(app) as http:
        await http.get("/app/login")
        response = await http.post("/app/login", data={"csrf_token": "forged", "email": email, "password": PASSWORD})
    assert response.status_code == 403
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


async def test_signing_out_ends_the_session_on_the_server_not_only_in_the_browser(owner: Person, app: FastAPI) -> None:
    cookie = owner.http.cookies.get(SESSION_COOKIE)
    assert cookie
    response = await owner.post("/app/logout")
    assert response.status_code == 303
    assert response.headers["location"] == "/app/login"
    async with client_for(app) as replay:
        assert (await replay.get("/app/invoices", cookies={SESSION_COOKIE: cookie})).status_code == 303


async def test_repeated_failed_sign_ins_are_slowed_down(
    settings: Settings, engine: AsyncEngine, tenant: Tenant
) -> None:
    from invoicing.app import create_app

    app = create_app(settings)
    app.state.engine = engine
    email = await make_user(engine, tenant)
    async with client_for(app) as http:
        answers = [(await sign_in(http, email, "wrong password here")).status_code for _ in range(6)]
        blocked = await sign_in(http, email)  # even the right password waits its turn
    assert answers[:5] == [401] * 5
    assert answers[5] == 429
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) > 0


async def test_every_page_sends_a_strict_content_security_policy(owner: Person, app: FastAPI) -> None:
    async with client_for(app) as anonymous:
        pages = [
            await anonymous.get("/app/login"),
            await owner.get("/app/invoices"),
            await owner.get("/app/static/app.css"),
        ]
    for response in pages:
        policy = response.headers["content-security-policy"]
        assert policy == CONTENT_SECURITY_POLICY
        assert "'unsafe-inline'" not in policy
        assert "'unsafe-eval'" not in policy
        assert "default-src 'none'" in policy
        assert "frame-ancestors 'none'" in policy


async def test_a_viewer_sees_the_list_but_is_offered_no_change(viewer: Person) -> None:
    response = await viewer.get("/app/invoices")
    assert response.status_code == 200
    assert "New invoice" not in response.text
