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


# -- row-level security (PostgreSQL; see migration 0004 and docs/postgresql.md) -----------------------

# The tenant the current transaction acts for (`core.db.set_tenant`). Unset it is NULL, and
# after a transaction that set it '' (hence NULLIF): either way no row matches, and the
# policies fail closed.
CURRENT_TENANT = "NULLIF(current_setting('app.tenant_id', true), '')::bigint"


def quoted(name: str) -> str:
    return str(op.get_bind().dialect.identifier_preparer.quote(name))


def isolate_tenant_table(name: str, app_role: str) -> None:
    """PostgreSQL: `app_role` may use the table, but sees and writes only the current tenant's rows.

    Every new tenant-owned table calls this in its migration (tests/test_rls.py checks that
    each table with a tenant_id column is covered). FORCE holds the table's owner to the
    policy too (a superuser or a BYPASSRLS role is never held).
    """
    table, role = quoted(name), quoted(app_role)
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {role}")
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON {table} "
        f"USING (tenant_id = {CURRENT_TENANT}) WITH CHECK (tenant_id = {CURRENT_TENANT})"
    )


def release_tenant_table(name: str, app_role: str) -> None:
    """Undoes `isolate_tenant_table`."""
    table, role = quoted(name), quoted(app_role)
    op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute(f"REVOKE ALL ON {table} FROM {role}")


def create_lookup_function(schema: str, function: str, table: str, key: str, app_role: str) -> None:
    """PostgreSQL: `function(text)`, the rows of `table` whose `key` is the argument, read as the
    tables' owner (SECURITY DEFINER) and callable by `app_role` only: a lookup that must work
    before the tenant is known (a token by its hash, a session by its cookie), and nothing more.
    `schema` is quoted already."""
    op.execute(f"""
        CREATE FUNCTION {schema}.{function}(lookup_key text) RETURNS SETOF {schema}.{table}
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp
        AS $$ SELECT * FROM {schema}.{table} WHERE {key} = lookup_key $$
    """)  # noqa: S608 (names from the migrations' constants and the quoted schema)
    op.execute(f"REVOKE ALL ON FUNCTION {schema}.{function}(text) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {schema}.{function}(text) TO {quoted(app_role)}")
