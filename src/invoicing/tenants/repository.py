from typing import Any

from sqlalchemy import RowMapping, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.tenants.tables import tenants


class TenantRepository:
    """Tenants are the root of scoping, so this repository is the one that is not scoped."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def insert(self, **values: Any) -> RowMapping:
        return (await self.connection.execute(insert(tenants).values(**values).returning(tenants))).mappings().one()

    async def get(self, tenant_id: int) -> RowMapping | None:
        result = await self.connection.execute(select(tenants).where(tenants.c.id == tenant_id))
        return result.mappings().first()

    async def by_name(self, name: str) -> RowMapping | None:
        result = await self.connection.execute(select(tenants).where(tenants.c.name == name).order_by(tenants.c.id))
        return result.mappings().first()

    async def all(self) -> list[RowMapping]:
        return list((await self.connection.execute(select(tenants).order_by(tenants.c.id))).mappings())
