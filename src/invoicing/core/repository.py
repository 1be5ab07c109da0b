"""The one place tenant scoping happens.

Every tenant-owned repository derives from `TenantScopedRepository` and builds its statements
with `select_from_table`, `update_table` and `insert_values`, which pin `tenant_id`. Another
tenant's row is therefore indistinguishable from a missing one (SPEC 5).
"""

from collections.abc import Mapping
from typing import Any, ClassVar

from sqlalchemy import Executable, Insert, RowMapping, Select, Table, Update, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

# A stored row as services see it: a RowMapping, or a dict of the same columns.
Record = Mapping[Any, Any]


async def fetch_one(connection: AsyncConnection, statement: Executable) -> RowMapping:
    row: RowMapping = (await connection.execute(statement)).mappings().one()
    return row


async def fetch_optional(connection: AsyncConnection, statement: Executable) -> RowMapping | None:
    row: RowMapping | None = (await connection.execute(statement)).mappings().first()
    return row


async def fetch_all(connection: AsyncConnection, statement: Executable) -> list[RowMapping]:
    return list((await connection.execute(statement)).mappings())


class TenantScopedRepository:
    table: ClassVar[Table]

    def __init__(self, connection: AsyncConnection, tenant_id: int) -> None:
        self.connection = connection
        self.tenant_id = tenant_id

    def tenant_filter(self, table: Table | None = None) -> ColumnElement[bool]:
        return (table if table is not None else self.table).c.tenant_id == self.tenant_id

    def select_from_table(self, *columns: Any, table: Table | None = None) -> Select[Any]:
        source = table if table is not None else self.table
        return select(*(columns or (source,))).where(self.tenant_filter(source))

    def update_table(self, table: Table | None = None) -> Update:
        source = table if table is not None else self.table
        return update(source).where(self.tenant_filter(source))

    def insert_values(self, table: Table | None = None, **values: Any) -> Insert:
        source = table if table is not None else self.table
        return insert(source).values(tenant_id=self.tenant_id, **values)
