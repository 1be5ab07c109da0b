from sqlalchemy import BigInteger, Column, String, Table

from invoicing.core.tables import metadata, tenant_key_columns
from invoicing.core.types import ExactDecimal, UtcDateTime

payments = Table(
    "payments",
    metadata,
    *tenant_key_columns(),
    Column("invoice_id", BigInteger, nullable=False),
    Column("amount", ExactDecimal, nullable=False),
    Column("method", String(16), nullable=False),
    Column("paid_at", UtcDateTime, nullable=False),
    Column("reference", String(200)),
    Column("actor", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)
