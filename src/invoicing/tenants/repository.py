from typing import Any

from sqlalchemy import RowMapping, delete, exists, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.core.repository import TenantScopedRepository, fetch_all, fetch_one, fetch_optional
from invoicing.invoices.tables import invoices
from invoicing.tenants.tables import tenant_logos, tenants


class TenantRepository:
    """Tenants are the root of scoping, so this repository is the one that is not scoped."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def insert(self, **values: Any) -> RowMapping:
        return await fetch_one(self.connection, insert(tenants).values(**values).returning(tenants))

    async def get(self, tenant_id: int) -> RowMapping | None:
        return await fetch_optional(self.connection, select(tenants).where(tenants.c.id == tenant_id))

    async def by_name(self, name: str) -> RowMapping | None:
        return await fetch_optional(
            self.connection, select(tenants).where(tenants.c.name == name).order_by(tenants.c.id)
        )

    async def all(self) -> list[RowMapping]:
        return await fetch_all(self.connection, select(tenants).order_by(tenants.c.id))

    async def update(self, tenant_id: int, **values: Any) -> RowMapping | None:
        """Only the profile's columns (`profile`, `tax_number`, `logo_sha256`, `updated_at`):
        on PostgreSQL the service may change no other (migration 0009)."""
        statement = update(tenants).where(tenants.c.id == tenant_id).values(**values).returning(tenants)
        return await fetch_optional(self.connection, statement)


class TenantLogoRepository(TenantScopedRepository):
    """A tenant's logos by the SHA-256 of their bytes."""

    table = tenant_logos

    async def logo(self, sha256: str) -> tuple[str, bytes] | None:
        """(media_type, bytes) of the tenant's logo with this digest, or None."""
        statement = self.select_from_table(tenant_logos.c.media_type, tenant_logos.c.data).where(
            tenant_logos.c.sha256 == sha256
        )
        row = await fetch_optional(self.connection, statement)
        return (row["media_type"], bytes(row["data"])) if row is not None else None

    async def describe(self, sha256: str) -> RowMapping | None:
        """Media type and size of a logo, without reading its bytes."""
        statement = self.select_from_table(
            tenant_logos.c.sha256, tenant_logos.c.media_type, func.length(tenant_logos.c.data).label("size")
        ).where(tenant_logos.c.sha256 == sha256)
        return await fetch_optional(self.connection, statement)

    async def keep(self, *, sha256: str, media_type: str, data: bytes, **values: Any) -> None:
        """Stores the logo unless the tenant has these bytes already (the digest says so)."""
        found = self.select_from_table(tenant_logos.c.sha256).where(tenant_logos.c.sha256 == sha256)
        if await fetch_optional(self.connection, found) is None:
            statement = self.insert_values(sha256=sha256, media_type=media_type, data=data, **values)
            await self.connection.execute(statement)

    async def discard_unless_frozen(self, sha256: str) -> None:
        """Deletes the logo unless an invoice froze it as its seller's (`invoices.seller` JSON
        holds the digest): an issued invoice's documents must keep their logo."""
        frozen = exists().where(
            self.tenant_filter(invoices), invoices.c.seller.is_not(None), invoices.c.seller.contains(sha256)
        )
        statement = delete(tenant_logos).where(self.tenant_filter(), tenant_logos.c.sha256 == sha256, ~frozen)
        await self.connection.execute(statement)
