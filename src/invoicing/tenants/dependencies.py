"""Who may change the tenant's profile and logo: a token with `tenant:manage`, for its own tenant.
Reading them needs only `invoices:read`: they are what every invoice of the tenant shows."""

from typing import Annotated

from fastapi import Depends

from invoicing.auth.dependencies import write_context_for
from invoicing.auth.scopes import TENANT_MANAGE
from invoicing.core.context import TenantContext

TenantManageContext = Annotated[TenantContext, Depends(write_context_for(TENANT_MANAGE))]
