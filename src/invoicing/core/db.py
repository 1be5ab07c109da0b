"""Engine set-up and the one way to open a transaction.

SQLite and PostgreSQL differ in how writers serialise: PostgreSQL locks rows, SQLite locks the
whole file. A SQLite transaction that starts as a reader and later writes can fail with
SQLITE_BUSY without waiting (the lock upgrade ignores busy_timeout), so every write
transaction on SQLite begins with BEGIN IMMEDIATE and waits its turn instead.

On PostgreSQL the service acts as `APP_ROLE`, which owns nothing and is held to the tables'
row-level security policies: an engine made with `role=APP_ROLE` sets that role when each
connection starts, and `set_tenant` names the tenant the current transaction acts for.
Migrations and the operator's commands use the login user (the tables' owner).
"""

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

logger = logging.getLogger("invoicing.db")

SQLITE_BUSY_TIMEOUT_MS = 30_000
WRITE_OPTION = "invoicing_write"
# The PostgreSQL role the service acts as (created by migration 0004), and the setting its
# row-level security policies read the current tenant from.
APP_ROLE = "invoicing_app"
TENANT_SETTING = "app.tenant_id"


def async_url(database_url: str) -> URL:
    """Map the user-facing URL (`sqlite:///…`, `postgresql://…`) to its asyncio driver."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        url = url.set(drivername="sqlite+aiosqlite")
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    elif backend in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+asyncpg")
    else:
        raise ValueError(f"unsupported database {backend!r}: use sqlite:/// or postgresql://")
    return url


def create_engine(
    database_url: str, *, pool_size: int = 10, pool_timeout: float = 30, role: str | None = None
) -> AsyncEngine:
    """`role` (PostgreSQL only): the role every connection acts as from its start, e.g. APP_ROLE.

    It is sent as a startup parameter, so it is in force before the first statement, and
    `RESET ROLE` / `RESET ALL` return to it rather than to the login user. Logging in as the
    role itself makes it a no-op; otherwise the login user must be a member of it.
    """
    url = async_url(database_url)
    if url.get_backend_name() == "sqlite":
        engine = create_async_engine(url, pool_size=pool_size, max_overflow=0, pool_timeout=pool_timeout)
        _configure_sqlite(engine)
        return engine
    # asyncpg prepares each statement once per connection; the cache keeps them.
    connect_args: dict[str, Any] = {"statement_cache_size": 512}
    if role is not None:
        connect_args["server_settings"] = {"role": role}
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=pool_timeout,
        pool_pre_ping=False,
        connect_args=connect_args,
    )


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module; `on_begin` issues BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # FULL: with WAL, NORMAL may lose the last commits on power loss after the client saw 2xx.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


# SQLite takes one writer at a time. Writers of one process queue here, in order, rather than
# in SQLite's busy handler, which sleeps and retries (p99 latencies of a second under load) and
# holds a pooled connection while it waits. Other processes still meet the busy handler.
_SQLITE_WRITERS: "weakref.WeakKeyDictionary[Any, asyncio.Lock]" = weakref.WeakKeyDictionary()


@asynccontextmanager
async def _writer_turn(engine: AsyncEngine, *, write: bool) -> AsyncIterator[None]:
    if not write or engine.dialect.name != "sqlite":
        yield
        return
    lock = _SQLITE_WRITERS.setdefault(engine.sync_engine, asyncio.Lock())
    async with lock:
        yield


@asynccontextmanager
async def transaction(engine: AsyncEngine, *, write: bool) -> AsyncIterator[AsyncConnection]:
    """One transaction: committed when the block ends normally, rolled back on any exception.

    Hooks registered with `before_commit` run, in order, when the block has ended normally,
    still inside the transaction (a hook that fails rolls it back). Callbacks registered with
    `after_commit` run once it has committed, and are dropped if it rolls back.
    """
    async with _writer_turn(engine, write=write), engine.connect() as connection:
        if write:
            connection = await connection.execution_options(**{WRITE_OPTION: True})
        # `info` belongs to the pooled DBAPI connection and outlives this checkout: the state is
        # made fresh here and removed below, so nothing of one transaction reaches the next.
        state = connection.info[TRANSACTION_STATE] = TransactionState()
        try:
            async with connection.begin():
                yield connection
                await state.run_before_commit(connection)
        finally:
            del connection.info[TRANSACTION_STATE]
        for callback in state.after_commit:
            callback()


TRANSACTION_STATE = "invoicing_transaction"
Hook = Callable[[AsyncConnection], Awaitable[None]]


@dataclass(slots=True)
class TransactionState:
    """What features attach to one `transaction`: hooks to run before and after it commits, and
    values they keep until then (`local`)."""

    before_commit: dict[str, Hook] = field(default_factory=dict)
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    local: dict[str, Any] = field(default_factory=dict)

    async def run_before_commit(self, connection: AsyncConnection) -> None:
        """Each hook once, in order; a hook may register another, which runs too."""
        done: set[str] = set()
        while pending := [key for key in self.before_commit if key not in done]:
            for key in pending:
                done.add(key)
                await self.before_commit[key](connection)


def transaction_state(connection: AsyncConnection) -> TransactionState:
    """The state of the `transaction` `connection` is in; RuntimeError outside one (a change made
    there would commit without what its hooks write, e.g. its outbox messages)."""
    state = connection.info.get(TRANSACTION_STATE)
    if state is None:
        raise RuntimeError("not inside invoicing.core.db.transaction: its hooks would never run")
    return cast(TransactionState, state)


def before_commit(connection: AsyncConnection, key: str, hook: Hook) -> None:
    """Runs `hook` once, just before the transaction of `connection` commits (in it: what it
    writes commits with the rest, and a hook that raises rolls everything back). Registering
    under a `key` already registered does nothing, so a feature may ask at every change and
    still run once."""
    transaction_state(connection).before_commit.setdefault(key, hook)


def after_commit(connection: AsyncConnection, callback: Callable[[], None]) -> None:
    """Runs `callback` (quick, not failing: a metric) once the transaction of `connection` has
    committed; never if it rolls back."""
    state = connection.info.get(TRANSACTION_STATE)
    if state is not None:  # outside `transaction` (a test's own connection) nothing commits for it to follow
        cast(TransactionState, state).after_commit.append(callback)


def is_postgresql(connection: AsyncConnection) -> bool:
    return connection.dialect.name == "postgresql"


async def set_tenant(connection: AsyncConnection, tenant_id: int) -> None:
    """Names the tenant this transaction acts for; PostgreSQL's policies show and accept only its rows.

    Transaction-local (`set_config(..., true)`): it ends with the transaction, so a pooled
    connection never carries one request's tenant into the next. Without it the policies match
    no row at all. A no-op on SQLite, where the repositories' tenant filter is the only wall.
    """
    if is_postgresql(connection):
        await connection.execute(
            text("SELECT set_config(:setting, :tenant_id, true)"),
            {"setting": TENANT_SETTING, "tenant_id": str(int(tenant_id))},
        )


class UnsafeDatabaseRole(RuntimeError):
    """The service would run as a role row-level security does not hold."""


# Why a role would not be held by row-level security: one row for the role acting, one for the login user.
ROLE_CHECK = text(
    """
    SELECT who.kind, r.rolname AS role, array_remove(ARRAY[
        CASE WHEN r.rolsuper THEN 'is a superuser' END,
        CASE WHEN r.rolbypassrls THEN 'has BYPASSRLS' END,
        CASE WHEN EXISTS (
            SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
              AND pg_has_role(r.oid, c.relowner, 'MEMBER')
        ) THEN 'owns tables (or is a member of their owner)' END
    ], NULL) AS problems
    FROM (VALUES ('acting', current_user), ('login', session_user)) AS who(kind, name)
    JOIN pg_roles r ON r.rolname = who.name
    """
)


async def check_app_role(engine: AsyncEngine) -> None:
    """PostgreSQL: refuse to serve as a superuser, a BYPASSRLS role, or a table owner (or a member of one).

    Any of those would see every tenant's rows whatever the policies say. Acting as the role
    by SET ROLE from a login user that is one of those is allowed (it is how DATABASE_URL alone
    serves) but warned about: SQL run on the connection could switch back.
    """
    if engine.dialect.name != "postgresql":
        return
    try:
        async with engine.connect() as connection:
            rows = {row["kind"]: row for row in (await connection.execute(ROLE_CHECK)).mappings()}
    except DBAPIError as error:
        raise UnsafeDatabaseRole(
            f"cannot act as PostgreSQL role {APP_ROLE!r} ({error.orig}). Run `invoicing migrate` first (it creates "
            "the role), and connect as that role or as a member of it (the user that ran the migrations is one)."
        ) from error
    acting, login = rows["acting"], rows["login"]
    if acting["problems"]:
        raise UnsafeDatabaseRole(
            f"refusing to serve as PostgreSQL role {acting['role']!r}: it {', '.join(acting['problems'])}, so "
            "row-level security would not hold it. See docs/postgresql.md, 'PostgreSQL roles and row-level security'."
        )
    if login["problems"]:
        logger.warning(
            "acting as PostgreSQL role %r by SET ROLE from login user %r, which %s: SQL on these connections "
            "could switch back. In production set APP_DATABASE_URL to log in as %r (docs/postgresql.md, "
            "'PostgreSQL roles and row-level security').",
            acting["role"],
            login["role"],
            ", ".join(login["problems"]),
            APP_ROLE,
        )
