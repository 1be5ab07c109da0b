"""The hot path's own asyncpg pool (PostgreSQL only), beside SQLAlchemy's engine.

Why asyncpg directly: a hot request is one or two calls of the functions in `routines`, and
SQLAlchemy's execution layer (statement compilation and caching, result processing, the greenlet
hop of its asyncio adapter) cost more Python per call than the call itself (issue 14's profile:
SQLAlchemy 23% of a transition's CPU). asyncpg prepares each statement once per connection.

Connections act as `invoicing_app` from their start (a startup parameter, as the engine's), so
row-level security holds them exactly as it holds the full path. The pool resets nothing when a
connection comes back: the functions set only transaction-local settings (the tenant), which end
with their statement, and asyncpg's default reset is one more round trip per request.
"""

import logging
from collections.abc import Awaitable, Callable

import asyncpg
from sqlalchemy.engine import make_url

from invoicing.core.db import APP_ROLE
from invoicing.hotpath import routines

logger = logging.getLogger("invoicing.hotpath")

# Called with every new connection of the pool (the benchmark's capture adds a query logger).
CONNECTION_HOOKS: list[Callable[[asyncpg.Connection], Awaitable[None] | None]] = []


def plain_dsn(database_url: str) -> str:
    """`postgresql://…` as asyncpg takes it (no `+driver`)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _on_connect(connection: asyncpg.Connection) -> None:
    for hook in CONNECTION_HOOKS:
        outcome = hook(connection)
        if outcome is not None:
            await outcome


async def _keep_as_is(connection: asyncpg.Connection) -> None:
    """Nothing to reset: see the module's docstring."""


async def open_pool(database_url: str, *, size: int) -> asyncpg.Pool | None:
    """The pool, or None when the database holds no hot functions or other ones than this code's
    (`invoicing migrate` not run since the code changed): the full path then serves everything."""
    pool = await asyncpg.create_pool(
        plain_dsn(database_url),
        min_size=1,
        max_size=size,
        server_settings={"role": APP_ROLE},
        init=_on_connect,
        reset=_keep_as_is,
    )
    async with pool.acquire() as connection:
        installed = await routines.installed_fingerprint(connection)
    if installed != routines.fingerprint():
        logger.warning(
            "the hot path is off: the database's hot functions are %s; run `invoicing migrate` to install this "
            "version's",
            "missing" if installed is None else "another version's",
        )
        await pool.close()
        return None
    return pool


async def install_routines(database_url: str) -> None:
    """Creates or replaces the hot functions (`invoicing migrate`, as the tables' owner)."""
    connection = await asyncpg.connect(plain_dsn(database_url))
    try:
        await routines.install(connection)
    finally:
        await connection.close()
