from sqlalchemy import Column, Integer, LargeBinary, String, Table, Text

from invoicing.core.tables import metadata, tenant_key_columns
from invoicing.core.types import UtcDateTime

# The first response to each (tenant, caller, key), stored in the transaction of the change it
# reports, so a key is either unused or bound to a change that happened: never in between.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    *tenant_key_columns(),
    Column("principal", String(64), nullable=False),
    Column("key", String(255), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("response_status", Integer, nullable=False),
    Column("response_headers", Text, nullable=False),
    Column("response_body", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)
