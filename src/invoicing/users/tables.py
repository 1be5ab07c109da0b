from sqlalchemy import BigInteger, Column, String, Table

from invoicing.core.tables import metadata, tenant_key_columns
from invoicing.core.types import UtcDateTime

# One row per person per tenant: the same e-mail may belong to several tenants, each with its
# own role (and password). Unique per tenant; found by e-mail before the tenant is known.
users = Table(
    "users",
    metadata,
    *tenant_key_columns(),
    Column("email", String(254), nullable=False),
    Column("name", String(200), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("disabled_at", UtcDateTime),
)

# A signed-in browser: the cookie carries the secret, the table its digest (as access tokens).
user_sessions = Table(
    "user_sessions",
    metadata,
    *tenant_key_columns(),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_pk", BigInteger, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime),
)
