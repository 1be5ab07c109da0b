"""`make bench`'s capture counts round trips at the asyncpg level: SQLAlchemy's statements, their
BEGIN and COMMIT, and what an asyncpg pool of the hot path's sends, in the order they ran; the
ceiling replays what asyncpg sent as it replays SQLAlchemy's."""

import sys
import types
from collections.abc import AsyncIterator

import asyncpg
import pytest
from bench.capture import Capture, CaptureError, Recorder, Request, Statement
from bench.ceiling import build_script
from bench.layout import IdRange
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.core.db import transaction


@pytest.fixture
def postgresql_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("the capture watches asyncpg connections: PostgreSQL's")


@pytest.fixture
def hot_pool_hooks(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The seam the hot path's pool offers (invoicing.hotpath.pool.CONNECTION_HOOKS), stood in for."""
    module = types.ModuleType("invoicing.hotpath.pool")
    hooks: list[object] = []
    module.CONNECTION_HOOKS = hooks  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "invoicing.hotpath.pool", module)
    return hooks


@pytest.fixture
async def hot_pool(database_url: str, hot_pool_hooks: list[object]) -> AsyncIterator[asyncpg.Pool]:
    async def init(connection: asyncpg.Connection) -> None:  # as the hot path's pool calls its hooks
        for hook in hot_pool_hooks:
            hook(connection)  # type: ignore[operator]

    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1, init=init)
    yield pool
    await pool.close()


@pytest.mark.usefixtures("postgresql_only")
async def test_sqlalchemy_statements_are_recorded_between_the_begin_and_commit_asyncpg_sends(
    engine: AsyncEngine,
) -> None:
    recorder = Recorder()

    with recorder.watching(engine):
        async with transaction(engine, write=False) as connection:
            await connection.execute(text("SELECT 1"))  # the checkout before it is not recorded
        async with recorder.recording("a transaction") as statements, transaction(engine, write=True) as connection:
            await connection.execute(text("SELECT 1"))
            await connection.execute(text("SELECT CAST(:x AS integer)"), {"x": 2})

    assert statements == [
        Statement("BEGIN;", (), "asyncpg"),
        Statement("SELECT 1", (), "sqlalchemy"),
        Statement("SELECT CAST($1 AS integer)", (2,), "sqlalchemy"),
        Statement("COMMIT;", (), "asyncpg"),
    ]


@pytest.mark.usefixtures("postgresql_only")
async def test_the_hot_pools_connections_are_watched_and_its_reset_on_release_is_a_round_trip(
    hot_pool: asyncpg.Pool, hot_pool_hooks: list[object]
) -> None:
    recorder = Recorder()

    with recorder.watching_hot_pool():
        assert hot_pool_hooks == [recorder.watch]
        await hot_pool.expire_connections()  # the pool's next connection is opened while watched
        async with (
            recorder.recording("a hot transition") as statements,
            hot_pool.acquire() as connection,
            connection.transaction(),
        ):
            await connection.fetchval("SELECT $1::int + 1", 41)

    assert hot_pool_hooks == []
    assert [(statement.sql, statement.parameters) for statement in statements] == [
        ("BEGIN;", ()),
        ("SELECT $1::int + 1", (41,)),
        ("COMMIT;", ()),
        (statements[-1].sql, ()),  # asyncpg's pool resets the connection as it takes it back
    ]
    assert "RESET ALL" in statements[-1].sql
    assert {statement.source for statement in statements} == {"asyncpg"}


@pytest.mark.usefixtures("postgresql_only")
async def test_a_statement_the_query_logger_cannot_see_stops_the_capture(
    hot_pool: asyncpg.Pool, hot_pool_hooks: list[object]
) -> None:
    recorder = Recorder()

    with recorder.watching_hot_pool():
        await hot_pool.expire_connections()
        async with hot_pool.acquire() as connection:
            statement = await connection.prepare("SELECT 1")

            async def both() -> None:
                async with recorder.recording("a prepared statement"):
                    await statement.fetchval()  # a PreparedStatement's: executed, and not logged
                    await connection.fetchval("SELECT 2")

            with pytest.raises(CaptureError, match=r"executed 2 statements.*saw 1"):
                await both()


def test_without_the_hot_pool_module_the_capture_watches_the_engine_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "invoicing.hotpath.pool", None)  # import it: ModuleNotFoundError

    with Recorder().watching_hot_pool():
        pass  # nothing to hook, nothing raised


def test_a_transition_asyncpg_sent_replays_in_pgbench_as_captured_its_values_as_variables() -> None:
    def request(invoice_id: int, version: int, direction: str) -> Request:
        status = ["cancelled"] if direction == "cancel" else ["issued"]
        statements = [
            Statement("BEGIN;", (), "asyncpg"),
            Statement(
                "SELECT hot_transition($1, $2, $3, $4)", (invoice_id, version, status, {"by": "bench"}), "asyncpg"
            ),
            Statement("COMMIT;", (), "asyncpg"),
        ]
        return Request(invoice_id, version, statements)

    capture = Capture(
        {direction: [request(901, 2, direction), request(902, 4, direction)] for direction in ("cancel", "revert")}
    )

    script = build_script(capture, IdRange(first=901, count=100), clients=4)

    cancel = script.text.split("\\if :pass % 2 = 0\n")[1].split("\\else")[0]
    assert cancel.splitlines() == [
        "BEGIN;",
        "SELECT hot_transition(:id, :version, :c_cancel_2_3, :c_cancel_2_4);",
        "COMMIT;",
    ]
    assert script.defines["c_cancel_2_3"] == '{"cancelled"}'  # a list: a PostgreSQL array
    assert script.defines["c_cancel_2_4"] == '{"by": "bench"}'  # a json codec's dict: its JSON
    assert capture.round_trips_per_transition == 3
