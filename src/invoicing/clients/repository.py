from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.auth.tables import access_tokens, api_clients
from invoicing.core.ids import new_public_id
from invoicing.core.repository import TenantScopedRepository, fetch_all, fetch_one, fetch_optional


class ClientRepository(TenantScopedRepository):
    """One tenant's OAuth clients, and the tokens they minted."""

    table = api_clients

    async def insert(self, **values: Any) -> RowMapping:
        statement = self.insert_values(public_id=new_public_id(), **values).returning(api_clients)
        return await fetch_one(self.connection, statement)

    async def list(self) -> list[RowMapping]:
        return await fetch_all(self.connection, self.select_from_table().order_by(api_clients.c.id))

    async def get(self, client_pk: int) -> RowMapping | None:
        return await fetch_optional(self.connection, self.select_from_table().where(api_clients.c.id == client_pk))

    async def mark_revoked(self, client_pk: int, *, at: datetime) -> RowMapping | None:
        """Revokes the client unless it already is; None when it was revoked (or is missing)."""
        statement = (
            self.update_table()
            .where(api_clients.c.id == client_pk, api_clients.c.revoked_at.is_(None))
            .values(revoked_at=at)
            .returning(api_clients)
        )
        return await fetch_optional(self.connection, statement)

    async def revoke_tokens_of(self, client_pk: int, *, at: datetime) -> int:
        """Every token the client minted that is still active; how many."""
        statement = (
            update(access_tokens)
            .where(
                self.tenant_filter(access_tokens),
                access_tokens.c.client_pk == client_pk,
                access_tokens.c.revoked_at.is_(None),
            )
            .values(revoked_at=at)
        )
        return (await self.connection.execute(statement)).rowcount

    async def replace_secret(self, client_pk: int, *, secret_hash: str) -> RowMapping | None:
        """The new secret's hash on an active client; None when it is revoked (or missing)."""
        statement = (
            self.update_table()
            .where(api_clients.c.id == client_pk, api_clients.c.revoked_at.is_(None))
            .values(secret_hash=secret_hash)
            .returning(api_clients)
        )
        return await fetch_optional(self.connection, statement)


async def clients_of_every_tenant(connection: AsyncConnection, *, tenant_id: int | None = None) -> list[RowMapping]:
    """The operator's listing (on PostgreSQL only the tables' owner sees across tenants)."""
    statement = select(api_clients).order_by(api_clients.c.tenant_id, api_clients.c.id)
    if tenant_id is not None:
        statement = statement.where(api_clients.c.tenant_id == tenant_id)
    return await fetch_all(connection, statement)
