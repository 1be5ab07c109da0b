from sqlalchemy import BigInteger, Column, String, Table

from invoicing.core.tables import metadata, tenant_key_columns
from invoicing.core.types import UtcDateTime

api_clients = Table(
    "api_clients",
    metadata,
    *tenant_key_columns(),
    Column("client_id", String(64), nullable=False, unique=True),
    Column("secret_hash", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("scopes", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
)

# Looked up by hash alone (the token names its tenant), hence the global unique index.
access_tokens = Table(
    "access_tokens",
    metadata,
    *tenant_key_columns(),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("token_prefix", String(16), nullable=False),
    Column("client_pk", BigInteger),
    Column("kind", String(16), nullable=False),
    Column("scopes", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime),
    Column("revoked_at", UtcDateTime),
)
