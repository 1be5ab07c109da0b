from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table, text

from invoicing.core.tables import metadata, tenant_key_columns, timestamp_columns

series = Table(
    "series",
    metadata,
    *tenant_key_columns(),
    Column("name", String(3), nullable=False),
    Column("is_default", Boolean, nullable=False),
    # `invoice` or `credit_note` (migration 0011): each kind numbers its own documents.
    Column("kind", String(16), nullable=False, server_default="invoice"),
    *timestamp_columns(),
)

# One default series per tenant and kind, held by the database (migrations 0006, 0011).
ONE_DEFAULT_SERIES = Index(
    "uq_series_one_default_per_kind",
    series.c.tenant_id,
    series.c.kind,
    unique=True,
    postgresql_where=text("is_default"),
    sqlite_where=text("is_default"),
)

# One counter row per (series, year). Issuing increments it inside the issuing transaction,
# so a rolled-back issue gives its number back: numbers stay gapless.
series_counters = Table(
    "series_counters",
    metadata,
    Column("tenant_id", BigInteger, primary_key=True),
    Column("series_id", BigInteger, primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("last_number", BigInteger, nullable=False),
)
