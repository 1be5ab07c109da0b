"""One default series per tenant, held by a partial unique index on both databases.

Concurrent "make this the default" requests on PostgreSQL could each clear the default before
the others committed, leaving several defaults (drafts then took the lowest id). Existing data
is repaired first, keeping what drafts already used: the lowest-id default stays the default
and the others are cleared.

On PostgreSQL the owner running migrations is held to row-level security (FORCE, 0004) and
would see no series at all; the repair lifts FORCE for its one statement, inside this
migration's transaction.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from invoicing.migrations.helpers import is_postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "uq_series_one_default"

REPAIR = """
UPDATE series SET is_default = false
WHERE is_default AND id <> (
    SELECT min(earlier.id) FROM series AS earlier WHERE earlier.tenant_id = series.tenant_id AND earlier.is_default
)
"""


def upgrade() -> None:
    if is_postgresql():
        op.execute("ALTER TABLE series NO FORCE ROW LEVEL SECURITY")
        op.execute(REPAIR)
        op.execute("ALTER TABLE series FORCE ROW LEVEL SECURITY")
    else:
        op.execute(REPAIR)
    op.create_index(
        INDEX,
        "series",
        ["tenant_id"],
        unique=True,
        postgresql_where=sa.text("is_default"),
        sqlite_where=sa.text("is_default"),
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="series")
