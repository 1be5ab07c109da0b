from sqlalchemy import BigInteger, Column, LargeBinary, String, Table, Text

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
    Column("logo", LargeBinary),
    Column("logo_media_type", String(32)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)
