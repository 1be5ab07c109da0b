"""Who is calling, for which tenant, and the request's transaction: one dependency.

Authentication runs inside the request's own transaction (one pool checkout, one round trip
less than a separate lookup). The route owns that transaction and commits it after the
endpoint returned (core.request_transaction). A keyed unsafe request is checked against its
stored first response here, before the endpoint runs.
"""

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import WithJsonSchema
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import Response

from invoicing.auth.scopes import INVOICES_READ, INVOICES_WRITE
from invoicing.auth.service import InvalidToken, Principal, authenticate
from invoicing.core.clock import utc_now
from invoicing.core.conditional import IF_MATCH_PATTERN, parse_if_match
from invoicing.core.context import TenantContext
from invoicing.core.errors import Forbidden, Unauthenticated, Unprocessable
from invoicing.core.request_context import request_id_of
from invoicing.core.request_transaction import RequestTransaction
from invoicing.core.wire_types import MAX_ID
from invoicing.idempotency import service as idempotency

logger = logging.getLogger("invoicing.auth")

bearer_scheme = HTTPBearer(
    auto_error=False,
    description="A token from `POST /api/oauth/token` or `invoicing token create`.",
)

# Parsed by hand (not as `int`) so a missing or bad token answers 401 before the header's 422.
# Declared required in the OpenAPI document by core.openapi.
TenantHeader = Annotated[
    str | None,
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_ID}),
    Header(alias="X-Tenant", description="The tenant (a positive integer) the request acts for."),
]
IdempotencyKeyHeader = Annotated[
    str | None,
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 255, "pattern": idempotency.KEY_PATTERN}),
    Header(
        alias="Idempotency-Key",
        description="Unsafe requests: 1-255 printable characters. A retry with the same key replays the "
        "first response (`Idempotent-Replayed: true`) instead of acting twice.",
    ),
]
IfMatchHeader = Annotated[
    str | None,
    WithJsonSchema({"type": "string", "pattern": IF_MATCH_PATTERN}),
    Header(alias="If-Match", description="Invoice changes: proceed only if the ETag still matches (else 412)."),
]


def parse_tenant_header(value: str | None) -> int:
    if value is None or not value.strip():
        raise Unprocessable.field("X-Tenant", "The X-Tenant header is required.", code="tenant_required")
    text = value.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 16 or not 1 <= int(text) <= MAX_ID:
        raise Unprocessable.field("X-Tenant", "X-Tenant must be a positive integer.", code="tenant_invalid")
    return int(text)


def _logged(request: Request, refusal: Unauthenticated) -> Unauthenticated:
    # Never the token itself: only why (which the client is not told), and the request id to find it by.
    reason = refusal.reason if isinstance(refusal, InvalidToken) else refusal.error_code
    logger.warning("authentication failed: %s", reason, extra={"request_id": request_id_of(request)})
    return refusal


async def _authenticated(request: Request, connection: AsyncConnection, token: str) -> Principal:
    try:
        return await authenticate(connection, token, bind_tenant=True)
    except Unauthenticated as refusal:
        raise _logged(request, refusal) from None


async def _check_idempotency_key(
    request: Request,
    transaction: RequestTransaction,
    connection: AsyncConnection,
    *,
    tenant_id: int,
    caller: str,
    key_header: str,
) -> None:
    key = idempotency.validate_key(key_header)
    query = request.url.query
    body = await request.body()
    fingerprint = idempotency.fingerprint(request.method, request.url.path, query, body)
    pending = await idempotency.begin(
        connection, tenant_id=tenant_id, principal=caller, key=key, fingerprint=fingerprint, now=utc_now()
    )
    ttl = timedelta(seconds=request.app.state.settings.idempotency_key_ttl_seconds)

    async def store(connection: AsyncConnection, response: Response) -> None:
        await idempotency.remember(connection, pending, response, now=utc_now(), ttl=ttl)

    transaction.before_commit.append(store)


async def open_tenant_context(
    request: Request,
    *,
    token: str | None,
    scope: str,
    write: bool,
    tenant_header: str | None = None,
    idempotency_key: str | None = None,
    if_match: str | None = None,
) -> TenantContext:
    """Authenticate, fix the tenant, check the scope and the idempotency key, in the request's transaction.

    Every dialect calls this: the primary API names the tenant in `X-Tenant` (`tenant_header`);
    dialects whose vendor has no such header (HighLevel, FlowPayroll) pass None and act for the
    token's own tenant, the one tenant a token may act for.
    """
    if not token:  # refused before any transaction (or SQLite write lock) is taken
        raise _logged(request, Unauthenticated("A Bearer token is required in the Authorization header."))
    transaction: RequestTransaction = request.state.transaction
    connection = await transaction.open(write=write)
    # The token's own tenant is bound in the statement that finds the token (one round trip):
    # from here on the database itself shows and accepts only that tenant's rows (PostgreSQL
    # row-level security), whatever the queries say: the second wall behind the repositories.
    principal = await _authenticated(request, connection, token)
    request.state.token_id = principal.token_public_id  # for the request's log line (operations)
    tenant_id = principal.tenant_id if tenant_header is None else parse_tenant_header(tenant_header)
    if tenant_id != principal.tenant_id:
        raise Forbidden("This token may not act for that tenant.", code="tenant_forbidden")
    request.state.tenant_id = tenant_id
    if scope not in principal.scopes:
        raise Forbidden(f"This token lacks the {scope} scope.", code="insufficient_scope")
    if write and idempotency_key is not None:
        await _check_idempotency_key(
            request, transaction, connection, tenant_id=tenant_id, caller=principal.caller, key_header=idempotency_key
        )
    return TenantContext(
        connection, tenant_id, principal.actor, request_id_of(request), if_match=parse_if_match(if_match)
    )


def read_context_for(scope: str) -> Callable[..., Awaitable[TenantContext]]:
    async def open_primary_read_context(
        request: Request,
        x_tenant: TenantHeader = None,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)] = None,
    ) -> TenantContext:
        return await open_tenant_context(
            request,
            token=credentials.credentials.strip() if credentials else None,
            scope=scope,
            write=False,
            # X-Tenant is required here: an absent header must not fall back to the token's tenant.
            tenant_header=x_tenant if x_tenant is not None else "",
        )

    return open_primary_read_context


def write_context_for(scope: str) -> Callable[..., Awaitable[TenantContext]]:
    async def open_primary_write_context(
        request: Request,
        x_tenant: TenantHeader = None,
        idempotency_key: IdempotencyKeyHeader = None,
        if_match: IfMatchHeader = None,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)] = None,
    ) -> TenantContext:
        return await open_tenant_context(
            request,
            token=credentials.credentials.strip() if credentials else None,
            scope=scope,
            write=True,
            tenant_header=x_tenant if x_tenant is not None else "",
            idempotency_key=idempotency_key,
            if_match=if_match,
        )

    return open_primary_write_context


def unkeyed_write_context_for(scope: str) -> Callable[..., Awaitable[TenantContext]]:
    """A write context that takes no Idempotency-Key (nor If-Match): for calls whose answer
    carries a new secret, which a stored replay would keep in the database in clear."""

    async def open_unkeyed_write_context(
        request: Request,
        x_tenant: TenantHeader = None,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)] = None,
    ) -> TenantContext:
        return await open_tenant_context(
            request,
            token=credentials.credentials.strip() if credentials else None,
            scope=scope,
            write=True,
            tenant_header=x_tenant if x_tenant is not None else "",
        )

    return open_unkeyed_write_context


ReadContext = Annotated[TenantContext, Depends(read_context_for(INVOICES_READ))]
WriteContext = Annotated[TenantContext, Depends(write_context_for(INVOICES_WRITE))]
