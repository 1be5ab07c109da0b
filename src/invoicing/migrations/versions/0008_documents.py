"""Invoice documents: the tenant's profile and logo, customers' structured details, lines' tax
categories, and what an invoice freezes at issue (seller, buyer, locale) with its UUID and link.

- `tenants.profile`: the seller's details as JSON text, keyed exactly as `GET /api/v1/tenant`
  shows them (legal_name, postal_address, tax_number, bank_accounts, ...), read whole and never
  queried; `tenants.logo` / `logo_media_type`: the image as uploaded.
- `customers.postal_address`, `electronic_address` (JSON text) and `locale`: additive; the seed's
  `address` string stays.
- `invoice_lines.tax_category` (UNCL 5305; existing lines S above 0 %, Z at 0 %),
  `tax_exemption_reason_code` (VATEX), `tax_exemption_reason`, `unit_code` (UN/ECE Rec 20, C62).
- `invoices.seller` / `buyer` (JSON text, written once at issue), `locale`, `delivery_date`,
  `uuid` (every existing invoice gets one), `hosted_token` (the hosted page's secret, unique
  across tenants: the page is found by it alone).

Row-level security (0004) covers new columns of existing tables as it covers the others.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from invoicing.migrations.helpers import is_postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def upgrade() -> None:
    op.add_column("tenants", sa.Column("profile", sa.Text(), nullable=True))
    op.add_column("tenants", sa.Column("logo", sa.LargeBinary(), nullable=True))
    op.add_column("tenants", sa.Column("logo_media_type", sa.String(32), nullable=True))

    op.add_column("customers", sa.Column("postal_address", sa.Text(), nullable=True))
    op.add_column("customers", sa.Column("electronic_address", sa.Text(), nullable=True))
    op.add_column("customers", sa.Column("locale", sa.String(35), nullable=True))

    op.add_column("invoice_lines", sa.Column("tax_category", sa.String(2), nullable=False, server_default="S"))
    op.add_column("invoice_lines", sa.Column("tax_exemption_reason_code", sa.String(30), nullable=True))
    op.add_column("invoice_lines", sa.Column("tax_exemption_reason", sa.String(1000), nullable=True))
    op.add_column("invoice_lines", sa.Column("unit_code", sa.String(3), nullable=False, server_default="C62"))

    op.add_column("invoices", sa.Column("seller", sa.Text(), nullable=True))
    op.add_column("invoices", sa.Column("buyer", sa.Text(), nullable=True))
    op.add_column("invoices", sa.Column("locale", sa.String(35), nullable=True))
    op.add_column("invoices", sa.Column("delivery_date", sa.Date(), nullable=True))
    op.add_column("invoices", sa.Column("uuid", sa.String(36), nullable=True))
    op.add_column("invoices", sa.Column("hosted_token", sa.String(64), nullable=True))
    op.create_index("uq_invoices_hosted_token", "invoices", ["hosted_token"], unique=True)

    for tenant_id in _tenant_ids():
        _backfill(tenant_id)


def downgrade() -> None:
    op.drop_index("uq_invoices_hosted_token", table_name="invoices")
    for column in ("hosted_token", "uuid", "delivery_date", "locale", "buyer", "seller"):
        op.drop_column("invoices", column)  # SQLite 3.35+ drops columns in place
    for column in ("unit_code", "tax_exemption_reason", "tax_exemption_reason_code", "tax_category"):
        op.drop_column("invoice_lines", column)
    for column in ("locale", "electronic_address", "postal_address"):
        op.drop_column("customers", column)
    for column in ("logo_media_type", "logo", "profile"):
        op.drop_column("tenants", column)


def _tenant_ids() -> list[int]:
    # tenants has row-level security without FORCE: its owner sees every tenant.
    return [row[0] for row in op.get_bind().execute(sa.text("SELECT id FROM tenants ORDER BY id"))]


def _backfill(tenant_id: int) -> None:
    """Zero-rated lines become Z; every invoice gets a UUID. Under the tenant's own
    `app.tenant_id` on PostgreSQL, since FORCE row-level security holds the owner too."""
    bind = op.get_bind()
    if is_postgresql():
        bind.execute(sa.text("SELECT set_config('app.tenant_id', :tenant, true)"), {"tenant": str(tenant_id)})
    bind.execute(
        sa.text("UPDATE invoice_lines SET tax_category = 'Z' WHERE tenant_id = :tenant AND vat_rate_percent = 0"),
        {"tenant": tenant_id},
    )
    invoices = sa.table("invoices", sa.column("tenant_id"), sa.column("id"), sa.column("uuid"))
    read = (
        sa.select(invoices.c.id)
        .where(invoices.c.tenant_id == tenant_id, invoices.c.uuid.is_(None))
        .order_by(invoices.c.id)
        .limit(BATCH)
    )
    write = (
        sa.update(invoices)
        .where(invoices.c.tenant_id == tenant_id, invoices.c.id == sa.bindparam("row_id"))
        .values(uuid=sa.bindparam("new_uuid"))
    )
    while ids := bind.execute(read).scalars().all():
        bind.execute(write, [{"row_id": row_id, "new_uuid": str(uuid.uuid4())} for row_id in ids])
