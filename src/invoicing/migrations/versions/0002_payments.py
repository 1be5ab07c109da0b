"""Payments recorded against issued invoices.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from invoicing.migrations.helpers import MONEY, TIMESTAMP, tenant_fk, tenant_owned

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    tenant_owned(
        "payments",
        sa.Column("invoice_id", sa.BigInteger, nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("paid_at", TIMESTAMP, nullable=False),
        sa.Column("reference", sa.String(200)),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        extra=[tenant_fk("invoice_id", "invoices")],
    )
    op.create_index("ix_payments_tenant_id_invoice_id", "payments", ["tenant_id", "invoice_id"])


def downgrade() -> None:
    op.drop_table("payments")
