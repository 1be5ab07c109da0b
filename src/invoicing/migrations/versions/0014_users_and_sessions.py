"""People who sign in to the dashboard, and their sessions.

- `users`: one account per person per tenant (e-mail unique within the tenant), its Argon2id
  password hash, role (owner, accountant, viewer) and when it was disabled.
- `user_sessions`: a signed-in browser, by the digest of its cookie's secret; whose it is, when it
  was last used, when it expires, when it ended.

Both are tenant-owned and isolated like every other table. Signing in finds the accounts by
e-mail and a request finds its session by the cookie before any tenant is known: as with the
token lookup (0004), two SECURITY DEFINER functions answer exactly those two questions.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from invoicing.core.db import APP_ROLE
from invoicing.migrations.helpers import (
    TIMESTAMP,
    create_lookup_function,
    is_postgresql,
    isolate_tenant_table,
    quoted,
    release_tenant_table,
    tenant_owned,
)

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_TABLES = ("users", "user_sessions")
# (function, table, key column): the rows of `table` whose `key column` is the argument.
LOOKUPS = (
    ("invoicing_users_by_email", "users", "email"),
    ("invoicing_session_by_hash", "user_sessions", "token_hash"),
)


def upgrade() -> None:
    tenant_owned(
        "users",
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("disabled_at", TIMESTAMP),
        extra=[sa.UniqueConstraint("tenant_id", "email", name="uq_users_tenant_id_email")],
    )
    op.create_index("ix_users_email", "users", ["email"])
    tenant_owned(
        "user_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_pk", sa.BigInteger, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("last_seen_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("ended_at", TIMESTAMP),
        extra=[
            sa.UniqueConstraint("token_hash", name="uq_user_sessions_token_hash"),
            sa.ForeignKeyConstraint(
                ["tenant_id", "user_pk"], ["users.tenant_id", "users.id"], name="fk_user_pk_users", ondelete="CASCADE"
            ),
        ],
    )
    if not is_postgresql():
        return
    schema = quoted(op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one())
    for table in NEW_TABLES:
        isolate_tenant_table(table, APP_ROLE)
        op.execute(f"CREATE POLICY credential_lookup ON {table} FOR SELECT TO CURRENT_USER USING (true)")
    for function, table, key in LOOKUPS:
        create_lookup_function(schema, function, table, key, APP_ROLE)


def downgrade() -> None:
    if is_postgresql():
        schema = quoted(op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one())
        for function, _table, _key in LOOKUPS:
            op.execute(f"DROP FUNCTION IF EXISTS {schema}.{function}(text)")
        for table in NEW_TABLES:
            op.execute(f"DROP POLICY IF EXISTS credential_lookup ON {table}")
            release_tenant_table(table, APP_ROLE)
    op.drop_table("user_sessions")
    op.drop_table("users")
