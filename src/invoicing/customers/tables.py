from sqlalchemy import BigInteger, Boolean, Column, Date, String, Table, Text

from invoicing.core.tables import metadata, tenant_key_columns, timestamp_columns
from invoicing.core.types import UtcDateTime

customers = Table(
    "customers",
    metadata,
    *tenant_key_columns(),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100)),
    Column("company_name", String(200)),
    Column("email", String(254)),
    Column("phone_number", String(32)),
    Column("tax_number", String(32)),
    Column("identity_number", String(32)),
    Column("passport_number", String(32)),
    Column("date_of_birth", Date),
    Column("country_id", BigInteger),
    Column("city_id", BigInteger),
    Column("district_id", BigInteger),
    Column("job", String(100)),
    Column("address", Text),
    Column("avatar_url", String(2048)),
    Column("avatar_updated_at", UtcDateTime),
    Column("user_id", BigInteger),
    Column("import_source_id", BigInteger),
    Column("is_intake_completed", Boolean, nullable=False),
    Column("default_channel_id", BigInteger),
    Column("search_text", Text, nullable=False),
    # Structured details for documents, JSON text (migration 0008); `address` stays the seed's string.
    Column("postal_address", Text),
    Column("electronic_address", Text),
    Column("locale", String(35)),
    Column("deleted_at", UtcDateTime),
    *timestamp_columns(),
)
