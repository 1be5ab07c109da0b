"""Readiness: named checks, each an async callable answering None (ready) or why not.

The checks live in `app.state.readiness_checks` (name -> check) so that other features add
theirs with one line, e.g. `app.state.readiness_checks["worker_heartbeat"] = heartbeat_fresh`.
`/readyz` runs them all at once, each within `READINESS_TIMEOUT_SECONDS`.
"""

import asyncio
from collections.abc import Awaitable, Callable
from functools import lru_cache

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError
from starlette.datastructures import State

from invoicing.core.migrate import alembic_config

ReadinessCheck = Callable[[State], Awaitable[str | None]]


async def database_reachable(state: State) -> str | None:
    async with state.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    return None


@lru_cache(maxsize=1)
def head_revisions() -> tuple[str, ...]:
    """The shipped migrations' heads (read from the package once; they cannot change at runtime)."""
    return tuple(sorted(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()))


async def schema_at_head(state: State) -> str | None:
    """A server newer than its schema would fail on the first query that needs the missing change."""
    heads = head_revisions()
    try:
        async with state.engine.connect() as connection:
            rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
            current = tuple(sorted(row[0] for row in rows))
    except (OperationalError, ProgrammingError) as error:
        if "alembic_version" not in str(error):
            raise
        return "migration pending: the schema version is unknown (run `invoicing migrate`)"
    if current != heads:
        return f"migration pending: at {', '.join(current) or 'nothing'}, head {', '.join(heads)}"
    return None


def default_checks() -> dict[str, ReadinessCheck]:
    return {"database": database_reachable, "migrations": schema_at_head}


async def failing_checks(state: State, *, seconds_each: float) -> dict[str, str]:
    """Name -> reason of every check that is not passing; empty when the service is ready."""
    checks: dict[str, ReadinessCheck] = state.readiness_checks
    outcomes = await asyncio.gather(*(_run(check, state, seconds_each) for check in checks.values()))
    return {name: reason for name, reason in zip(checks, outcomes, strict=True) if reason is not None}


async def _run(check: ReadinessCheck, state: State, seconds: float) -> str | None:
    try:
        return await asyncio.wait_for(check(state), seconds)
    except TimeoutError:
        return f"no answer within {seconds:g} s"
    except DBAPIError as error:
        return f"database error: {_first_line(str(error.orig))}"
    except Exception as error:  # a broken check reports itself, never the whole probe as 500
        return f"{type(error).__name__}: {_first_line(str(error))}"


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0][:300] if message.strip() else "(no message)"
