"""Column and key helpers shared by the migrations (they are part of the schema's history:
change them only in ways every existing migration still means the same)."""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

MONEY = sa.Numeric().with_variant(sa.Text(), "sqlite")  # SQLite NUMERIC would store REAL
TIMESTAMP = sa.DateTime(timezone=True)


def is_postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def tenant_owned(name: str, *columns: Any, extra: Sequence[Any] = ()) -> None:
    """A table keyed (tenant_id, id), tenant first (Citus-ready) on PostgreSQL.

    SQLite only auto-assigns ids to a single INTEGER PRIMARY KEY, so there the key is (id)
    with (tenant_id, id) unique beside it; composite foreign keys work the same on both.
    """
    if is_postgresql():
        id_column = sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False)
        keys: list[Any] = [sa.PrimaryKeyConstraint("tenant_id", "id", name=f"pk_{name}")]
    else:
        id_column = sa.Column("id", sa.Integer, nullable=False)
        keys = [
            sa.PrimaryKeyConstraint("id", name=f"pk_{name}"),
            sa.UniqueConstraint("tenant_id", "id", name=f"uq_{name}_tenant_id_id"),
        ]
    op.create_table(
        name,
        sa.Column("tenant_id", sa.BigInteger, sa.ForeignKey("tenants.id", name=f"fk_{name}_tenant"), nullable=False),
        id_column,
        sa.Column("public_id", sa.String(24), nullable=False),
        *columns,
        *keys,
        sa.UniqueConstraint("tenant_id", "public_id", name=f"uq_{name}_tenant_id_public_id"),
        *extra,
    )


def tenant_fk(column: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", column], [f"{table}.tenant_id", f"{table}.id"], name=f"fk_{column}_{table}"
    )
