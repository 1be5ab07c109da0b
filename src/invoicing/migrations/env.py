"""Alembic environment: runs migrations over the service's own async engine."""

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from invoicing.core.db import APP_ROLE, create_engine
from invoicing.core.tables import metadata

config = context.config


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    if connection.dialect.name == "postgresql":
        _let_app_role_read_the_version(connection)


def _let_app_role_read_the_version(connection: Connection) -> None:
    """`/readyz` compares the schema's revision with the code's, acting as APP_ROLE (which owns
    nothing). Granted here, not in a revision: every `invoicing migrate` (re)states it."""
    role_exists = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": APP_ROLE})
    if role_exists.first() is not None:
        connection.execute(text(f'GRANT SELECT ON alembic_version TO "{APP_ROLE}"'))


async def run_online() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "", pool_size=1)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_with)
            await connection.commit()
    finally:
        await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run `invoicing migrate`")
asyncio.run(run_online())
