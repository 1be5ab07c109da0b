"""Signing in and out."""

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from invoicing.core.db import transaction
from invoicing.core.errors import Unauthenticated
from invoicing.core.rate_limit import client_address
from invoicing.dashboard.context import CsrfRejected, settings_of, signed_in
from invoicing.dashboard.security import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    PAGE_HEADERS,
    clear_session_cookie,
    new_login_csrf,
    set_login_csrf_cookie,
    set_session_cookie,
    tokens_match,
)
from invoicing.dashboard.templating import base_path, render
from invoicing.users.service import sign_in, sign_out

router = APIRouter()


@router.get("/")
async def home(request: Request) -> Response:
    return RedirectResponse(f"{base_path(request)}/invoices", status_code=303, headers=PAGE_HEADERS)


@router.get("/login")
async def login_form(request: Request) -> Response:
    return _form(request)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    email, password = str(form.get("email", "")), str(form.get("password", ""))
    tenant = str(form.get("tenant", "")).strip()
    if not tokens_match(request.cookies.get(LOGIN_CSRF_COOKIE), str(form.get(CSRF_FIELD, ""))):
        raise CsrfRejected
    throttle, address = request.app.state.sign_in_throttle, client_address(request.scope).decode()
    wait = throttle.wait(email=email, address=address)
    if wait is not None:
        message = f"Too many failed sign-ins. Try again in {wait} seconds."
        return _form(request, email=email, error=message, status_code=429, headers={"Retry-After": str(wait)})
    secure = settings_of(request).dashboard_secure_cookies
    try:
        async with transaction(request.app.state.engine, write=True) as connection:
            opened = await sign_in(
                connection, email=email, password=password, tenant_id=int(tenant) if tenant.isdigit() else None
            )
    except Unauthenticated as error:
        throttle.failed(email=email, address=address)
        return _form(request, email=email, error=error.detail, status_code=401)
    response = RedirectResponse(f"{base_path(request)}/invoices", status_code=303, headers=PAGE_HEADERS)
    set_session_cookie(response, opened.token, secure=secure)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=base_path(request) or "/")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    async with signed_in(request, write=True) as page:
        await sign_out(page.context.connection, page.user)
    response = RedirectResponse(f"{base_path(request)}/login", status_code=303, headers=PAGE_HEADERS)
    clear_session_cookie(response, secure=settings_of(request).dashboard_secure_cookies)
    return response


def _form(
    request: Request,
    *,
    email: str = "",
    error: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    token = new_login_csrf()
    response = render(request, "login.html", status_code=status_code, csrf=token, email=email, error=error)
    response.headers.update(headers or {})
    secure = settings_of(request).dashboard_secure_cookies
    set_login_csrf_cookie(response, token, path=base_path(request) or "/", secure=secure)
    return response
