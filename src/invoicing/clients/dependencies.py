"""Who may manage a tenant's clients: a token with `clients:manage`, for its own tenant only.

Unsafe calls here take no Idempotency-Key: the answers to create and rotate-secret carry a new
secret, and a stored replay would keep that secret in the database in clear.
"""

from typing import Annotated

from fastapi import Depends

from invoicing.auth.dependencies import read_context_for, unkeyed_write_context_for
from invoicing.auth.scopes import CLIENTS_MANAGE
from invoicing.core.context import TenantContext

ClientsReadContext = Annotated[TenantContext, Depends(read_context_for(CLIENTS_MANAGE))]
ClientsWriteContext = Annotated[TenantContext, Depends(unkeyed_write_context_for(CLIENTS_MANAGE))]
