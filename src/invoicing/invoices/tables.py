from sqlalchemy import BigInteger, Boolean, Column, Date, Integer, String, Table, Text

from invoicing.core.tables import metadata, tenant_key_columns, timestamp_columns
from invoicing.core.types import ExactDecimal, UtcDateTime

invoices = Table(
    "invoices",
    metadata,
    *tenant_key_columns(),
    Column("customer_id", BigInteger),
    Column("series_id", BigInteger, nullable=False),
    Column("series_name", String(3), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("document_number", String(16)),
    Column("number_year", Integer),
    Column("number_sequence", BigInteger),
    Column("document_class", String(32), nullable=False),
    Column("document_type", String(32), nullable=False),
    Column("profile_id", String(32), nullable=False),
    Column("issue_date", Date),
    Column("due_date", Date),
    Column("notes", Text),
    Column("exchange_rate", ExactDecimal, nullable=False),
    Column("sender_tax_number", String(32)),
    Column("receiver_name", String(300)),
    Column("receiver_tax_number", String(32)),
    Column("receiver_email", String(254)),
    Column("amount_tax_exclusive", ExactDecimal, nullable=False),
    Column("amount_tax_total", ExactDecimal, nullable=False),
    Column("amount_payable", ExactDecimal, nullable=False),
    Column("invoice_amount", ExactDecimal, nullable=False),
    Column("amount_paid", ExactDecimal, nullable=False),
    # Sums of the invoice's credit notes and of the customer credit it received (migration 0011):
    # amount due = payable - paid - (credited - refunded - kept_as_credit) - credit_applied.
    Column("amount_credited", ExactDecimal, nullable=False, server_default="0"),
    Column("amount_refunded", ExactDecimal, nullable=False, server_default="0"),
    Column("amount_kept_as_credit", ExactDecimal, nullable=False, server_default="0"),
    Column("amount_credit_applied", ExactDecimal, nullable=False, server_default="0"),
    Column("status", String(16), nullable=False),
    Column("cancelled_from", String(16)),
    Column("is_archived", Boolean, nullable=False),
    Column("is_read", Boolean, nullable=False),
    Column("is_printed", Boolean, nullable=False),
    Column("sent_at", UtcDateTime),
    Column("issued_at", UtcDateTime),
    Column("paid_at", UtcDateTime),
    Column("cancelled_at", UtcDateTime),
    Column("voided_at", UtcDateTime),
    Column("deleted_at", UtcDateTime),
    Column("archived_at", UtcDateTime),
    Column("version", Integer, nullable=False),
    # HighLevel-only document fields (name, title, businessDetails, ...) as JSON text (migration 0005).
    Column("highlevel_details", Text),
    # What list search matches: invoice_search_key(...) of SEARCHED, written with them (migration 0007).
    Column("search_key", Text, nullable=False),
    # Frozen at issue (migration 0008): the seller's and buyer's details as JSON text, the
    # document locale; the supply date (BT-72) when it differs from the issue date.
    Column("seller", Text),
    Column("buyer", Text),
    Column("locale", String(35)),
    Column("delivery_date", Date),
    Column("uuid", String(36)),
    # The hosted page's secret (unique across tenants: the page is found by it alone).
    Column("hosted_token", String(64), unique=True),
    *timestamp_columns(),
)

invoice_lines = Table(
    "invoice_lines",
    metadata,
    *tenant_key_columns(),
    Column("invoice_id", BigInteger, nullable=False),
    Column("position", Integer, nullable=False),
    Column("name", String(500), nullable=False),
    Column("quantity", ExactDecimal, nullable=False),
    Column("unit_price", ExactDecimal, nullable=False),
    Column("vat_rate_percent", ExactDecimal, nullable=False),
    Column("discount_percent", ExactDecimal, nullable=False),
    Column("amount_discount", ExactDecimal, nullable=False),
    Column("amount_net", ExactDecimal, nullable=False),
    Column("amount_tax", ExactDecimal, nullable=False),
    Column("amount_total", ExactDecimal, nullable=False),
    # UNCL 5305 (S, Z, E, AE, K, G, O), the VATEX code and text that say why no VAT (migration 0008).
    Column("tax_category", String(2), nullable=False),
    Column("tax_exemption_reason_code", String(30)),
    Column("tax_exemption_reason", String(1000)),
    Column("unit_code", String(3), nullable=False),
)
