"""The tenant's API tokens: the list, a new one (its secret shown once), revoking one.

Owner-only even to read: the list tells which integrations exist and what they may do. A new
token's secret is in the answer to the POST that makes it and nowhere else: not in a redirect's
URL, not stored (only its hash is, as `invoicing token create` does).
"""

from datetime import datetime

from fastapi import APIRouter, Request
from sqlalchemy import RowMapping
from starlette.responses import Response

from invoicing.auth import service as auth
from invoicing.auth.scopes import ALL_SCOPES, CLIENTS_MANAGE, DEFAULT_SCOPES, TENANT_MANAGE
from invoicing.core.clock import utc_now
from invoicing.core.errors import Unprocessable
from invoicing.dashboard.context import signed_in
from invoicing.dashboard.settings_pages import FormRefused, refusing, render_settings, see_other, submitted
from invoicing.users.roles import Permission

router = APIRouter()

TOKENS_SHOWN = 200  # the newest; OAuth clients mint many short-lived ones
MAX_EXPIRY_DAYS = 3650
SCOPE_DESCRIPTIONS = {
    "invoices:read": "Read invoices, customers, payments and documents.",
    "invoices:write": "Create and change invoices, customers and payments.",
    CLIENTS_MANAGE: "Manage OAuth clients (and so act as any of them). Give it only to an admin tool.",
    TENANT_MANAGE: "Change this profile and logo, and the webhook endpoints.",
}


def token_state(row: RowMapping, now: datetime) -> str:
    if row["revoked_at"] is not None:
        return "revoked"
    if row["expires_at"] is not None and row["expires_at"] <= now:
        return "expired"
    return "active"


def requested_scopes(values: list[str]) -> tuple[str, ...]:
    if not values:
        raise Unprocessable.field("scopes", "Choose at least one scope.")
    unknown = [value for value in values if value not in ALL_SCOPES]
    if unknown:
        raise Unprocessable.field("scopes", f"Unknown scope: {', '.join(unknown)}.")
    return tuple(scope for scope in ALL_SCOPES if scope in values)


def expiry_seconds(text: str) -> int | None:
    days = text.strip()
    if not days:
        return None
    if not days.isdigit() or not 1 <= int(days) <= MAX_EXPIRY_DAYS:
        raise Unprocessable.field(
            "expires_in_days", f"Enter a whole number of days, 1 to {MAX_EXPIRY_DAYS}, or leave it blank."
        )
    return int(days) * 86_400


async def _tokens_page(request: Request, *, refused: FormRefused | None = None) -> Response:
    async with signed_in(request, permission=Permission.ADMINISTER) as page:
        rows = await auth.list_tenant_tokens(
            page.context.connection, tenant_id=page.context.tenant_id, limit=TOKENS_SHOWN
        )
        now = utc_now()
        chosen = page.form.getlist("scopes") if refused and page.form is not None else list(DEFAULT_SCOPES)
        return render_settings(
            page,
            "settings/tokens.html",
            refused=refused,
            tokens=[{**row, "state": token_state(row, now), "scope_list": row["scopes"].split()} for row in rows],
            shown=TOKENS_SHOWN,
            scopes=SCOPE_DESCRIPTIONS,
            chosen=chosen,
            values=submitted(page) if refused else {},
        )


@router.get("/settings/tokens")
async def tokens_page(request: Request) -> Response:
    return await _tokens_page(request)


@router.post("/settings/tokens")
async def create_token(request: Request) -> Response:
    try:
        async with signed_in(request, write=True, permission=Permission.ADMINISTER) as page, refusing():
            assert page.form is not None
            scopes = requested_scopes([value for value in page.form.getlist("scopes") if isinstance(value, str)])
            issued = await auth.create_token(
                page.context.connection,
                tenant_id=page.context.tenant_id,
                scopes=scopes,
                expires_in=expiry_seconds(page.field("expires_in_days")),
            )
            token = await auth.get_tenant_token(
                page.context.connection, tenant_id=page.context.tenant_id, public_id=issued.public_id
            )
            # 200, not a redirect: the secret is in this page only (PAGE_HEADERS: no-store).
            return render_settings(page, "settings/token_created.html", issued=issued, token=token)
    except FormRefused as refused:
        return await _tokens_page(request, refused=refused)


@router.get("/settings/tokens/{public_id}/revoke")
async def confirm_revoke(request: Request, public_id: str) -> Response:
    async with signed_in(request, permission=Permission.ADMINISTER) as page:
        token = await auth.get_tenant_token(
            page.context.connection, tenant_id=page.context.tenant_id, public_id=public_id
        )
        return render_settings(page, "settings/token_revoke.html", token=token)


@router.post("/settings/tokens/{public_id}/revoke")
async def revoke_token(request: Request, public_id: str) -> Response:
    async with signed_in(request, write=True, permission=Permission.ADMINISTER) as page:
        await auth.revoke_tenant_token(page.context.connection, tenant_id=page.context.tenant_id, public_id=public_id)
    return see_other(request, "/settings/tokens", notice="token-revoked")
