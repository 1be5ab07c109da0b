"""Foundation: tenants, credentials, customers, series, invoices, lines, events.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from invoicing.migrations.helpers import MONEY, TIMESTAMP, is_postgresql, tenant_fk, tenant_owned

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    id_type = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "tenants",
        sa.Column("id", id_type, *([sa.Identity()] if is_postgresql() else []), primary_key=True),
        sa.Column("public_id", sa.String(24), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("tax_number", sa.String(32)),
        sa.Column("base_currency", sa.String(3), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    )
    tenant_owned(
        "api_clients",
        sa.Column("client_id", sa.String(64), nullable=False, unique=True),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("scopes", sa.String(200), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("revoked_at", TIMESTAMP),
    )
    tenant_owned(
        "access_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("token_prefix", sa.String(16), nullable=False),
        sa.Column("client_pk", sa.BigInteger),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("scopes", sa.String(200), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP),
        sa.Column("revoked_at", TIMESTAMP),
        extra=[tenant_fk("client_pk", "api_clients")],
    )
    tenant_owned(
        "customers",
        sa.Column("first_name", sa.String(100), nullable=False),
        sa.Column("last_name", sa.String(100)),
        sa.Column("company_name", sa.String(200)),
        sa.Column("email", sa.String(254)),
        sa.Column("phone_number", sa.String(32)),
        sa.Column("tax_number", sa.String(32)),
        sa.Column("identity_number", sa.String(32)),
        sa.Column("passport_number", sa.String(32)),
        sa.Column("date_of_birth", sa.Date),
        sa.Column("country_id", sa.BigInteger),
        sa.Column("city_id", sa.BigInteger),
        sa.Column("district_id", sa.BigInteger),
        sa.Column("job", sa.String(100)),
        sa.Column("address", sa.Text),
        sa.Column("avatar_url", sa.String(2048)),
        sa.Column("avatar_updated_at", TIMESTAMP),
        sa.Column("user_id", sa.BigInteger),
        sa.Column("import_source_id", sa.BigInteger),
        sa.Column("is_intake_completed", sa.Boolean, nullable=False),
        sa.Column("default_channel_id", sa.BigInteger),
        sa.Column("search_text", sa.Text, nullable=False),
        sa.Column("deleted_at", TIMESTAMP),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    )
    tenant_owned(
        "series",
        sa.Column("name", sa.String(3), nullable=False),
        sa.Column("is_default", sa.Boolean, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        extra=[sa.UniqueConstraint("tenant_id", "name", name="uq_series_tenant_id_name")],
    )
    op.create_table(
        "series_counters",
        sa.Column("tenant_id", sa.BigInteger, nullable=False),
        sa.Column("series_id", sa.BigInteger, nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("last_number", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "series_id", "year", name="pk_series_counters"),
        tenant_fk("series_id", "series"),
    )
    tenant_owned(
        "invoices",
        sa.Column("customer_id", sa.BigInteger),
        sa.Column("series_id", sa.BigInteger, nullable=False),
        sa.Column("series_name", sa.String(3), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("document_number", sa.String(16)),
        sa.Column("number_year", sa.Integer),
        sa.Column("number_sequence", sa.BigInteger),
        sa.Column("document_class", sa.String(32), nullable=False),
        sa.Column("document_type", sa.String(32), nullable=False),
        sa.Column("profile_id", sa.String(32), nullable=False),
        sa.Column("issue_date", sa.Date),
        sa.Column("due_date", sa.Date),
        sa.Column("notes", sa.Text),
        sa.Column("exchange_rate", MONEY, nullable=False),
        sa.Column("sender_tax_number", sa.String(32)),
        sa.Column("receiver_name", sa.String(300)),
        sa.Column("receiver_tax_number", sa.String(32)),
        sa.Column("receiver_email", sa.String(254)),
        sa.Column("amount_tax_exclusive", MONEY, nullable=False),
        sa.Column("amount_tax_total", MONEY, nullable=False),
        sa.Column("amount_payable", MONEY, nullable=False),
        sa.Column("invoice_amount", MONEY, nullable=False),
        sa.Column("amount_paid", MONEY, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("cancelled_from", sa.String(16)),
        sa.Column("is_archived", sa.Boolean, nullable=False),
        sa.Column("is_read", sa.Boolean, nullable=False),
        sa.Column("is_printed", sa.Boolean, nullable=False),
        sa.Column("sent_at", TIMESTAMP),
        sa.Column("issued_at", TIMESTAMP),
        sa.Column("paid_at", TIMESTAMP),
        sa.Column("cancelled_at", TIMESTAMP),
        sa.Column("voided_at", TIMESTAMP),
        sa.Column("deleted_at", TIMESTAMP),
        sa.Column("archived_at", TIMESTAMP),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        extra=[
            tenant_fk("customer_id", "customers"),
            tenant_fk("series_id", "series"),
            # The database itself refuses a duplicate number, whatever the application does.
            sa.UniqueConstraint("tenant_id", "series_id", "number_year", "number_sequence", name="uq_invoices_number"),
        ],
    )
    op.create_index("ix_invoices_tenant_id_customer_id", "invoices", ["tenant_id", "customer_id"])
    op.create_index("ix_invoices_tenant_id_status", "invoices", ["tenant_id", "status"])
    tenant_owned(
        "invoice_lines",
        sa.Column("invoice_id", sa.BigInteger, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("quantity", MONEY, nullable=False),
        sa.Column("unit_price", MONEY, nullable=False),
        sa.Column("vat_rate_percent", MONEY, nullable=False),
        sa.Column("discount_percent", MONEY, nullable=False),
        sa.Column("amount_discount", MONEY, nullable=False),
        sa.Column("amount_net", MONEY, nullable=False),
        sa.Column("amount_tax", MONEY, nullable=False),
        sa.Column("amount_total", MONEY, nullable=False),
        extra=[
            tenant_fk("invoice_id", "invoices"),
            sa.UniqueConstraint("tenant_id", "invoice_id", "position", name="uq_invoice_lines_position"),
        ],
    )
    tenant_owned(
        "invoice_events",
        sa.Column("invoice_id", sa.BigInteger, nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("from_status", sa.String(16)),
        sa.Column("to_status", sa.String(16)),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("request_id", sa.String(128)),
        sa.Column("data", sa.Text),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        extra=[
            tenant_fk("invoice_id", "invoices"),
            sa.UniqueConstraint("tenant_id", "invoice_id", "sequence", name="uq_invoice_events_sequence"),
        ],
    )


def downgrade() -> None:
    for table in (
        "invoice_events",
        "invoice_lines",
        "invoices",
        "series_counters",
        "series",
        "customers",
        "access_tokens",
        "api_clients",
        "tenants",
    ):
        op.drop_table(table)
