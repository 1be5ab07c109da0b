"""Who may manage a tenant's clients: a token with `clients:manage`, for its own tenant only.

Unsafe calls here take no Idempotency-Key: the answers to create and rotate-secret carry a new
secret, and a stored replay would keep that secret in the database in clear.
"""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from invoicing.auth.dependencies import TenantHeader, bearer_scheme, open_tenant_context, read_context_for
from invoicing.auth.scopes import CLIENTS_MANAGE
from invoicing.core.context import TenantContext

Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


async def open_clients_write_context(
    request: Request, x_tenant: TenantHeader = None, credentials: Credentials = None
) -> TenantContext:
    # The primary API's write context, less its Idempotency-Key (see above).
    return await open_tenant_context(
        request,
        token=credentials.credentials.strip() if credentials else None,
        scope=CLIENTS_MANAGE,
        write=True,
        tenant_header=x_tenant if x_tenant is not None else "",
    )


ClientsReadContext = Annotated[TenantContext, Depends(read_context_for(CLIENTS_MANAGE))]
ClientsWriteContext = Annotated[TenantContext, Depends(open_clients_write_context)]
