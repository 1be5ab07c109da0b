"""Run the Alembic migrations shipped inside the package (no alembic.ini needed)."""

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Blocking; env.py runs its own event loop, so call this outside a running one.

    At the head, on PostgreSQL, the hot path's functions are (re)installed after the migrations:
    they are generated from the code (invoicing.hotpath.routines), so every upgrade replaces them.
    """
    command.upgrade(alembic_config(database_url), revision)
    if revision == "head" and make_url(database_url).get_backend_name() in ("postgresql", "postgres"):
        from invoicing.hotpath.pool import install_routines  # asyncpg only where PostgreSQL is used

        asyncio.run(install_routines(database_url))


async def upgrade_async(database_url: str, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade, database_url, revision)
