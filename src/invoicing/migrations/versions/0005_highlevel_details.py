"""HighLevel-only invoice fields: one nullable JSON text column on invoices.

The HighLevel dialect stores what only its clients send and read back (name, title,
businessDetails, sentTo, liveMode, the items' product ids...) beside the invoice, so the
primary API's schema keeps its meaning. Table-level grants and row-level security (0004)
cover the new column as they cover the others.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("invoices", sa.Column("highlevel_details", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("invoices", "highlevel_details")  # SQLite 3.35+ drops columns in place
