"""Credit notes, their lines and events, customer-credit allocations, and credit-note series.

- `credit_notes`: a document against one issued invoice (`invoice_id`), numbered in a series of
  kind `credit_note` when issued. Its total splits, at issue, into what reduced the invoice's
  amount due (`amount_reducing_due`), what was refunded (`amount_refunded`, with method, date
  and reference) and what was kept as customer credit (`amount_kept_as_credit`), of which
  `amount_allocated` has since been applied to other invoices.
- `credit_note_lines` (each may name the invoice line it credits), `credit_note_events`
  (append-only, sequence = the credit note's version, as `invoice_events`), and
  `credit_allocations` (customer credit of one credit note applied to another invoice).
- `invoices` gains the sums the invoice shows: `amount_credited`, `amount_refunded`,
  `amount_kept_as_credit` (of its own credit notes) and `amount_credit_applied` (allocations it
  received). Defaults 0, so existing rows and bulk loaders stay valid.
- `series.kind` (`invoice` or `credit_note`): each kind has its own default; every tenant gets
  a default credit-note series `CRN` unless a series of that name exists (then `CR1`..).

Row-level security as every tenant-owned table (0004).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from invoicing.core.db import APP_ROLE
from invoicing.core.ids import new_public_id
from invoicing.migrations.helpers import (
    MONEY,
    TIMESTAMP,
    is_postgresql,
    isolate_tenant_table,
    release_tenant_table,
    tenant_fk,
    tenant_owned,
)

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_TABLES = ("credit_notes", "credit_note_lines", "credit_note_events", "credit_allocations")
INVOICE_SUMS = ("amount_credited", "amount_refunded", "amount_kept_as_credit", "amount_credit_applied")
OLD_DEFAULT_INDEX = "uq_series_one_default"
DEFAULT_INDEX = "uq_series_one_default_per_kind"


def upgrade() -> None:
    for name in INVOICE_SUMS:
        op.add_column("invoices", sa.Column(name, MONEY, nullable=False, server_default="0"))
    _series_kinds()
    tenant_owned(
        "credit_notes",
        sa.Column("invoice_id", sa.BigInteger, nullable=False),
        sa.Column("invoice_number", sa.String(16), nullable=False),
        sa.Column("invoice_issue_date", sa.Date, nullable=False),
        sa.Column("customer_id", sa.BigInteger),
        sa.Column("series_id", sa.BigInteger, nullable=False),
        sa.Column("series_name", sa.String(3), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("document_number", sa.String(16)),
        sa.Column("number_year", sa.Integer),
        sa.Column("number_sequence", sa.BigInteger),
        sa.Column("issue_date", sa.Date),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("amount_tax_exclusive", MONEY, nullable=False),
        sa.Column("amount_tax_total", MONEY, nullable=False),
        sa.Column("amount_total", MONEY, nullable=False),
        sa.Column("amount_reducing_due", MONEY, nullable=False),
        sa.Column("amount_refunded", MONEY, nullable=False),
        sa.Column("amount_kept_as_credit", MONEY, nullable=False),
        sa.Column("amount_allocated", MONEY, nullable=False),
        sa.Column("refund_amount", MONEY),
        sa.Column("refund_method", sa.String(16)),
        sa.Column("refund_reference", sa.String(200)),
        sa.Column("refunded_at", TIMESTAMP),
        sa.Column("uuid", sa.String(36), nullable=False),
        sa.Column("seller", sa.Text),
        sa.Column("buyer", sa.Text),
        sa.Column("locale", sa.String(35)),
        sa.Column("issued_at", TIMESTAMP),
        sa.Column("voided_at", TIMESTAMP),
        sa.Column("deleted_at", TIMESTAMP),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        extra=[tenant_fk("invoice_id", "invoices"), tenant_fk("series_id", "series")],
    )
    op.create_index("ix_credit_notes_tenant_id_invoice_id", "credit_notes", ["tenant_id", "invoice_id"])
    op.create_index("ix_credit_notes_tenant_id_customer_id", "credit_notes", ["tenant_id", "customer_id"])
    op.create_index(
        "uq_credit_notes_number",
        "credit_notes",
        ["tenant_id", "series_id", "number_year", "number_sequence"],
        unique=True,
        postgresql_where=sa.text("number_sequence IS NOT NULL"),
        sqlite_where=sa.text("number_sequence IS NOT NULL"),
    )
    tenant_owned(
        "credit_note_lines",
        sa.Column("credit_note_id", sa.BigInteger, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("invoice_line_id", sa.BigInteger),
        sa.Column("credited_by", sa.String(8), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("quantity", MONEY, nullable=False),
        sa.Column("unit_price", MONEY, nullable=False),
        sa.Column("vat_rate_percent", MONEY, nullable=False),
        sa.Column("discount_percent", MONEY, nullable=False),
        sa.Column("amount_discount", MONEY, nullable=False),
        sa.Column("amount_net", MONEY, nullable=False),
        sa.Column("amount_tax", MONEY, nullable=False),
        sa.Column("amount_total", MONEY, nullable=False),
        sa.Column("tax_category", sa.String(2), nullable=False),
        sa.Column("tax_exemption_reason_code", sa.String(30)),
        sa.Column("tax_exemption_reason", sa.String(1000)),
        sa.Column("unit_code", sa.String(3), nullable=False),
        extra=[tenant_fk("credit_note_id", "credit_notes")],
    )
    op.create_index(
        "ix_credit_note_lines_tenant_id_credit_note_id", "credit_note_lines", ["tenant_id", "credit_note_id"]
    )
    tenant_owned(
        "credit_note_events",
        sa.Column("credit_note_id", sa.BigInteger, nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("from_status", sa.String(16)),
        sa.Column("to_status", sa.String(16)),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("request_id", sa.String(128)),
        sa.Column("data", sa.Text),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        extra=[
            tenant_fk("credit_note_id", "credit_notes"),
            sa.UniqueConstraint(
                "tenant_id", "credit_note_id", "sequence", name="uq_credit_note_events_tenant_id_note_sequence"
            ),
        ],
    )
    tenant_owned(
        "credit_allocations",
        sa.Column("credit_note_id", sa.BigInteger, nullable=False),
        sa.Column("invoice_id", sa.BigInteger, nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        extra=[tenant_fk("credit_note_id", "credit_notes"), tenant_fk("invoice_id", "invoices")],
    )
    op.create_index("ix_credit_allocations_tenant_id_invoice_id", "credit_allocations", ["tenant_id", "invoice_id"])
    op.create_index(
        "ix_credit_allocations_tenant_id_credit_note_id", "credit_allocations", ["tenant_id", "credit_note_id"]
    )
    if is_postgresql():
        for name in NEW_TABLES:
            isolate_tenant_table(name, APP_ROLE)


def downgrade() -> None:
    if is_postgresql():
        for name in NEW_TABLES:
            release_tenant_table(name, APP_ROLE)
    for name in reversed(NEW_TABLES):
        op.drop_table(name)
    if is_postgresql():
        op.execute("ALTER TABLE series NO FORCE ROW LEVEL SECURITY")
    op.execute("DELETE FROM series WHERE kind = 'credit_note'")
    if is_postgresql():
        op.execute("ALTER TABLE series FORCE ROW LEVEL SECURITY")
    op.drop_index(DEFAULT_INDEX, table_name="series")
    op.create_index(
        OLD_DEFAULT_INDEX,
        "series",
        ["tenant_id"],
        unique=True,
        postgresql_where=sa.text("is_default"),
        sqlite_where=sa.text("is_default"),
    )
    op.drop_column("series", "kind")
    for name in INVOICE_SUMS:
        op.drop_column("invoices", name)


def _series_kinds() -> None:
    op.add_column("series", sa.Column("kind", sa.String(16), nullable=False, server_default="invoice"))
    op.drop_index(OLD_DEFAULT_INDEX, table_name="series")
    op.create_index(
        DEFAULT_INDEX,
        "series",
        ["tenant_id", "kind"],
        unique=True,
        postgresql_where=sa.text("is_default"),
        sqlite_where=sa.text("is_default"),
    )
    # The owner running migrations is held to row-level security (FORCE, 0004): lifted for the
    # backfill only, inside this migration's transaction (as 0006 does).
    if is_postgresql():
        op.execute("ALTER TABLE series NO FORCE ROW LEVEL SECURITY")
    bind = op.get_bind()
    now = datetime.now(UTC)
    if not is_postgresql():
        now = now.replace(tzinfo=None)  # SQLite keeps naive UTC text (core.types.UtcDateTime)
    if is_postgresql():
        # Rows written with explicit ids (a restore, a copy) leave the identity behind its
        # table: start it past the highest id, so the rows below and the service's next never collide.
        op.execute(
            "SELECT setval(pg_get_serial_sequence('series', 'id'), "
            "(SELECT COALESCE(max(id), 0) + 1 FROM series), false)"
        )
    tenants = [row[0] for row in bind.execute(sa.text("SELECT id FROM tenants ORDER BY id"))]
    for tenant_id in tenants:
        taken = {
            row[0] for row in bind.execute(sa.text("SELECT name FROM series WHERE tenant_id = :t"), {"t": tenant_id})
        }
        name = next(candidate for candidate in _credit_series_names() if candidate not in taken)
        bind.execute(
            sa.text(
                "INSERT INTO series (tenant_id, public_id, name, is_default, kind, created_at, updated_at) "
                "VALUES (:t, :public_id, :name, true, 'credit_note', :now, :now)"
            ),
            {"t": tenant_id, "public_id": new_public_id(), "name": name, "now": now},
        )
    if is_postgresql():
        op.execute("ALTER TABLE series FORCE ROW LEVEL SECURITY")


def _credit_series_names() -> list[str]:
    return ["CRN", *(f"CR{digit}" for digit in "123456789"), *(f"C{n:02d}" for n in range(100))]
