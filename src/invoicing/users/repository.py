"""People and sessions. Two lookups come before the tenant is known (sign-in by e-mail, a
session by its cookie): on PostgreSQL they go through SECURITY DEFINER functions (migration
0014), as the token lookup does; everything else is tenant-scoped."""

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import RowMapping, Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.core.db import is_postgresql
from invoicing.core.repository import (
    TenantScopedRepository,
    fetch_all,
    fetch_one,
    fetch_optional,
    lookup_before_tenant,
)
from invoicing.users.tables import user_sessions, users

USERS_BY_EMAIL = "invoicing_users_by_email"
SESSION_BY_HASH = "invoicing_session_by_hash"


async def memberships_by_email(connection: AsyncConnection, email: str) -> list[RowMapping]:
    """Every tenant's account with this e-mail (lowercased), enabled or not, tenant order."""
    source = lookup_before_tenant(users, USERS_BY_EMAIL, email, postgresql=is_postgresql(connection))
    return await fetch_all(connection, select(source).where(source.c.email == email).order_by(source.c.tenant_id))


async def session_by_hash(connection: AsyncConnection, token_hash: str) -> RowMapping | None:
    source = lookup_before_tenant(user_sessions, SESSION_BY_HASH, token_hash, postgresql=is_postgresql(connection))
    return await fetch_optional(connection, select(source).where(source.c.token_hash == token_hash))


class UserRepository(TenantScopedRepository):
    table: ClassVar[Table] = users

    async def by_id(self, user_id: int) -> RowMapping | None:
        return await fetch_optional(self.connection, self.select_from_table().where(users.c.id == user_id))

    async def by_email(self, email: str) -> RowMapping | None:
        return await fetch_optional(self.connection, self.select_from_table().where(users.c.email == email))

    async def all(self) -> list[RowMapping]:
        return await fetch_all(self.connection, self.select_from_table().order_by(users.c.email))

    async def insert(self, **values: Any) -> RowMapping:
        return await fetch_one(self.connection, self.insert_values(**values).returning(users))

    async def change(self, user_id: int, **values: Any) -> RowMapping | None:
        statement = self.update_table().where(users.c.id == user_id).values(**values).returning(users)
        return await fetch_optional(self.connection, statement)

    async def count_enabled_owners(self) -> int:
        statement = self.select_from_table(func.count()).where(users.c.role == "owner", users.c.disabled_at.is_(None))
        return int((await self.connection.execute(statement)).scalar_one())


class SessionRepository(TenantScopedRepository):
    table: ClassVar[Table] = user_sessions

    async def insert(self, **values: Any) -> RowMapping:
        return await fetch_one(self.connection, self.insert_values(**values).returning(user_sessions))

    async def touch(self, session_id: int, *, at: datetime) -> None:
        await self.connection.execute(
            self.update_table().where(user_sessions.c.id == session_id).values(last_seen_at=at)
        )

    async def end(self, session_id: int, *, at: datetime) -> None:
        await self.connection.execute(
            self.update_table()
            .where(user_sessions.c.id == session_id, user_sessions.c.ended_at.is_(None))
            .values(ended_at=at)
        )

    async def end_all_of(self, user_id: int, *, at: datetime) -> None:
        await self.connection.execute(
            self.update_table()
            .where(user_sessions.c.user_pk == user_id, user_sessions.c.ended_at.is_(None))
            .values(ended_at=at)
        )
