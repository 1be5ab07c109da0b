from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(frozen=True, slots=True)
class TenantContext:
    """Who acts, for which tenant, inside which transaction. Services take this, not a request."""

    connection: AsyncConnection
    tenant_id: int
    actor: str
    request_id: str | None = None
