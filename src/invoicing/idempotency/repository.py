import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, delete, select, text

from invoicing.core.ids import new_public_id
from invoicing.core.repository import TenantScopedRepository, fetch_optional
from invoicing.idempotency.tables import idempotency_keys


class IdempotencyRepository(TenantScopedRepository):
    table = idempotency_keys

    async def find(self, principal: str, key: str) -> RowMapping | None:
        statement = self.select_from_table().where(
            idempotency_keys.c.principal == principal, idempotency_keys.c.key == key
        )
        return await fetch_optional(self.connection, statement)

    async def insert(self, **values: Any) -> None:
        await self.connection.execute(self.insert_values(public_id=new_public_id(), **values))

    async def delete_key(self, row_id: int) -> None:
        await self.connection.execute(
            delete(idempotency_keys).where(self.tenant_filter(), idempotency_keys.c.id == row_id)
        )

    async def purge_expired(self, now: datetime, *, limit: int) -> int:
        expired = (
            select(idempotency_keys.c.id)
            .where(self.tenant_filter(), idempotency_keys.c.expires_at <= now)
            .limit(limit)
            .scalar_subquery()
        )
        statement = delete(idempotency_keys).where(self.tenant_filter(), idempotency_keys.c.id.in_(expired))
        return (await self.connection.execute(statement)).rowcount

    async def try_claim(self, principal: str, key: str) -> bool:
        """PostgreSQL: take a transaction-scoped advisory lock on the key, without waiting.

        False means another transaction holds it: the same key's first request is in flight.
        SQLite needs none: BEGIN IMMEDIATE already runs writers one at a time.
        """
        if self.connection.dialect.name != "postgresql":
            return True
        digest = hashlib.sha256(f"{self.tenant_id}\x00{principal}\x00{key}".encode()).digest()
        lock_id = int.from_bytes(digest[:8], "big", signed=True)
        result = await self.connection.execute(text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": lock_id})
        return bool(result.scalar_one())
