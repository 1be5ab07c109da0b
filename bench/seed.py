"""Fresh bench databases: migrated by the project, tenants and tokens made by its services, rows bulk-loaded.

PostgreSQL loads with COPY (asyncpg's binary copy), SQLite with executemany in big batches; both
from the same generator (dataset.py), so the two databases hold the same invoices.
"""

import asyncio
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg

from bench.databases import BENCH_DATABASE, BenchDatabase, admin_url, migrate
from bench.dataset import COLUMNS, TABLES_WITH_IDS, Chunk, Dataset, Row
from bench.layout import Layout
from bench.tenants import BenchTenant, create_tenants

# Tables copied side by side, one connection each, so PostgreSQL spreads the load over its cores.
COPY_LANES = (("invoices",), ("invoice_lines",), ("invoice_events", "payments"))


@dataclass(frozen=True, slots=True)
class Seeded:
    tenants: list[BenchTenant]
    seconds: float
    size_mb: float

    def tokens_by_tenant(self) -> list[str]:
        return [tenant.token for tenant in sorted(self.tenants, key=lambda tenant: tenant.seed.tenant_id)]


async def seed(database: BenchDatabase, layout: Layout, progress: Callable[[str], None]) -> Seeded:
    started = time.monotonic()
    if database.kind == "postgresql":
        await _recreate_postgresql(database)
    else:
        _remove_sqlite(database)
    migrate(database)
    tenants = await create_tenants(database.url, layout.tenants)
    dataset = Dataset(layout, {tenant.seed.tenant_id: tenant.seed for tenant in tenants})
    if database.kind == "postgresql":
        size = await _load_postgresql(database, dataset, progress)
    else:
        size = _load_sqlite(database, dataset, progress)
    return Seeded(tenants=tenants, seconds=time.monotonic() - started, size_mb=size / 2**20)


# -- PostgreSQL -------------------------------------------------------------------------------


async def _recreate_postgresql(database: BenchDatabase) -> None:
    connection = await asyncpg.connect(admin_url(database))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{BENCH_DATABASE}"')
    finally:
        await connection.close()


async def _load_postgresql(database: BenchDatabase, dataset: Dataset, progress: Callable[[str], None]) -> int:
    connections = [await _loading_connection(database) for _ in COPY_LANES]
    try:
        await _copy(connections[0], "customers", dataset.customers())
        chunks = dataset.chunks()
        copying: Awaitable[Any] | None = None
        while True:
            # The next chunk is generated (a thread) while the previous one is copied (other cores).
            chunk = await asyncio.to_thread(next, chunks, None)
            if copying is not None:
                await copying
            if chunk is None:
                break
            progress(f"{chunk.last_invoice_id:,} invoices")
            copying = asyncio.gather(
                *(_copy_lane(connection, lane, chunk) for connection, lane in zip(connections, COPY_LANES, strict=True))
            )
        await _copy(connections[0], "series_counters", dataset.series_counters())
        return await _finish(connections[0], dataset)
    finally:
        for connection in connections:
            await connection.close()


async def _loading_connection(database: BenchDatabase) -> asyncpg.Connection:
    connection = await asyncpg.connect(database.plain_postgres_url)
    # The rows are valid by construction (dataset.py); checking each foreign key row by row
    # would double the load time. COPY also needs a role row-level security does not hold:
    # the DATABASE_URL user must be a superuser (or have BYPASSRLS), as the default postgres is.
    await connection.execute("SET session_replication_role = replica; SET synchronous_commit = off")
    return connection


async def _copy_lane(connection: asyncpg.Connection, tables: tuple[str, ...], chunk: Chunk) -> None:
    for table in tables:
        await _copy(connection, table, chunk.rows[table])


async def _finish(connection: asyncpg.Connection, dataset: Dataset) -> int:
    for table in TABLES_WITH_IDS:  # the service's own inserts continue after the seeded ids
        await connection.execute(f"ALTER TABLE {table} ALTER COLUMN id RESTART WITH {dataset.next_id[table]}")
    await connection.execute("RESET session_replication_role")
    # The load ran with triggers off: each row's kept representation (the hot path's, migration
    # 0013) is rendered now, as `invoicing migrate` renders the rows an upgrade finds.
    await connection.execute("SELECT invoicing_hot_render_stale()")
    await connection.execute("VACUUM ANALYZE")
    size: int = await connection.fetchval("SELECT pg_database_size(current_database())")
    return size


async def _copy(connection: asyncpg.Connection, table: str, rows: list[Row]) -> None:
    if rows:
        await connection.copy_records_to_table(table, records=rows, columns=list(COLUMNS[table]))


# -- SQLite -----------------------------------------------------------------------------------

# How SQLAlchemy stores these types on SQLite (see core/types.py): money as text, UTC as naive text.
sqlite3.register_adapter(Decimal, str)
sqlite3.register_adapter(date, date.isoformat)
sqlite3.register_adapter(datetime, lambda moment: moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"))


def _remove_sqlite(database: BenchDatabase) -> None:
    path = _sqlite_path(database)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _sqlite_path(database: BenchDatabase) -> Path:
    return Path(database.url.removeprefix("sqlite:///"))


def _load_sqlite(database: BenchDatabase, dataset: Dataset, progress: Callable[[str], None]) -> int:
    path = _sqlite_path(database)
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        # One bulk transaction, no fsync per batch: the file is made for the benchmark alone.
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("BEGIN")
        _insert(connection, "customers", dataset.customers())
        for chunk in dataset.chunks():
            _insert_chunk(connection, chunk)
            progress(f"{chunk.last_invoice_id:,} invoices")
        _insert(connection, "series_counters", dataset.series_counters())
        connection.execute("COMMIT")
        connection.execute("ANALYZE")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    return path.stat().st_size


def _insert_chunk(connection: sqlite3.Connection, chunk: Chunk) -> None:
    for table in ("invoices", "invoice_lines", "invoice_events", "payments"):
        _insert(connection, table, chunk.rows[table])


def _insert(connection: sqlite3.Connection, table: str, rows: list[Row]) -> None:
    columns = COLUMNS[table]
    placeholders = ", ".join("?" for _ in columns)
    connection.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows)  # noqa: S608
