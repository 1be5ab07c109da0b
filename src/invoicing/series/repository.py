from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from invoicing.core.ids import new_public_id
from invoicing.core.repository import TenantScopedRepository
from invoicing.series.tables import series, series_counters


class SeriesRepository(TenantScopedRepository):
    table = series

    async def insert(self, **values: Any) -> RowMapping:
        statement = self.insert_values(public_id=new_public_id(), **values).returning(series)
        return (await self.connection.execute(statement)).mappings().one()

    async def list(self) -> list[RowMapping]:
        return list((await self.connection.execute(self.select_from_table().order_by(series.c.id))).mappings())

    async def by_name(self, name: str) -> RowMapping | None:
        result = await self.connection.execute(self.select_from_table().where(series.c.name == name))
        return result.mappings().first()

    async def default(self) -> RowMapping | None:
        statement = self.select_from_table().where(series.c.is_default.is_(True)).order_by(series.c.id).limit(1)
        return (await self.connection.execute(statement)).mappings().first()

    async def clear_default(self) -> None:
        await self.connection.execute(self.update_table().values(is_default=False))

    async def next_number(self, series_id: int, year: int) -> int:
        """Take the next number of (series, year) inside the caller's transaction.

        One statement: the upsert creates the year's counter at 1 or increments it, and the row
        lock it takes (PostgreSQL) or the write lock already held (SQLite) makes concurrent
        issuers wait in turn. If the caller rolls back, the number is given back: no gaps.
        """
        insert = postgresql_insert if self.connection.dialect.name == "postgresql" else sqlite_insert
        statement = insert(series_counters).values(
            tenant_id=self.tenant_id, series_id=series_id, year=year, last_number=1
        )
        statement = statement.on_conflict_do_update(
            index_elements=[series_counters.c.tenant_id, series_counters.c.series_id, series_counters.c.year],
            set_={"last_number": series_counters.c.last_number + 1},
        ).returning(series_counters.c.last_number)
        return int((await self.connection.execute(statement)).scalar_one())


