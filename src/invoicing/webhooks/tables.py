from sqlalchemy import Boolean, Column, Integer, String, Table, Text

from invoicing.core.tables import metadata, tenant_key_columns, timestamp_columns
from invoicing.core.types import UtcDateTime

# A tenant's webhook receiver (migration 0012). event_types: a JSON array of the types it wants,
# NULL for all. The signing secret is stored sealed (webhooks.secrets), never in the clear; after
# a rotation the previous one still signs beside it until previous_secret_expires_at.
webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    *tenant_key_columns(),
    Column("url", String(2048), nullable=False),
    Column("description", String(500)),
    Column("event_types", Text),
    Column("enabled", Boolean, nullable=False),
    Column("disabled_reason", String(64)),
    Column("disabled_detail", String(500)),
    Column("disabled_at", UtcDateTime),
    Column("failing_since", UtcDateTime),
    Column("secret_sealed", Text, nullable=False),
    Column("previous_secret_sealed", Text),
    Column("previous_secret_expires_at", UtcDateTime),
    Column("version", Integer, nullable=False),
    *timestamp_columns(),
)
