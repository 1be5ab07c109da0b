from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    FromClause,
    RowMapping,
    Select,
    String,
    Table,
    bindparam,
    cast,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.auth.tables import access_tokens, api_clients
from invoicing.core.db import TENANT_SETTING, is_postgresql
from invoicing.core.ids import new_public_id
from invoicing.core.repository import (
    TenantScopedRepository,
    fetch_all,
    fetch_one,
    fetch_optional,
    lookup_before_tenant,
)


@cache
def _token_by_hash(*, postgresql: bool, bind_tenant: bool) -> Select[Any]:
    """Built once per process: every request runs it (see core.repository on statement reuse)."""
    token_hash = bindparam("token_hash", type_=String)
    source = lookup_before_tenant(access_tokens, "invoicing_token_by_hash", token_hash, postgresql=postgresql)
    columns: list[Any] = [
        source.c.tenant_id,
        source.c.id,
        source.c.public_id,
        source.c.scopes,
        source.c.client_pk,
        source.c.expires_at,
        source.c.revoked_at,
    ]
    if bind_tenant:
        columns.append(func.set_config(TENANT_SETTING, cast(source.c.tenant_id, String), True))
    return select(*columns).where(source.c.token_hash == token_hash)


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
    """Credentials are found by their hash before any tenant is known, so not tenant-scoped.

    On PostgreSQL the service's role sees only the current tenant's rows, and there is no
    current tenant yet: the two lookups go through SECURITY DEFINER functions (migration
    0004), each returning the one row with the given key. Writes need the tenant set
    (`core.db.set_tenant`) like any other.
    """

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    def _lookup(self, table: Table, function: str, key: Any) -> FromClause:
        """`table`, or on PostgreSQL the function that returns its row whose key is `key`."""
        return lookup_before_tenant(table, function, key, postgresql=is_postgresql(self.connection))

    async def token_by_hash(self, token_hash: str, *, bind_tenant: bool = False) -> StoredToken | None:
        """The stored token; with `bind_tenant`, the transaction also acts for the token's tenant
        from here on (`core.db.set_tenant`), set by the same statement: one round trip, not two.
        """
        postgresql = is_postgresql(self.connection)
        statement = _token_by_hash(postgresql=postgresql, bind_tenant=bind_tenant and postgresql)
        row = (await self.connection.execute(statement, {"token_hash": token_hash})).first()
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
        source = self._lookup(api_clients, "invoicing_client_by_client_id", client_id)
        return await fetch_optional(self.connection, select(source).where(source.c.client_id == client_id))

    async def client_locked_for_minting(self, *, tenant_id: int, client_pk: int) -> RowMapping | None:
        """The client's row, share-locked (PostgreSQL) until the transaction ends: a revocation or a
        rotation waits for a token being minted, then its sweep of the client's tokens sees it; a
        mint that comes second reads the revoked row or the new secret. The tenant must be set."""
        statement = (
            select(api_clients.c.secret_hash, api_clients.c.revoked_at)
            .where(api_clients.c.tenant_id == tenant_id, api_clients.c.id == client_pk)
            .with_for_update(read=True)
        )
        return await fetch_optional(self.connection, statement)

    async def insert_client(self, **values: Any) -> RowMapping:
        return await fetch_one(
            self.connection, insert(api_clients).values(public_id=new_public_id(), **values).returning(api_clients)
        )

    async def insert_token(self, **values: Any) -> RowMapping:
        return await fetch_one(
            self.connection, insert(access_tokens).values(public_id=new_public_id(), **values).returning(access_tokens)
        )

    async def active_token_tenants(self, *, token_hash: str | None, public_id: str | None) -> list[int]:
        """The tenants owning an unrevoked token with this hash or id (the operator's commands:
        on PostgreSQL only the tables' owner, not the service's role, sees across tenants)."""
        statement = (
            select(access_tokens.c.tenant_id)
            .distinct()
            .where(access_tokens.c.revoked_at.is_(None), self._token_match(token_hash, public_id))
            .order_by(access_tokens.c.tenant_id)
        )
        return [row["tenant_id"] for row in await fetch_all(self.connection, statement)]

    async def revoke_token(self, *, tenant_id: int, token_hash: str | None, public_id: str | None, at: datetime) -> int:
        statement = (
            update(access_tokens)
            .where(
                access_tokens.c.tenant_id == tenant_id,
                access_tokens.c.revoked_at.is_(None),
                self._token_match(token_hash, public_id),
            )
            .values(revoked_at=at)
        )
        return (await self.connection.execute(statement)).rowcount

    @staticmethod
    def _token_match(token_hash: str | None, public_id: str | None) -> Any:
        if token_hash is not None:
            return access_tokens.c.token_hash == token_hash
        if public_id is not None:
            return access_tokens.c.public_id == public_id
        raise ValueError("a token or its id is required")


class TenantTokenRepository(TenantScopedRepository):
    """One tenant's access tokens, as its owner manages them (never their hashes)."""

    table = access_tokens

    async def newest(self, *, limit: int) -> list[RowMapping]:
        columns = [column for column in access_tokens.c if column.name != "token_hash"]
        statement = self.select_from_table(*columns).order_by(access_tokens.c.id.desc()).limit(limit)
        return await fetch_all(self.connection, statement)

    async def by_public_id(self, public_id: str) -> RowMapping | None:
        columns = [column for column in access_tokens.c if column.name != "token_hash"]
        statement = self.select_from_table(*columns).where(access_tokens.c.public_id == public_id)
        return await fetch_optional(self.connection, statement)

    async def mark_revoked(self, public_id: str, *, at: datetime) -> int:
        """Revokes the token unless it already is; how many were (0 or 1)."""
        statement = (
            self.update_table()
            .where(access_tokens.c.public_id == public_id, access_tokens.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return (await self.connection.execute(statement)).rowcount
