from typing import Any

from sqlalchemy import RowMapping, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.core.repository import fetch_all, fetch_one, fetch_optional
from invoicing.tenants.tables import tenants


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
