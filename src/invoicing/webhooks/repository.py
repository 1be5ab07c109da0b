from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, delete

from invoicing.core.ids import new_public_id
from invoicing.core.repository import TenantScopedRepository, fetch_all, fetch_one, fetch_optional
from invoicing.outbox.tables import delivery_attempts, outbox_deliveries, outbox_messages
from invoicing.webhooks.tables import webhook_endpoints

WEBHOOK_KIND = "webhook"  # the outbox message kind an endpoint receives
# Changes per statement: well inside SQLite's and asyncpg's bound-parameter limits.
_CHUNK = 1000


class WebhookEndpointRepository(TenantScopedRepository):
    """One tenant's webhook endpoints."""

    table = webhook_endpoints

    async def insert(self, **values: Any) -> RowMapping:
        statement = self.insert_values(public_id=new_public_id(), version=1, **values).returning(webhook_endpoints)
        return await fetch_one(self.connection, statement)

    async def get(self, endpoint_id: int, *, for_update: bool = False) -> RowMapping | None:
        """`for_update` locks the row (PostgreSQL; SQLite's write transaction is the lock)."""
        statement = self.select_from_table().where(webhook_endpoints.c.id == endpoint_id)
        if for_update:
            statement = statement.with_for_update()
        return await fetch_optional(self.connection, statement)

    async def page(self, *, after_id: int | None, limit: int) -> list[RowMapping]:
        """Newest first; `limit + 1` rows so the caller can tell whether more follow."""
        statement = self.select_from_table()
        if after_id is not None:
            statement = statement.where(webhook_endpoints.c.id < after_id)
        statement = statement.order_by(webhook_endpoints.c.id.desc()).limit(limit + 1)
        return await fetch_all(self.connection, statement)

    async def update(self, endpoint_id: int, *, expected_version: int, **values: Any) -> RowMapping | None:
        """The change, only from the version the caller read (None otherwise); bumps the version."""
        statement = (
            self.update_table()
            .where(webhook_endpoints.c.id == endpoint_id, webhook_endpoints.c.version == expected_version)
            .values(version=webhook_endpoints.c.version + 1, **values)
            .returning(webhook_endpoints)
        )
        return await fetch_optional(self.connection, statement)

    async def delete(self, endpoint_id: int) -> bool:
        """Deletes the endpoint; its deliveries and their attempts go with it (ON DELETE CASCADE)."""
        statement = delete(webhook_endpoints).where(self.tenant_filter(), webhook_endpoints.c.id == endpoint_id)
        return (await self.connection.execute(statement)).rowcount == 1


class DeliveryLogRepository(TenantScopedRepository):
    """An endpoint's delivery attempts, with the message each delivered."""

    table = delivery_attempts

    async def page(self, endpoint_id: int, *, after_id: int | None, limit: int) -> list[RowMapping]:
        """Newest first; `limit + 1` rows so the caller can tell whether more follow."""
        statement = (
            self.select_from_table(
                delivery_attempts,
                outbox_messages.c.public_id.label("message_public_id"),
                outbox_messages.c.event_type,
            )
            .join(
                outbox_messages,
                (outbox_messages.c.tenant_id == delivery_attempts.c.tenant_id)
                & (outbox_messages.c.id == delivery_attempts.c.message_id),
            )
            .where(delivery_attempts.c.endpoint_id == endpoint_id)
        )
        if after_id is not None:
            statement = statement.where(delivery_attempts.c.id < after_id)
        statement = statement.order_by(delivery_attempts.c.id.desc()).limit(limit + 1)
        return await fetch_all(self.connection, statement)


class ReplayRepository(TenantScopedRepository):
    """The tenant's webhook messages, and an endpoint's deliveries of them made pending again."""

    table = outbox_messages

    async def message(self, public_id: str) -> RowMapping | None:
        statement = self.select_from_table().where(
            outbox_messages.c.public_id == public_id, outbox_messages.c.kind == WEBHOOK_KIND
        )
        return await fetch_optional(self.connection, statement)

    async def messages_since(
        self, since: datetime, *, event_types: Sequence[str] | None, limit: int
    ) -> list[RowMapping]:
        """Webhook messages created at or after `since` of the given types (None: all), oldest first."""
        statement = self.select_from_table().where(
            outbox_messages.c.kind == WEBHOOK_KIND, outbox_messages.c.created_at >= since
        )
        if event_types is not None:
            statement = statement.where(outbox_messages.c.event_type.in_(event_types))
        statement = statement.order_by(outbox_messages.c.created_at, outbox_messages.c.id).limit(limit)
        return await fetch_all(self.connection, statement)

    async def requeue(self, endpoint_id: int, messages: Sequence[RowMapping], *, at: datetime) -> None:
        """Each message's delivery to the endpoint pending again, due `at`, with no attempts and
        no lease; a delivery the endpoint never had is made. Pre: the endpoint's row is locked
        (concurrent replays take turns, so neither inserts a row the other just made)."""
        for start in range(0, len(messages), _CHUNK):
            chunk = messages[start : start + _CHUNK]
            ids = [message["id"] for message in chunk]
            existing = self.select_from_table(outbox_deliveries.c.message_id, table=outbox_deliveries).where(
                outbox_deliveries.c.endpoint_id == endpoint_id, outbox_deliveries.c.message_id.in_(ids)
            )
            found = {row["message_id"] for row in await fetch_all(self.connection, existing)}
            if found:
                pending_again = (
                    self.update_table(outbox_deliveries)
                    .where(outbox_deliveries.c.endpoint_id == endpoint_id, outbox_deliveries.c.message_id.in_(found))
                    .values(
                        state="pending",
                        attempts=0,
                        next_attempt_at=at,
                        leased_by=None,
                        leased_until=None,
                        completed_at=None,
                    )
                )
                await self.connection.execute(pending_again)
            missing = [
                {
                    "tenant_id": self.tenant_id,
                    "public_id": new_public_id(),
                    "message_id": message["id"],
                    "endpoint_id": endpoint_id,
                    "state": "pending",
                    "attempts": 0,
                    "next_attempt_at": at,
                    "message_created_at": message["created_at"],
                    "created_at": at,
                }
                for message in chunk
                if message["id"] not in found
            ]
            if missing:
                await self.connection.execute(outbox_deliveries.insert(), missing)
