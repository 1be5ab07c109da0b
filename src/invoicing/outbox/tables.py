from sqlalchemy import BigInteger, Column, Integer, String, Table, Text

from invoicing.core.tables import metadata, tenant_key_columns
from invoicing.core.types import UtcDateTime

# What a change has to tell the outside world (migration 0012), written in the change's own
# transaction. kind "webhook": an event, its payload rendered as the change left the subject;
# kind "email": an invoice to e-mail, payload {"invoice_id": ...}. public_id is the message's
# stable id (`msg_<public_id>`, the webhook-id header); fanned_out_at is set when the worker has
# made its deliveries.
outbox_messages = Table(
    "outbox_messages",
    metadata,
    *tenant_key_columns(),
    Column("kind", String(16), nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("subject_type", String(16), nullable=False),
    Column("subject_id", BigInteger, nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("fanned_out_at", UtcDateTime),
)

# One per (message, endpoint), or one per e-mail message (endpoint_id NULL). A worker claims a
# pending, due delivery by leasing it (leased_by, leased_until); a lease that runs out (the worker
# died) makes it claimable again, so a delivery is attempted at least once and maybe more.
outbox_deliveries = Table(
    "outbox_deliveries",
    metadata,
    *tenant_key_columns(),
    Column("message_id", BigInteger, nullable=False),
    Column("endpoint_id", BigInteger),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("leased_by", String(64)),
    Column("leased_until", UtcDateTime),
    Column("last_attempt_at", UtcDateTime),
    Column("last_status", Integer),
    Column("last_error", String(500)),
    Column("message_created_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("completed_at", UtcDateTime),
)

# Every attempt, as the endpoint's delivery log shows it.
delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    *tenant_key_columns(),
    Column("delivery_id", BigInteger, nullable=False),
    Column("message_id", BigInteger, nullable=False),
    Column("endpoint_id", BigInteger),
    Column("attempt", Integer, nullable=False),
    Column("attempted_at", UtcDateTime, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("status_code", Integer),
    Column("duration_ms", Integer, nullable=False),
    Column("response_excerpt", Text),
    Column("error", String(500)),
)

# Not tenant-owned: each running worker's last beat (/readyz reads the freshest).
worker_heartbeats = Table(
    "worker_heartbeats",
    metadata,
    Column("worker_id", String(64), primary_key=True),
    Column("hostname", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("beat_at", UtcDateTime, nullable=False),
)
