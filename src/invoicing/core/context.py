from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.core.conditional import IfMatch


@dataclass(frozen=True, slots=True)
class TenantContext:
    """Who acts, for which tenant, inside which transaction. Services take this, not a request."""

    connection: AsyncConnection
    tenant_id: int
    actor: str
    request_id: str | None = None
    if_match: IfMatch | None = None  # the request's precondition on the resource it changes
