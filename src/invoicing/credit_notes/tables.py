from sqlalchemy import BigInteger, Column, Date, Integer, String, Table, Text

from invoicing.core.tables import metadata, tenant_key_columns, timestamp_columns
from invoicing.core.types import ExactDecimal, UtcDateTime

# A credit note against one issued invoice (migration 0011). At issue its total splits exactly
# into amount_reducing_due + amount_refunded + amount_kept_as_credit; amount_allocated is the part
# of the kept credit since applied to other invoices of the customer (never more than kept).
credit_notes = Table(
    "credit_notes",
    metadata,
    *tenant_key_columns(),
    Column("invoice_id", BigInteger, nullable=False),
    Column("invoice_number", String(16), nullable=False),
    Column("invoice_issue_date", Date, nullable=False),
    Column("customer_id", BigInteger),
    Column("series_id", BigInteger, nullable=False),
    Column("series_name", String(3), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("document_number", String(16)),
    Column("number_year", Integer),
    Column("number_sequence", BigInteger),
    Column("issue_date", Date),
    Column("reason", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("amount_tax_exclusive", ExactDecimal, nullable=False),
    Column("amount_tax_total", ExactDecimal, nullable=False),
    Column("amount_total", ExactDecimal, nullable=False),
    Column("amount_reducing_due", ExactDecimal, nullable=False),
    Column("amount_refunded", ExactDecimal, nullable=False),
    Column("amount_kept_as_credit", ExactDecimal, nullable=False),
    Column("amount_allocated", ExactDecimal, nullable=False),
    # The refund the caller asked for (a draft keeps it until issue), and when it was made.
    Column("refund_amount", ExactDecimal),
    Column("refund_method", String(16)),
    Column("refund_reference", String(200)),
    Column("refunded_at", UtcDateTime),
    Column("uuid", String(36), nullable=False),
    # Frozen at issue, as on invoices: the seller's and buyer's details (JSON text) and the locale.
    Column("seller", Text),
    Column("buyer", Text),
    Column("locale", String(35)),
    Column("issued_at", UtcDateTime),
    Column("voided_at", UtcDateTime),
    Column("deleted_at", UtcDateTime),
    Column("version", Integer, nullable=False),
    *timestamp_columns(),
)

credit_note_lines = Table(
    "credit_note_lines",
    metadata,
    *tenant_key_columns(),
    Column("credit_note_id", BigInteger, nullable=False),
    Column("position", Integer, nullable=False),
    # The invoice line this line credits; None for a free line with its own rate.
    Column("invoice_line_id", BigInteger),
    # `quantity` or `amount` (of the invoice line named), or `line` (a free line with its own rate).
    Column("credited_by", String(8), nullable=False),
    Column("name", String(500), nullable=False),
    Column("quantity", ExactDecimal, nullable=False),
    Column("unit_price", ExactDecimal, nullable=False),
    Column("vat_rate_percent", ExactDecimal, nullable=False),
    # As on invoice lines: the credited units keep the line's discount. On the line that closes
    # an invoice line, amount_discount absorbs the rounding left over (it may be -0.01).
    Column("discount_percent", ExactDecimal, nullable=False),
    Column("amount_discount", ExactDecimal, nullable=False),
    Column("amount_net", ExactDecimal, nullable=False),
    Column("amount_tax", ExactDecimal, nullable=False),
    Column("amount_total", ExactDecimal, nullable=False),
    Column("tax_category", String(2), nullable=False),
    Column("tax_exemption_reason_code", String(30)),
    Column("tax_exemption_reason", String(1000)),
    Column("unit_code", String(3), nullable=False),
)

# Append-only; (tenant_id, credit_note_id, sequence) is unique and sequence is the note's new version.
credit_note_events = Table(
    "credit_note_events",
    metadata,
    *tenant_key_columns(),
    Column("credit_note_id", BigInteger, nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("type", String(64), nullable=False),
    Column("from_status", String(16)),
    Column("to_status", String(16)),
    Column("actor", String(64), nullable=False),
    Column("request_id", String(128)),
    Column("data", Text),
    Column("created_at", UtcDateTime, nullable=False),
)

# Customer credit of one credit note applied to another open invoice of the same customer.
credit_allocations = Table(
    "credit_allocations",
    metadata,
    *tenant_key_columns(),
    Column("credit_note_id", BigInteger, nullable=False),
    Column("invoice_id", BigInteger, nullable=False),
    Column("amount", ExactDecimal, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)
