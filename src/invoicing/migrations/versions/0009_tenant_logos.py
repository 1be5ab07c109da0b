"""Tenant logos by content, and what the service may change of its own tenant.

- `tenant_logos` (tenant_id, sha256, media_type, data): each image a tenant uploaded, keyed by
  the SHA-256 of its bytes. An issued invoice freezes the `logo_sha256` of its seller, so the
  logo it was issued with stays readable after the tenant replaces or removes its logo.
  Row-level security as every tenant-owned table (0004).
- `tenants.logo_sha256` names the current logo; 0008's `logo` / `logo_media_type` go (a logo
  stored there moves into `tenant_logos`): the bytes live in one place.
- PostgreSQL: `tenants` was read-only to the service (0004). `PATCH /api/v1/tenant` changes the
  profile, so the service may now update its own tenant's row, and only `profile`,
  `tax_number`, `logo_sha256` and `updated_at` of it. The one policy `tenant_self` covers
  both (the current tenant's row only); there is still no INSERT or DELETE.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from invoicing.core.db import APP_ROLE
from invoicing.migrations.helpers import (
    CURRENT_TENANT,
    TIMESTAMP,
    is_postgresql,
    isolate_tenant_table,
    quoted,
    release_tenant_table,
)

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SERVICE_UPDATES = ("profile", "tax_number", "logo_sha256", "updated_at")


def upgrade() -> None:
    op.create_table(
        "tenant_logos",
        sa.Column(
            "tenant_id", sa.BigInteger, sa.ForeignKey("tenants.id", name="fk_tenant_logos_tenant"), nullable=False
        ),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("media_type", sa.String(32), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "sha256", name="pk_tenant_logos"),
    )
    op.add_column("tenants", sa.Column("logo_sha256", sa.String(64), nullable=True))
    _move_logos()
    op.drop_column("tenants", "logo")  # SQLite 3.35+ drops columns in place
    op.drop_column("tenants", "logo_media_type")
    if is_postgresql():
        role = quoted(APP_ROLE)
        isolate_tenant_table("tenant_logos", APP_ROLE)
        op.execute(f"GRANT UPDATE ({', '.join(SERVICE_UPDATES)}) ON tenants TO {role}")
        op.execute("DROP POLICY tenant_self ON tenants")
        op.execute(
            f"CREATE POLICY tenant_self ON tenants TO {role} "
            f"USING (id = {CURRENT_TENANT}) WITH CHECK (id = {CURRENT_TENANT})"
        )


def downgrade() -> None:
    if is_postgresql():
        role = quoted(APP_ROLE)
        op.execute("DROP POLICY tenant_self ON tenants")
        op.execute(f"CREATE POLICY tenant_self ON tenants FOR SELECT TO {role} USING (id = {CURRENT_TENANT})")
        op.execute(f"REVOKE UPDATE ({', '.join(SERVICE_UPDATES)}) ON tenants FROM {role}")
        release_tenant_table("tenant_logos", APP_ROLE)
    op.add_column("tenants", sa.Column("logo", sa.LargeBinary(), nullable=True))
    op.add_column("tenants", sa.Column("logo_media_type", sa.String(32), nullable=True))
    op.execute(
        "UPDATE tenants SET logo = (SELECT data FROM tenant_logos l WHERE l.tenant_id = tenants.id "
        "AND l.sha256 = tenants.logo_sha256), logo_media_type = (SELECT media_type FROM tenant_logos l "
        "WHERE l.tenant_id = tenants.id AND l.sha256 = tenants.logo_sha256)"
    )
    op.drop_column("tenants", "logo_sha256")
    op.drop_table("tenant_logos")


def _move_logos() -> None:
    """A logo 0008 stored on its tenant's row becomes that tenant's first content-addressed logo."""
    bind = op.get_bind()
    # tenant_logos is not yet held by row-level security here: no tenant needs to be set.
    rows = bind.execute(sa.text("SELECT id, logo, logo_media_type FROM tenants WHERE logo IS NOT NULL")).all()
    now = datetime.now(UTC)
    if not is_postgresql():
        now = now.replace(tzinfo=None)  # SQLite keeps naive UTC text (core.types.UtcDateTime)
    for tenant_id, data, media_type in rows:
        digest = hashlib.sha256(data).hexdigest()
        bind.execute(
            sa.text(
                "INSERT INTO tenant_logos (tenant_id, sha256, media_type, data, created_at) "
                "VALUES (:tenant, :sha, :media_type, :data, :now)"
            ),
            {
                "tenant": tenant_id,
                "sha": digest,
                "media_type": media_type or "application/octet-stream",
                "data": data,
                "now": now,
            },
        )
        bind.execute(
            sa.text("UPDATE tenants SET logo_sha256 = :sha WHERE id = :tenant"), {"sha": digest, "tenant": tenant_id}
        )
