"""The outbox, webhook endpoints, their deliveries and attempts, and the workers' heartbeats.

- `outbox_messages`: what a change has to tell the outside world, written in the change's own
  transaction: kind `webhook` (an event, its Standard Webhooks payload rendered then) or `email`
  (an invoice to e-mail). Its `public_id` is the message's stable id (`msg_<public_id>` is the
  `webhook-id` header). `fanned_out_at` is set once the worker has made its deliveries.
- `webhook_endpoints`: a tenant's receivers: URL, event-type filter, the signing secret sealed
  (and the previous one, valid until `previous_secret_expires_at` after a rotation), and why and
  when one was disabled.
- `outbox_deliveries`: one per (message, endpoint), or one per e-mail message (no endpoint):
  its state, attempts, next attempt and the claiming worker's lease.
- `delivery_attempts`: the log of every attempt (time, status, duration, response excerpt).
- `worker_heartbeats` (not tenant-owned): each running worker's last beat, for /readyz.

The worker finds which tenants have work before any tenant is known, while row-level security
shows the service's role no row until one is. As with the hosted lookup (0010), SECURITY
DEFINER functions owned by the tables' owner answer those two questions only (which tenants have
work due; how deep and how old the outbox is), through an owner-only policy switched on for
their one query by the setting `app.outbox_scan`. The work itself is then done tenant by tenant,
the normal, tenant-scoped way.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from invoicing.core.db import APP_ROLE
from invoicing.migrations.helpers import (
    TIMESTAMP,
    is_postgresql,
    isolate_tenant_table,
    quoted,
    release_tenant_table,
    tenant_fk,
    tenant_owned,
)

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_TABLES = ("outbox_messages", "webhook_endpoints", "outbox_deliveries", "delivery_attempts")
SCANNED_TABLES = ("outbox_messages", "outbox_deliveries")
SCAN_SETTING = "app.outbox_scan"
DUE_TENANTS = "invoicing_outbox_due_tenants"
STATS = "invoicing_outbox_stats"


def _cascading(column: str, table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", column],
        [f"{table}.tenant_id", f"{table}.id"],
        name=f"fk_{column}_{table}",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    tenant_owned(
        "outbox_messages",
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("subject_type", sa.String(16), nullable=False),
        sa.Column("subject_id", sa.BigInteger, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("fanned_out_at", TIMESTAMP),
    )
    op.create_index("ix_outbox_messages_tenant_id_created_at", "outbox_messages", ["tenant_id", "created_at"])
    op.create_index(
        "ix_outbox_messages_unfanned",
        "outbox_messages",
        ["created_at"],
        postgresql_where=sa.text("fanned_out_at IS NULL"),
        sqlite_where=sa.text("fanned_out_at IS NULL"),
    )
    tenant_owned(
        "webhook_endpoints",
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("description", sa.String(500)),
        sa.Column("event_types", sa.Text),  # a JSON array; NULL: every event type
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("disabled_reason", sa.String(64)),
        sa.Column("disabled_detail", sa.String(500)),
        sa.Column("disabled_at", TIMESTAMP),
        sa.Column("failing_since", TIMESTAMP),
        sa.Column("secret_sealed", sa.Text, nullable=False),
        sa.Column("previous_secret_sealed", sa.Text),
        sa.Column("previous_secret_expires_at", TIMESTAMP),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    )
    tenant_owned(
        "outbox_deliveries",
        sa.Column("message_id", sa.BigInteger, nullable=False),
        sa.Column("endpoint_id", sa.BigInteger),  # NULL: an e-mail
        sa.Column("state", sa.String(16), nullable=False),  # pending | delivered | failed
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TIMESTAMP, nullable=False),
        sa.Column("leased_by", sa.String(64)),
        sa.Column("leased_until", TIMESTAMP),
        sa.Column("last_attempt_at", TIMESTAMP),
        sa.Column("last_status", sa.Integer),
        sa.Column("last_error", sa.String(500)),
        sa.Column("message_created_at", TIMESTAMP, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("completed_at", TIMESTAMP),
        extra=[
            _cascading("message_id", "outbox_messages"),
            _cascading("endpoint_id", "webhook_endpoints"),
            sa.UniqueConstraint(
                "tenant_id", "message_id", "endpoint_id", name="uq_outbox_deliveries_tenant_id_message_endpoint"
            ),
        ],
    )
    op.create_index(
        "ix_outbox_deliveries_due",
        "outbox_deliveries",
        ["next_attempt_at"],
        postgresql_where=sa.text("state = 'pending'"),
        sqlite_where=sa.text("state = 'pending'"),
    )
    op.create_index("ix_outbox_deliveries_tenant_id_endpoint_id", "outbox_deliveries", ["tenant_id", "endpoint_id"])
    tenant_owned(
        "delivery_attempts",
        sa.Column("delivery_id", sa.BigInteger, nullable=False),
        sa.Column("message_id", sa.BigInteger, nullable=False),
        sa.Column("endpoint_id", sa.BigInteger),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("attempted_at", TIMESTAMP, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),  # delivered | failed
        sa.Column("status_code", sa.Integer),
        sa.Column("duration_ms", sa.Integer, nullable=False),
        sa.Column("response_excerpt", sa.Text),
        sa.Column("error", sa.String(500)),
        extra=[
            _cascading("delivery_id", "outbox_deliveries"),
            tenant_fk("message_id", "outbox_messages"),
        ],
    )
    op.create_index(
        "ix_delivery_attempts_tenant_id_endpoint_id_id", "delivery_attempts", ["tenant_id", "endpoint_id", "id"]
    )
    op.create_index("ix_delivery_attempts_tenant_id_delivery_id", "delivery_attempts", ["tenant_id", "delivery_id"])
    op.create_table(
        "worker_heartbeats",
        sa.Column("worker_id", sa.String(64), primary_key=True),
        sa.Column("hostname", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("beat_at", TIMESTAMP, nullable=False),
    )
    if is_postgresql():
        for name in NEW_TABLES:
            isolate_tenant_table(name, APP_ROLE)
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON worker_heartbeats TO {quoted(APP_ROLE)}")
        _scan_functions()


def _scan_functions() -> None:
    schema, role = quoted(op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one()), quoted(APP_ROLE)
    for table in SCANNED_TABLES:
        op.execute(
            f"CREATE POLICY outbox_scan ON {table} FOR SELECT TO CURRENT_USER "
            f"USING (current_setting('{SCAN_SETTING}', true) = 'on')"
        )
    # Which tenants have work due at `at`: messages not fanned out yet, or pending deliveries
    # due and not leased by a live claim; the longest-waiting first.
    op.execute(f"""
        CREATE FUNCTION {schema}.{DUE_TENANTS}(at timestamptz, max_tenants integer)
        RETURNS TABLE (tenant_id bigint)
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER
        SET search_path = {schema}, pg_temp
        AS $$
        #variable_conflict use_column
        BEGIN
            PERFORM set_config('{SCAN_SETTING}', 'on', true);
            RETURN QUERY
                SELECT due.tenant_id FROM (
                    SELECT m.tenant_id, m.created_at AS since FROM {schema}.outbox_messages AS m
                    WHERE m.fanned_out_at IS NULL
                    UNION ALL
                    SELECT d.tenant_id, d.next_attempt_at FROM {schema}.outbox_deliveries AS d
                    WHERE d.state = 'pending' AND d.next_attempt_at <= at
                      AND (d.leased_until IS NULL OR d.leased_until < at)
                ) AS due
                GROUP BY due.tenant_id ORDER BY min(due.since) LIMIT max_tenants;
            PERFORM set_config('{SCAN_SETTING}', '', true);
        END
        $$
    """)  # noqa: S608 (the quoted schema and constants)
    # How much is waiting, and since when: messages not fanned out and pending deliveries.
    op.execute(f"""
        CREATE FUNCTION {schema}.{STATS}()
        RETURNS TABLE (depth bigint, oldest timestamptz)
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER
        SET search_path = {schema}, pg_temp
        AS $$
        #variable_conflict use_column
        BEGIN
            PERFORM set_config('{SCAN_SETTING}', 'on', true);
            RETURN QUERY
                SELECT count(*), min(waiting.since) FROM (
                    SELECT m.created_at AS since FROM {schema}.outbox_messages AS m WHERE m.fanned_out_at IS NULL
                    UNION ALL
                    SELECT d.message_created_at FROM {schema}.outbox_deliveries AS d WHERE d.state = 'pending'
                ) AS waiting;
            PERFORM set_config('{SCAN_SETTING}', '', true);
        END
        $$
    """)  # noqa: S608 (the quoted schema and constants)
    for function, arguments in ((DUE_TENANTS, "timestamptz, integer"), (STATS, "")):
        op.execute(f"REVOKE ALL ON FUNCTION {schema}.{function}({arguments}) FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {schema}.{function}({arguments}) TO {role}")


def downgrade() -> None:
    if is_postgresql():
        schema = quoted(op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one())
        op.execute(f"DROP FUNCTION IF EXISTS {schema}.{DUE_TENANTS}(timestamptz, integer)")
        op.execute(f"DROP FUNCTION IF EXISTS {schema}.{STATS}()")
        for table in SCANNED_TABLES:
            op.execute(f"DROP POLICY IF EXISTS outbox_scan ON {table}")
        for name in NEW_TABLES:
            release_tenant_table(name, APP_ROLE)
    op.drop_table("worker_heartbeats")
    for name in reversed(NEW_TABLES):
        op.drop_table(name)
