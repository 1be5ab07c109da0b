import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from invoicing.core.ids import new_public_id
from invoicing.core.repository import TenantScopedRepository, fetch_all, fetch_one, fetch_optional
from invoicing.series.tables import series, series_counters


class SeriesRepository(TenantScopedRepository):
    table = series

    async def insert(self, **values: Any) -> RowMapping:
        statement = self.insert_values(public_id=new_public_id(), **values).returning(series)
        return await fetch_one(self.connection, statement)

    async def list(self) -> list[RowMapping]:
        return await fetch_all(self.connection, self.select_from_table().order_by(series.c.id))

    async def by_name(self, name: str) -> RowMapping | None:
        return await fetch_optional(self.connection, self.select_from_table().where(series.c.name == name))

    async def default(self, kind: str = "invoice") -> RowMapping | None:
        statement = (
            self.select_from_table()
            .where(series.c.is_default.is_(True), series.c.kind == kind)
            .order_by(series.c.id)
            .limit(1)
        )
        return await fetch_optional(self.connection, statement)

    async def take_default_role(self, *, kind: str, at: datetime) -> None:
        """Clear the tenant's default of `kind`, holding the right to name the next one until commit.

        The partial unique index (migration 0006) allows one default per tenant. On PostgreSQL
        concurrent callers take turns on a transaction-scoped advisory lock of the tenant (no
        row works: the default row moves, and the service's role may not lock `tenants`), so
        each clears the default its predecessor committed and the last writer wins. SQLite
        needs none: BEGIN IMMEDIATE already runs writers one at a time.
        """
        if self.connection.dialect.name == "postgresql":
            digest = hashlib.sha256(f"default_series\x00{self.tenant_id}\x00{kind}".encode()).digest()
            lock_id = int.from_bytes(digest[:8], "big", signed=True)
            await self.connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})
        clear = (
            self.update_table()
            .where(series.c.is_default.is_(True), series.c.kind == kind)
            .values(is_default=False, updated_at=at)
        )
        await self.connection.execute(clear)

    async def next_number(self, series_id: int, year: int) -> int:
        """Take the next number of (series, year) inside the caller's transaction.

        One statement: the upsert creates the year's counter at 1 or increments it, and the row
        lock it takes (PostgreSQL) or the write lock already held (SQLite) makes concurrent
        issuers wait in turn. If the caller rolls back, the number is given back: no gaps.
        """
        values = {"tenant_id": self.tenant_id, "series_id": series_id, "year": year, "last_number": 1}
        conflict_target = [series_counters.c.tenant_id, series_counters.c.series_id, series_counters.c.year]
        increment = {"last_number": series_counters.c.last_number + 1}
        if self.connection.dialect.name == "postgresql":
            statement: Any = postgresql_insert(series_counters).values(**values)
        else:
            statement = sqlite_insert(series_counters).values(**values)
        upsert = statement.on_conflict_do_update(index_elements=conflict_target, set_=increment)
        return int((await self.connection.execute(upsert.returning(series_counters.c.last_number))).scalar_one())
