"""Capture the SQL the service sends for one cancel and one revert, with the values it binds, and
count its round trips to PostgreSQL.

The app runs in this process against the bench database; every asyncpg connection it uses is
watched: the engine's as its pool checks them out, and those of the hot path's own asyncpg pool
as it opens them (`invoicing.hotpath.pool.CONNECTION_HOOKS`, when that module exists). Nothing
is copied by hand, so the ceiling follows the hot path whatever it becomes.

Two sources see the statements, because neither sees them all:

- asyncpg's query logger (`Connection.add_query_logger`) sees what runs through a connection's
  own methods (`execute`, `fetch`, `fetchrow`, `fetchval`, `executemany`), the BEGIN and COMMIT
  of `Connection.transaction()` (which is how SQLAlchemy's adapter begins and commits) and an
  asyncpg pool's reset query, but nothing run through a `PreparedStatement` object;
- SQLAlchemy's adapter sends every statement through a `PreparedStatement`, so those are taken
  from its `after_cursor_execute`.

The logger is called soon after its statement has completed (`loop.call_soon`) and SQLAlchemy's
event right after its statement's answer came back, so for sequential code the list is in the
order the statements ran. Each asyncpg protocol also counts the statements it has executed,
whichever way they were sent; the capture checks that the two sources saw that many, so a
statement neither saw stops the harness rather than going uncounted.

One recorded statement is one round trip: sent, and its answer waited for. Statements are
prepared once per connection (the capture's uncaptured warm-up prepares them), so a Parse of its
own does not occur in the requests captured.
"""

import asyncio
import importlib
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import asyncpg
import asyncpg.pool
import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.databases import BenchDatabase
from invoicing.app import create_app
from invoicing.config import Settings

TRANSITIONS = {"cancel": "cancel", "revert": "revert-cancel"}  # direction -> path segment
HOT_POOL_MODULE = "invoicing.hotpath.pool"  # its CONNECTION_HOOKS are called for each new connection
ConnectionHook = Callable[[Any], Awaitable[None] | None]  # takes an asyncpg.Connection


@dataclass(frozen=True, slots=True)
class Statement:
    sql: str
    parameters: tuple[Any, ...]
    source: str  # "sqlalchemy" (its cursor) or "asyncpg" (a connection's own method)


@dataclass(frozen=True, slots=True)
class Request:
    """One transition as the service ran it, and the invoice facts its bound values may name."""

    invoice_id: int
    version_before: int
    statements: list[Statement]

    @property
    def version_after(self) -> int:
        return self.version_before + 1

    @property
    def round_trips(self) -> int:
        return len(self.statements)


@dataclass(slots=True)
class Capture:
    """Both directions on two invoices: values that differ between the two name per-invoice facts."""

    requests: dict[str, list[Request]] = field(default_factory=lambda: {direction: [] for direction in TRANSITIONS})

    def round_trips(self, direction: str) -> int:
        return max(request.round_trips for request in self.requests[direction])

    @property
    def round_trips_per_transition(self) -> int:
        """The most any captured transition made, BEGIN and COMMIT included."""
        return max(self.round_trips(direction) for direction in TRANSITIONS)


class CaptureError(RuntimeError):
    pass


class Recorder:
    """Records the statements of every watched asyncpg connection while `recording` is open."""

    def __init__(self) -> None:
        # connection -> the statements its protocol had executed when the recording began (or
        # when the connection was first watched during it)
        self._executed_before: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
        self._recorded: list[Statement] | None = None
        self._problems: list[str] = []  # raised when the recording ends (the logger runs in a loop callback)

    def watch(self, connection: Any) -> None:
        """An asyncpg connection (or a pool's proxy of one) to record from; watching it twice is once."""
        if isinstance(connection, asyncpg.pool.PoolConnectionProxy):
            connection = connection._con  # the proxy is released with its checkout; the connection stays
        if connection not in self._executed_before:
            connection.add_query_logger(self._logged)
            self._executed_before[connection] = _executed(connection)

    @contextmanager
    def watching(self, engine: AsyncEngine) -> Iterator[None]:
        """While open: every connection `engine` checks out is watched, and its statements recorded."""

        def checked_out(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
            self.watch(dbapi_connection.driver_connection)

        def executed(_conn: Any, _cursor: Any, sql: str, parameters: Any, _context: Any, executemany: bool) -> None:
            self._record(Statement(sql, tuple(parameters or ()), "sqlalchemy"), executemany=executemany)

        event.listen(engine.sync_engine, "checkout", checked_out)
        event.listen(engine.sync_engine, "after_cursor_execute", executed)
        try:
            yield
        finally:
            event.remove(engine.sync_engine, "after_cursor_execute", executed)
            event.remove(engine.sync_engine, "checkout", checked_out)

    @contextmanager
    def watching_hot_pool(self) -> Iterator[None]:
        """While open: every connection the hot path's own pool opens is watched (nothing happens
        while that pool does not exist)."""
        hooks = _hot_pool_hooks()
        if hooks is None:
            yield
            return
        hooks.append(self.watch)
        try:
            yield
        finally:
            hooks.remove(self.watch)

    @asynccontextmanager
    async def recording(self, what: str) -> AsyncIterator[list[Statement]]:
        """The statements run until the block ends, checked against what asyncpg executed on the
        watched connections. `what` names the request in errors."""
        await asyncio.sleep(0)  # the loggers' calls still due from before (call_soon) land outside
        for connection in self._executed_before:
            self._executed_before[connection] = _executed(connection)
        recorded: list[Statement] = []
        self._recorded, self._problems = recorded, []
        try:
            yield recorded
            await asyncio.sleep(0)  # and this block's last ones (its COMMIT's) inside
        finally:
            self._recorded = None
        if self._problems:
            raise CaptureError(f"{what}: " + "; ".join(self._problems))
        executed = sum(_executed(connection) - before for connection, before in self._executed_before.items())
        if executed != len(recorded) or not recorded:
            raise CaptureError(
                f"{what}: asyncpg executed {executed} statements on the watched connections; the capture saw "
                f"{len(recorded)}. A statement sent through a PreparedStatement object other than SQLAlchemy's "
                f"escapes asyncpg's query logger, and a connection opened elsewhere than the engine's pool or "
                f"{HOT_POOL_MODULE} is not watched (bench/capture.py)"
            )

    def _logged(self, record: Any) -> None:  # an asyncpg LoggedQuery
        # executemany logs its list of argument tuples; a single statement, the tuple of its arguments
        many = not isinstance(record.args, tuple)
        self._record(Statement(record.query, tuple(record.args), "asyncpg"), executemany=many)

    def _record(self, statement: Statement, *, executemany: bool) -> None:
        if self._recorded is None:
            return
        if executemany:
            self._problems.append(f"an executemany cannot be replayed by pgbench: {statement.sql}")
        self._recorded.append(statement)


def _executed(connection: Any) -> int:
    # The protocol's count of statements executed (what asyncpg's pool reads for max_queries):
    # one per simple query, bind-execute or executemany, whichever method sent it.
    return int(connection._protocol.queries_count)


def _hot_pool_hooks() -> list[ConnectionHook] | None:
    try:
        module = importlib.import_module(HOT_POOL_MODULE)
    except ModuleNotFoundError as error:
        if error.name not in ("invoicing.hotpath", HOT_POOL_MODULE):
            raise
        return None
    return cast("list[ConnectionHook] | None", getattr(module, "CONNECTION_HOOKS", None))


async def capture_transitions(database: BenchDatabase, token: str, tenant_id: int, invoice_ids: list[int]) -> Capture:
    """Cancels and reverts each invoice (issued, all of `tenant_id`); the second one is cycled
    once first so that its version differs from the first one's by more than one step, and so
    that every statement is prepared on its connection before anything is captured."""
    settings = Settings(database_url=database.url, app_database_url=None, rate_limit_per_second=0)
    recorder = Recorder()
    headers = {"Authorization": f"Bearer {token}", "X-Tenant": str(tenant_id)}
    result = Capture()
    with recorder.watching_hot_pool():
        app = create_app(settings)
        async with app.router.lifespan_context(app), _client(app) as client:
            with recorder.watching(app.state.engine):
                first, second = invoice_ids
                for direction in TRANSITIONS:  # the uncaptured warm-up cycle of the second invoice
                    await _transition(client, headers, second, direction)
                for invoice_id in (first, second):
                    for direction in TRANSITIONS:
                        version = await _version(database, invoice_id)
                        async with recorder.recording(f"{direction} of invoice {invoice_id}") as statements:
                            await _transition(client, headers, invoice_id, direction)
                        result.requests[direction].append(Request(invoice_id, version, list(statements)))
    return result


def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")


async def _transition(client: httpx.AsyncClient, headers: dict[str, str], invoice_id: int, direction: str) -> None:
    path = f"/api/v1/invoices/{invoice_id}/{TRANSITIONS[direction]}"
    response = await client.post(path, json={"id": invoice_id}, headers=headers)
    if response.status_code != 200:
        raise CaptureError(f"POST {path} answered {response.status_code}: {response.text[:300]}")


async def _version(database: BenchDatabase, invoice_id: int) -> int:
    connection = await asyncpg.connect(database.plain_postgres_url)
    try:
        version: int = await connection.fetchval("SELECT version FROM invoices WHERE id = $1", invoice_id)
        return version
    finally:
        await connection.close()
