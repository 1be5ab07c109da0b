from sqlalchemy import BigInteger, Column, Integer, String, Table, Text

from invoicing.core.tables import metadata, tenant_key_columns
from invoicing.core.types import UtcDateTime

# Append-only. (tenant_id, invoice_id, sequence) is unique, and sequence equals the invoice's
# new version, so two writers can never both record "the" next change of one invoice.
invoice_events = Table(
    "invoice_events",
    metadata,
    *tenant_key_columns(),
    Column("invoice_id", BigInteger, nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("type", String(64), nullable=False),
    Column("from_status", String(16)),
    Column("to_status", String(16)),
    Column("actor", String(64), nullable=False),
    Column("request_id", String(128)),
    Column("data", Text),
    Column("created_at", UtcDateTime, nullable=False),
)
