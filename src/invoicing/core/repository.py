"""The one place tenant scoping happens.

Every tenant-owned repository derives from `TenantScopedRepository` and builds its statements
with `select_from_table`, `update_table` and `insert_values`, which pin `tenant_id`. Another
tenant's row is therefore indistinguishable from a missing one (SPEC 5).

Hot paths (one invoice read, locked or not; its lines; a transition) use statements built once
per process with `tenant_bound`, whose tenant the repository supplies at execution (`bound`):
building a statement and its cache key costs about 0.1 ms of Python every time, more than the
database spends on the query.
"""

from collections.abc import Mapping
from typing import Any, ClassVar

from sqlalchemy import (
    Executable,
    FromClause,
    Insert,
    RowMapping,
    Select,
    Table,
    Update,
    bindparam,
    column,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

# A stored row as services see it: a RowMapping, or a dict of the same columns.
Record = Mapping[Any, Any]
Params = Mapping[str, Any]

TENANT_ID = "bound_tenant_id"  # not a column name: update() reserves those


def tenant_bound(table: Table) -> ColumnElement[bool]:
    """The tenant filter of a statement built once: `TenantScopedRepository.bound` fills it in."""
    return table.c.tenant_id == bindparam(TENANT_ID, type_=table.c.tenant_id.type)


async def fetch_one(connection: AsyncConnection, statement: Executable, params: Params | None = None) -> RowMapping:
    row: RowMapping = (await connection.execute(statement, params)).mappings().one()
    return row


async def fetch_optional(
    connection: AsyncConnection, statement: Executable, params: Params | None = None
) -> RowMapping | None:
    row: RowMapping | None = (await connection.execute(statement, params)).mappings().first()
    return row


async def fetch_all(
    connection: AsyncConnection, statement: Executable, params: Params | None = None
) -> list[RowMapping]:
    return list((await connection.execute(statement, params)).mappings())


def lookup_before_tenant(table: Table, function: str, key: Any, *, postgresql: bool) -> FromClause:
    """`table`, or on PostgreSQL the SECURITY DEFINER `function(key)` that returns its rows with
    that key (migrations 0004 and 0014): the lookups that must work before the tenant is known,
    which row-level security would otherwise answer with nothing."""
    if not postgresql:
        return table
    columns = [column(c.name, c.type) for c in table.c]
    lookup: FromClause = getattr(func, function)(key).table_valued(*columns, name=table.name)
    return lookup


class TenantScopedRepository:
    table: ClassVar[Table]

    def __init__(self, connection: AsyncConnection, tenant_id: int) -> None:
        self.connection = connection
        self.tenant_id = tenant_id

    def bound(self, **params: Any) -> dict[str, Any]:
        """Parameters for a statement built with `tenant_bound`: this repository's tenant, and `params`."""
        return {TENANT_ID: self.tenant_id, **params}

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
