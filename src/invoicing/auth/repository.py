from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.auth.tables import access_tokens, api_clients
from invoicing.core.ids import new_public_id
from invoicing.core.repository import fetch_one, fetch_optional


@dataclass(frozen=True, slots=True)
class StoredToken:
    tenant_id: int
    id: int
    public_id: str
    scopes: tuple[str, ...]
    client_pk: int | None
    expires_at: datetime | None
    revoked_at: datetime | None


class CredentialRepository:
    """Credentials are found by their hash before any tenant is known, so not tenant-scoped."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def token_by_hash(self, token_hash: str) -> StoredToken | None:
        row = (
            await self.connection.execute(
                select(
                    access_tokens.c.tenant_id,
                    access_tokens.c.id,
                    access_tokens.c.public_id,
                    access_tokens.c.scopes,
                    access_tokens.c.client_pk,
                    access_tokens.c.expires_at,
                    access_tokens.c.revoked_at,
                ).where(access_tokens.c.token_hash == token_hash)
            )
        ).first()
        if row is None:
            return None
        return StoredToken(
            tenant_id=row.tenant_id,
            id=row.id,
            public_id=row.public_id,
            scopes=tuple(row.scopes.split()),
            client_pk=row.client_pk,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
        )

    async def client_by_client_id(self, client_id: str) -> RowMapping | None:
        return await fetch_optional(self.connection, select(api_clients).where(api_clients.c.client_id == client_id))

    async def insert_client(self, **values: Any) -> RowMapping:
        return await fetch_one(
            self.connection, insert(api_clients).values(public_id=new_public_id(), **values).returning(api_clients)
        )

    async def insert_token(self, **values: Any) -> RowMapping:
        return await fetch_one(
            self.connection, insert(access_tokens).values(public_id=new_public_id(), **values).returning(access_tokens)
        )

    async def revoke_token(self, *, token_hash: str | None, public_id: str | None, at: datetime) -> int:
        statement = update(access_tokens).where(access_tokens.c.revoked_at.is_(None)).values(revoked_at=at)
        if token_hash is not None:
            statement = statement.where(access_tokens.c.token_hash == token_hash)
        elif public_id is not None:
            statement = statement.where(access_tokens.c.public_id == public_id)
        else:
            raise ValueError("a token or its id is required")
        return (await self.connection.execute(statement)).rowcount
