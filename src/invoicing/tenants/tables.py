from sqlalchemy import BigInteger, Column, LargeBinary, PrimaryKeyConstraint, String, Table, Text

from invoicing.core.tables import metadata
from invoicing.core.types import UtcDateTime

tenants = Table(
    "tenants",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("public_id", String(24), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("tax_number", String(32)),
    Column("base_currency", String(3), nullable=False),
    Column("timezone", String(64), nullable=False),
    # The seller's details as JSON text, keyed as GET /api/v1/tenant shows them (migration 0008).
    Column("profile", Text),
    # The current logo: a key of tenant_logos (migration 0009).
    Column("logo_sha256", String(64)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Logos by content (SHA-256 of the bytes): an issued invoice names the one it was issued with,
# so a logo stays while any invoice refers to it, whatever the tenant uploads later.
tenant_logos = Table(
    "tenant_logos",
    metadata,
    Column("tenant_id", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("media_type", String(32), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("tenant_id", "sha256"),
)
