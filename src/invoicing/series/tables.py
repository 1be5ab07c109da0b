from sqlalchemy import BigInteger, Boolean, Column, Integer, String, Table

from invoicing.core.tables import metadata, tenant_key_columns, timestamp_columns

series = Table(
    "series",
    metadata,
    *tenant_key_columns(),
    Column("name", String(3), nullable=False),
    Column("is_default", Boolean, nullable=False),
    *timestamp_columns(),
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
