"""The dashboard application, mounted at /app: its pages, static files and error pages."""

from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from starlette.datastructures import State
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from invoicing.core.conditional import PreconditionFailed
from invoicing.core.errors import DomainError
from invoicing.dashboard import (
    auth_pages,
    credit_note_actions,
    customers,
    drafts,
    invoice_actions,
    invoice_list,
    invoice_page,
    reports,
    settings_pages,
    settings_profile,
    settings_tokens,
    settings_users,
    settings_webhooks,
)
from invoicing.dashboard.context import CsrfRejected, SignInRequired
from invoicing.dashboard.security import PAGE_HEADERS
from invoicing.dashboard.templating import base_path, render
from invoicing.dashboard.throttle import SignInThrottle

DASHBOARD_PREFIX = "/app"
ROUTERS = (
    auth_pages.router,
    invoice_list.router,
    invoice_page.router,
    invoice_actions.router,
    credit_note_actions.router,
    drafts.router,
    customers.router,
    settings_pages.router,
    settings_profile.router,
    settings_tokens.router,
    settings_webhooks.router,
    settings_users.router,
    reports.router,
)


class StaticAssets(StaticFiles):
    """The stylesheet and scripts, under the pages' own security headers (and cacheable: their
    names change with their content's version)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update({**PAGE_HEADERS, "Cache-Control": "public, max-age=3600"})
        return response


def create_dashboard_app(parent_state: State) -> FastAPI:
    app = FastAPI(title="Invoicing dashboard", openapi_url=None, docs_url=None, redoc_url=None)
    app.state = parent_state
    parent_state.sign_in_throttle = SignInThrottle()
    app.mount("/static", StaticAssets(packages=[("invoicing.dashboard", "static")]), name="static")
    for router in ROUTERS:
        app.include_router(router)

    @app.exception_handler(SignInRequired)
    async def to_sign_in(request: Request, exc: Exception) -> Response:
        if request.headers.get("HX-Request"):
            return Response(status_code=401, headers={"HX-Redirect": f"{base_path(request)}/login"})
        return RedirectResponse(f"{base_path(request)}/login", status_code=303, headers=PAGE_HEADERS)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: Exception) -> Response:
        # Routing's own answers (no such page, a method the page does not take) as pages too,
        # under the same headers as every other page, not FastAPI's JSON.
        assert isinstance(exc, StarletteHTTPException)
        title = {404: "Not found", 405: "Not allowed"}.get(exc.status_code, "Something went wrong")
        detail = "There is no such page." if exc.status_code == 404 else str(exc.detail)
        return render(request, "error.html", status_code=exc.status_code, title=title, detail=detail)

    @app.exception_handler(CsrfRejected)
    async def csrf_rejected(request: Request, exc: Exception) -> Response:
        detail = "This form has expired or did not come from this site. Reload the page and try again."
        return render(request, "error.html", status_code=403, title="Form refused", detail=detail)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DomainError)
        stale = isinstance(exc, PreconditionFailed)
        title = "Someone changed this since you opened it" if stale else _title(exc)
        return render(
            request,
            "error.html",
            status_code=exc.status,
            title=title,
            detail=exc.detail,
            errors=exc.errors or {},
            stale=stale,
            back=_back(request),
        )

    return app


def _back(request: Request) -> str:
    """The page the person came from, if it is one of the dashboard's own (never another site's)."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.url.netloc or not referer.path.startswith(base_path(request) + "/"):
        return ""
    return referer.path + (f"?{referer.query}" if referer.query else "")


def _title(error: DomainError) -> str:
    if error.status == 404:
        return "Not found"
    if error.status == 403:
        return "Not allowed"
    if error.status == 409:
        return "This cannot be done now"
    return "Please check what you entered" if error.status == 422 else error.title
