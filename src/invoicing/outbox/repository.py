"""All outbox SQL: messages written with their change, deliveries claimed under a lease,
attempts logged, and the scans the worker makes before it knows a tenant.

Claims take `FOR UPDATE SKIP LOCKED` on PostgreSQL, so several workers (on several machines)
each take different rows without waiting on one another; on SQLite the write transaction
(BEGIN IMMEDIATE) already serialises claimers. A claim is a lease: if its worker dies, the
lease runs out and another worker claims the delivery again (at least once, never lost).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import RowMapping, and_, delete, func, or_, select, text, union_all
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.core.db import is_postgresql
from invoicing.core.ids import new_public_id
from invoicing.core.repository import TenantScopedRepository, fetch_all, fetch_optional
from invoicing.outbox.tables import delivery_attempts, outbox_deliveries, outbox_messages, worker_heartbeats
from invoicing.webhooks.tables import webhook_endpoints

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery this worker holds the lease of, with its message and (webhooks) its endpoint."""

    tenant_id: int
    delivery_id: int
    attempts: int  # made before this one
    message_id: int
    message_public_id: str
    kind: str
    event_type: str
    subject_id: int
    payload: str
    message_created_at: datetime
    endpoint_id: int | None
    url: str | None
    secret_sealed: str | None
    previous_secret_sealed: str | None
    previous_secret_expires_at: datetime | None
    failing_since: datetime | None


@dataclass(frozen=True, slots=True)
class Attempted:
    """What one attempt came to, as the log keeps it."""

    at: datetime
    outcome: str  # DELIVERED or FAILED
    status_code: int | None
    duration_ms: int
    response_excerpt: str | None
    error: str | None


class OutboxRepository(TenantScopedRepository):
    table = outbox_messages

    async def insert_messages(self, rows: Sequence[dict[str, Any]]) -> None:
        """Messages of one transaction in one statement (each row: kind, event_type, subject_*, payload, created_at)."""
        if rows:
            await self.connection.execute(
                outbox_messages.insert(), [{"tenant_id": self.tenant_id, **row} for row in rows]
            )

    async def unfanned(self, limit: int) -> list[RowMapping]:
        """Messages no worker has made deliveries for yet, oldest first, locked (others skip them)."""
        statement = (
            self.select_from_table()
            .where(outbox_messages.c.fanned_out_at.is_(None))
            .order_by(outbox_messages.c.id)
            .limit(limit)
        )
        if is_postgresql(self.connection):
            statement = statement.with_for_update(skip_locked=True)
        return await fetch_all(self.connection, statement)

    async def enabled_endpoints(self) -> list[RowMapping]:
        """The tenant's enabled endpoints: id, event-type filter (JSON text, NULL: all), created_at."""
        statement = self.select_from_table(
            webhook_endpoints.c.id,
            webhook_endpoints.c.event_types,
            webhook_endpoints.c.created_at,
            table=webhook_endpoints,
        ).where(webhook_endpoints.c.enabled.is_(True))
        return await fetch_all(self.connection, statement)

    async def fan_out(self, message_ids: Sequence[int], deliveries: Sequence[dict[str, Any]], *, at: datetime) -> None:
        """The deliveries of `message_ids` (message_id, endpoint_id, message_created_at), due now."""
        if deliveries:
            rows = [
                {
                    "tenant_id": self.tenant_id,
                    "public_id": new_public_id(),
                    "state": PENDING,
                    "attempts": 0,
                    "next_attempt_at": at,
                    "created_at": at,
                    **delivery,
                }
                for delivery in deliveries
            ]
            await self.connection.execute(outbox_deliveries.insert(), rows)
        if message_ids:
            await self.connection.execute(
                self.update_table().where(outbox_messages.c.id.in_(list(message_ids))).values(fanned_out_at=at)
            )

    async def claim_due(self, worker_id: str, *, at: datetime, lease_until: datetime, limit: int) -> list[Claimed]:
        """Leases up to `limit` due deliveries (oldest due first) to `worker_id`; skips those of
        disabled endpoints (they wait, pending, until it is enabled again)."""
        endpoint_join = and_(
            webhook_endpoints.c.tenant_id == outbox_deliveries.c.tenant_id,
            webhook_endpoints.c.id == outbox_deliveries.c.endpoint_id,
        )
        due = (
            select(outbox_deliveries.c.id)
            .select_from(outbox_deliveries.outerjoin(webhook_endpoints, endpoint_join))
            .where(
                self.tenant_filter(outbox_deliveries),
                outbox_deliveries.c.state == PENDING,
                outbox_deliveries.c.next_attempt_at <= at,
                or_(outbox_deliveries.c.leased_until.is_(None), outbox_deliveries.c.leased_until < at),
                or_(outbox_deliveries.c.endpoint_id.is_(None), webhook_endpoints.c.enabled.is_(True)),
            )
            .order_by(outbox_deliveries.c.next_attempt_at, outbox_deliveries.c.id)
            .limit(limit)
        )
        if is_postgresql(self.connection):
            due = due.with_for_update(of=outbox_deliveries, skip_locked=True)
        leased = await self.connection.execute(
            self.update_table(outbox_deliveries)
            .where(outbox_deliveries.c.id.in_(due.scalar_subquery()))
            .values(leased_by=worker_id, leased_until=lease_until)
            .returning(outbox_deliveries.c.id)
        )
        ids = [row[0] for row in leased]
        if not ids:
            return []
        statement = (
            select(
                outbox_deliveries.c.id,
                outbox_deliveries.c.attempts,
                outbox_deliveries.c.message_id,
                outbox_deliveries.c.endpoint_id,
                outbox_messages.c.public_id,
                outbox_messages.c.kind,
                outbox_messages.c.event_type,
                outbox_messages.c.subject_id,
                outbox_messages.c.payload,
                outbox_messages.c.created_at,
                webhook_endpoints.c.url,
                webhook_endpoints.c.secret_sealed,
                webhook_endpoints.c.previous_secret_sealed,
                webhook_endpoints.c.previous_secret_expires_at,
                webhook_endpoints.c.failing_since,
            )
            .select_from(
                outbox_deliveries.join(
                    outbox_messages,
                    and_(
                        outbox_messages.c.tenant_id == outbox_deliveries.c.tenant_id,
                        outbox_messages.c.id == outbox_deliveries.c.message_id,
                    ),
                ).outerjoin(webhook_endpoints, endpoint_join)
            )
            .where(self.tenant_filter(outbox_deliveries), outbox_deliveries.c.id.in_(ids))
            .order_by(outbox_deliveries.c.next_attempt_at, outbox_deliveries.c.id)
        )
        return [
            Claimed(
                tenant_id=self.tenant_id,
                delivery_id=row["id"],
                attempts=row["attempts"],
                message_id=row["message_id"],
                message_public_id=row["public_id"],
                kind=row["kind"],
                event_type=row["event_type"],
                subject_id=row["subject_id"],
                payload=row["payload"],
                message_created_at=row["created_at"],
                endpoint_id=row["endpoint_id"],
                url=row["url"],
                secret_sealed=row["secret_sealed"],
                previous_secret_sealed=row["previous_secret_sealed"],
                previous_secret_expires_at=row["previous_secret_expires_at"],
                failing_since=row["failing_since"],
            )
            for row in await fetch_all(self.connection, statement)
        ]

    async def finish(
        self, claimed: Claimed, worker_id: str, attempted: Attempted, *, state: str, next_attempt_at: datetime | None
    ) -> bool:
        """Logs the attempt and moves the delivery on (delivered, failed for good, or pending
        until `next_attempt_at`), releasing the lease. False when the lease was lost (it ran out
        and another worker claimed the delivery): the attempt is logged, the other worker's
        claim left alone."""
        await self.connection.execute(
            self.insert_values(
                delivery_attempts,
                public_id=new_public_id(),
                delivery_id=claimed.delivery_id,
                message_id=claimed.message_id,
                endpoint_id=claimed.endpoint_id,
                attempt=claimed.attempts + 1,
                attempted_at=attempted.at,
                outcome=attempted.outcome,
                status_code=attempted.status_code,
                duration_ms=attempted.duration_ms,
                response_excerpt=attempted.response_excerpt,
                error=attempted.error,
            )
        )
        values: dict[str, Any] = {
            "state": state,
            "attempts": outbox_deliveries.c.attempts + 1,
            "leased_by": None,
            "leased_until": None,
            "last_attempt_at": attempted.at,
            "last_status": attempted.status_code,
            "last_error": attempted.error,
        }
        if next_attempt_at is not None:
            values["next_attempt_at"] = next_attempt_at
        if state != PENDING:
            values["completed_at"] = attempted.at
        result = await self.connection.execute(
            self.update_table(outbox_deliveries)
            .where(outbox_deliveries.c.id == claimed.delivery_id, outbox_deliveries.c.leased_by == worker_id)
            .values(**values)
            .returning(outbox_deliveries.c.id)
        )
        return result.first() is not None

    async def release(self, worker_id: str, delivery_ids: Sequence[int]) -> None:
        """Gives back leases not finished (graceful shutdown): claimable again at once."""
        if delivery_ids:
            await self.connection.execute(
                self.update_table(outbox_deliveries)
                .where(outbox_deliveries.c.id.in_(list(delivery_ids)), outbox_deliveries.c.leased_by == worker_id)
                .values(leased_by=None, leased_until=None)
            )

    async def purge_settled(self, *, before: datetime) -> int:
        """Deletes messages written before `before` that have nothing left to deliver (fanned out,
        no delivery pending), with their deliveries and attempts; how many messages went."""
        pending = (
            select(outbox_deliveries.c.id)
            .where(
                self.tenant_filter(outbox_deliveries),
                outbox_deliveries.c.message_id == outbox_messages.c.id,
                outbox_deliveries.c.state == PENDING,
            )
            .exists()
        )
        settled = (
            select(outbox_messages.c.id)
            .where(
                self.tenant_filter(),
                outbox_messages.c.created_at < before,
                outbox_messages.c.fanned_out_at.is_not(None),
                ~pending,
            )
            .scalar_subquery()
        )
        # Attempts first: they name their message as well as their delivery.
        await self.connection.execute(
            delete(delivery_attempts).where(
                self.tenant_filter(delivery_attempts), delivery_attempts.c.message_id.in_(settled)
            )
        )
        await self.connection.execute(
            delete(outbox_deliveries).where(
                self.tenant_filter(outbox_deliveries), outbox_deliveries.c.message_id.in_(settled)
            )
        )
        result = await self.connection.execute(
            delete(outbox_messages).where(self.tenant_filter(), outbox_messages.c.id.in_(settled))
        )
        return int(result.rowcount)

    async def endpoint_succeeded(self, endpoint_id: int) -> None:
        await self.connection.execute(
            self.update_table(webhook_endpoints)
            .where(webhook_endpoints.c.id == endpoint_id, webhook_endpoints.c.failing_since.is_not(None))
            .values(failing_since=None)
        )

    async def endpoint_failed(self, endpoint_id: int, *, at: datetime) -> RowMapping | None:
        """Marks when the endpoint started failing (if it was not already); its row after."""
        await self.connection.execute(
            self.update_table(webhook_endpoints)
            .where(webhook_endpoints.c.id == endpoint_id, webhook_endpoints.c.failing_since.is_(None))
            .values(failing_since=at)
        )
        return await fetch_optional(
            self.connection,
            self.select_from_table(table=webhook_endpoints).where(webhook_endpoints.c.id == endpoint_id),
        )

    async def disable_endpoint(self, endpoint_id: int, *, reason: str, detail: str, at: datetime) -> None:
        await self.connection.execute(
            self.update_table(webhook_endpoints)
            .where(webhook_endpoints.c.id == endpoint_id, webhook_endpoints.c.enabled.is_(True))
            .values(
                enabled=False,
                disabled_reason=reason,
                disabled_detail=detail[:500],
                disabled_at=at,
                updated_at=at,
                version=webhook_endpoints.c.version + 1,
            )
        )


# -- before a tenant is known (the worker's scans) ----------------------------------------------------


async def due_tenants(connection: AsyncConnection, *, at: datetime, limit: int) -> list[int]:
    """Tenants with work due at `at`, the longest waiting first. On PostgreSQL through the
    SECURITY DEFINER function of migration 0012 (row-level security shows no row before a tenant
    is set); on SQLite the same query directly."""
    if is_postgresql(connection):
        result = await connection.execute(
            text("SELECT tenant_id FROM invoicing_outbox_due_tenants(:at, :limit)"), {"at": at, "limit": limit}
        )
        return [row[0] for row in result]
    waiting = union_all(
        select(outbox_messages.c.tenant_id, outbox_messages.c.created_at.label("since")).where(
            outbox_messages.c.fanned_out_at.is_(None)
        ),
        select(outbox_deliveries.c.tenant_id, outbox_deliveries.c.next_attempt_at).where(
            outbox_deliveries.c.state == PENDING,
            outbox_deliveries.c.next_attempt_at <= at,
            or_(outbox_deliveries.c.leased_until.is_(None), outbox_deliveries.c.leased_until < at),
        ),
    ).subquery()
    statement = (
        select(waiting.c.tenant_id).group_by(waiting.c.tenant_id).order_by(func.min(waiting.c.since)).limit(limit)
    )
    return [row[0] for row in await connection.execute(statement)]


@dataclass(frozen=True, slots=True)
class OutboxStats:
    depth: int  # messages not fanned out plus pending deliveries
    oldest: datetime | None  # when the oldest of them was written


async def outbox_stats(connection: AsyncConnection) -> OutboxStats:
    if is_postgresql(connection):
        row = (await connection.execute(text("SELECT depth, oldest FROM invoicing_outbox_stats()"))).one()
        return OutboxStats(depth=int(row[0]), oldest=row[1])
    waiting = union_all(
        select(outbox_messages.c.created_at.label("since")).where(outbox_messages.c.fanned_out_at.is_(None)),
        select(outbox_deliveries.c.message_created_at).where(outbox_deliveries.c.state == PENDING),
    ).subquery()
    row = (await connection.execute(select(func.count(), func.min(waiting.c.since)))).one()
    oldest = row[1]
    if isinstance(oldest, str):  # SQLite's min() over a union comes back as the stored text
        oldest = datetime.fromisoformat(oldest).replace(tzinfo=UTC)
    return OutboxStats(depth=int(row[0]), oldest=oldest)


# -- heartbeats (not tenant-owned) --------------------------------------------------------------------


async def beat(
    connection: AsyncConnection, *, worker_id: str, hostname: str, pid: int, started_at: datetime, at: datetime
) -> None:
    values = {"worker_id": worker_id, "hostname": hostname, "pid": pid, "started_at": started_at, "beat_at": at}
    insert = pg_insert if is_postgresql(connection) else sqlite_insert
    statement = insert(worker_heartbeats).values(**values)
    await connection.execute(
        statement.on_conflict_do_update(index_elements=["worker_id"], set_={"beat_at": statement.excluded.beat_at})
    )


async def stop_beating(connection: AsyncConnection, worker_id: str) -> None:
    await connection.execute(worker_heartbeats.delete().where(worker_heartbeats.c.worker_id == worker_id))


async def last_beat(connection: AsyncConnection) -> datetime | None:
    """The freshest heartbeat of any worker."""
    row = await fetch_optional(
        connection,
        select(worker_heartbeats.c.beat_at).order_by(worker_heartbeats.c.beat_at.desc()).limit(1),
    )
    return row["beat_at"] if row is not None else None
