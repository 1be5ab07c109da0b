"""Idempotency keys: the stored first response of each keyed unsafe request.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from invoicing.migrations.helpers import TIMESTAMP, tenant_owned

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    tenant_owned(
        "idempotency_keys",
        sa.Column("principal", sa.String(64), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("response_status", sa.Integer, nullable=False),
        sa.Column("response_headers", sa.Text, nullable=False),
        sa.Column("response_body", sa.LargeBinary, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        extra=[sa.UniqueConstraint("tenant_id", "principal", "key", name="uq_idempotency_keys_key")],
    )
    op.create_index("ix_idempotency_keys_tenant_id_expires_at", "idempotency_keys", ["tenant_id", "expires_at"])


def downgrade() -> None:
    op.drop_table("idempotency_keys")
