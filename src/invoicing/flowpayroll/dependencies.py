"""`X-Auth-Token` to the tenant context: the token's own tenant, as FlowPayroll has no tenant header."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader

from invoicing.auth.credentials import auth_token
from invoicing.auth.dependencies import IdempotencyKeyHeader, open_tenant_context
from invoicing.auth.scopes import INVOICES_READ, INVOICES_WRITE
from invoicing.core.context import TenantContext

auth_token_scheme = APIKeyHeader(
    name="X-Auth-Token",
    auto_error=False,
    description="A token of this service (`POST /api/oauth/token` or `invoicing token create`).",
)

AuthToken = Annotated[str | None, Depends(auth_token_scheme)]


async def open_read_context(request: Request, token: AuthToken = None) -> TenantContext:
    return await open_tenant_context(
        request, token=auth_token(token), scope=INVOICES_READ, write=False, tenant_header=None
    )


async def open_write_context(
    request: Request, token: AuthToken = None, idempotency_key: IdempotencyKeyHeader = None
) -> TenantContext:
    return await open_tenant_context(
        request,
        token=auth_token(token),
        scope=INVOICES_WRITE,
        write=True,
        tenant_header=None,
        idempotency_key=idempotency_key,
        if_match=None,
    )


ReadContext = Annotated[TenantContext, Depends(open_read_context)]
WriteContext = Annotated[TenantContext, Depends(open_write_context)]
