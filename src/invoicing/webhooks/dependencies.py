"""Who may manage a tenant's webhook endpoints: a token with `tenant:manage`, for its own tenant.

Create and rotate-secret take no Idempotency-Key: their answers carry a new secret, and a stored
replay would keep that secret in the database in clear (as for OAuth clients). The other
changes take Idempotency-Key and If-Match.
"""

from typing import Annotated

from fastapi import Depends

from invoicing.auth.dependencies import read_context_for, unkeyed_write_context_for, write_context_for
from invoicing.auth.scopes import TENANT_MANAGE
from invoicing.core.context import TenantContext

WebhooksReadContext = Annotated[TenantContext, Depends(read_context_for(TENANT_MANAGE))]
WebhooksWriteContext = Annotated[TenantContext, Depends(write_context_for(TENANT_MANAGE))]
WebhooksSecretContext = Annotated[TenantContext, Depends(unkeyed_write_context_for(TENANT_MANAGE))]
