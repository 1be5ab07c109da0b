"""A page's one transaction, as the signed-in person: the dashboard's `TenantContext`.

`signed_in(request, write=...)` opens the transaction, resumes the session from its cookie
(which binds the tenant, so row-level security holds the page exactly as it holds the API) and
yields a `Page`. A POST is checked first: the CSRF token must match the session's, else 403
before anything is read. Without a session a page raises `SignInRequired` (a redirect to the
sign-in form); without the permission, `Forbidden`.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace

from sqlalchemy import RowMapping
from starlette.datastructures import FormData
from starlette.requests import Request

from invoicing.config import Settings
from invoicing.core.conditional import IfMatch, entity_tag
from invoicing.core.context import TenantContext
from invoicing.core.db import transaction
from invoicing.core.errors import Forbidden
from invoicing.core.request_context import request_id_of
from invoicing.dashboard.security import CSRF_FIELD, session_token_of, tokens_match
from invoicing.tenants.service import get_tenant
from invoicing.users.roles import Permission, may
from invoicing.users.service import SignedIn, csrf_token, resume_session


class SignInRequired(Exception):
    """No open session: the page sends the browser to the sign-in form."""


class CsrfRejected(Exception):
    """A form posted without this session's CSRF token."""


@dataclass(frozen=True, slots=True)
class Page:
    request: Request
    user: SignedIn
    context: TenantContext
    tenant: RowMapping
    csrf: str
    form: FormData | None = None

    def may(self, permission: Permission) -> bool:
        return may(self.user.role, permission)

    def require(self, permission: Permission) -> None:
        if not self.may(permission):
            raise Forbidden("Your role does not allow this change.", code="role_forbids")

    def field(self, name: str, default: str = "") -> str:
        value = self.form.get(name, default) if self.form is not None else default
        return value if isinstance(value, str) else default

    def expecting(self, version_field: str = "version") -> TenantContext:
        """The context with the form's version as If-Match: a change to what the person saw
        fails with 412 if someone changed it since (the page offers to reload)."""
        version = self.field(version_field)
        if not version.isdigit():
            return self.context
        return replace(self.context, if_match=IfMatch(any=False, tags=frozenset({entity_tag(int(version))})))


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@asynccontextmanager
async def signed_in(
    request: Request, *, write: bool = False, permission: Permission = Permission.READ
) -> AsyncIterator[Page]:
    secure = settings_of(request).dashboard_secure_cookies
    token = session_token_of(request, secure=secure)
    form = None
    if request.method == "POST":
        form = await request.form()
        if token is None or not tokens_match(csrf_token(token), _text(form.get(CSRF_FIELD))):
            raise CsrfRejected
    if token is None:
        raise SignInRequired
    async with transaction(request.app.state.engine, write=write) as connection:
        user = await resume_session(connection, token)
        if user is None:
            raise SignInRequired
        tenant = await get_tenant(connection, user.tenant_id)
        assert tenant is not None  # the session's own tenant: deleted tenants take their sessions along
        context = TenantContext(
            connection=connection, tenant_id=user.tenant_id, actor=user.actor, request_id=request_id_of(request)
        )
        page = Page(request=request, user=user, context=context, tenant=tenant, csrf=csrf_token(token), form=form)
        page.require(permission)
        yield page


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
