"""PostgreSQL: each invoice and customer keeps its own primary-API representation, rendered when it
is written (issue 14, the hot path).

- `invoices.rendered`: the invoice object up to and including `available_actions` (everything
  that depends on the invoice row alone), as JSON text without its closing brace; the hot path
  appends the customer, the currency, the hosted link and the lines when it reads.
- `customers.rendered`: the customer object.
- `outbox_messages.payload` is compressed with lz4 where the server has it.
- `rendered_for`: what the text was rendered from (the hot path's fingerprint and, for an
  invoice, its version). A reader uses the text only when that still holds; otherwise it renders
  the row as it reads it, so a stale or missing text is never shown, only slower.

The triggers that fill them are the hot path's functions (invoicing.hotpath.routines), installed
and replaced by `invoicing migrate` after the migrations. Not in the SQLAlchemy tables: nothing
but the hot path's SQL reads or writes them. SQLite has no hot path and no such columns.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

from invoicing.migrations.helpers import is_postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("invoices", "customers")


def upgrade() -> None:
    if not is_postgresql():
        return
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ADD COLUMN rendered text, ADD COLUMN rendered_for text")
    # Every transition writes an outbox payload of about 3 KB, which PostgreSQL compresses: lz4 costs
    # a fraction of pglz's CPU. A server built without lz4 keeps its default.
    op.execute("""
        DO $$
        BEGIN
            ALTER TABLE outbox_messages ALTER COLUMN payload SET COMPRESSION lz4;
        EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
            RAISE NOTICE 'lz4 is not available: outbox payloads keep the default compression';
        END
        $$
    """)


def downgrade() -> None:
    if not is_postgresql():
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS invoicing_render ON {table}")
        op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS rendered, DROP COLUMN IF EXISTS rendered_for")
    op.execute("ALTER TABLE outbox_messages ALTER COLUMN payload SET COMPRESSION default")
