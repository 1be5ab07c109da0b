"""Credentials: API clients (OAuth client credentials), access tokens, and who is calling."""

import hmac
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.auth import secrets
from invoicing.auth.repository import CredentialRepository, TenantTokenRepository
from invoicing.core.clock import utc_now
from invoicing.core.db import set_tenant
from invoicing.core.errors import Forbidden, NotFound, Unauthenticated


@dataclass(frozen=True, slots=True)
class Principal:
    tenant_id: int
    token_public_id: str
    scopes: tuple[str, ...]
    client_pk: int | None = None

    @property
    def actor(self) -> str:
        return f"token:{self.token_public_id}"

    @property
    def caller(self) -> str:
        """Who owns idempotency keys: the OAuth client (across its tokens), else the token."""
        return f"client:{self.client_pk}" if self.client_pk is not None else self.actor


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    public_id: str
    tenant_id: int
    scopes: tuple[str, ...]
    expires_in: int | None


@dataclass(frozen=True, slots=True)
class IssuedClient:
    client_id: str
    client_secret: str
    tenant_id: int
    scopes: tuple[str, ...]


class InvalidClient(Unauthenticated):
    code = "invalid_client"


class InvalidScope(Forbidden):
    code = "invalid_scope"


class TokenNotFound(NotFound):
    code = "token_not_found"


class InvalidToken(Unauthenticated):
    """One answer for every token that does not authenticate: the client cannot tell an unknown
    token from a revoked or an expired one (which would tell a thief which stolen tokens were
    real). The `reason` is for the log only."""

    code = "invalid_token"

    def __init__(self, reason: str) -> None:
        super().__init__("The access token is invalid.")
        self.reason = reason


async def authenticate(connection: AsyncConnection, token: str, *, bind_tenant: bool = False) -> Principal:
    """The token's principal; raises Unauthenticated when unknown, expired or revoked.

    `bind_tenant`: the transaction acts for the token's tenant from here on (`core.db.set_tenant`);
    a request that turns out to be refused rolls it back with everything else.
    """
    stored = await CredentialRepository(connection).token_by_hash(secrets.digest(token), bind_tenant=bind_tenant)
    if stored is None:
        raise InvalidToken("unknown")
    if stored.revoked_at is not None:
        raise InvalidToken("revoked")
    if stored.expires_at is not None and stored.expires_at <= utc_now():
        raise InvalidToken("expired")
    return Principal(
        tenant_id=stored.tenant_id, token_public_id=stored.public_id, scopes=stored.scopes, client_pk=stored.client_pk
    )


async def create_client(
    connection: AsyncConnection, *, tenant_id: int, name: str, scopes: tuple[str, ...]
) -> IssuedClient:
    """A new OAuth client; its secret is returned here and never again."""
    client_id, client_secret = secrets.new_client_id(), secrets.new_client_secret()
    await CredentialRepository(connection).insert_client(
        tenant_id=tenant_id,
        client_id=client_id,
        secret_hash=secrets.digest(client_secret),
        name=name,
        scopes=" ".join(scopes),
        created_at=utc_now(),
    )
    return IssuedClient(client_id=client_id, client_secret=client_secret, tenant_id=tenant_id, scopes=scopes)


async def create_token(
    connection: AsyncConnection,
    *,
    tenant_id: int,
    scopes: tuple[str, ...],
    expires_in: int | None,
    kind: str = "integration",
    client_pk: int | None = None,
) -> IssuedToken:
    """A new bearer token; `expires_in=None` makes a long-lived integration token."""
    token = secrets.new_token()
    now = utc_now()
    row = await CredentialRepository(connection).insert_token(
        tenant_id=tenant_id,
        token_hash=secrets.digest(token),
        token_prefix=secrets.display_prefix(token),
        client_pk=client_pk,
        kind=kind,
        scopes=" ".join(scopes),
        created_at=now,
        expires_at=now + timedelta(seconds=expires_in) if expires_in else None,
    )
    return IssuedToken(
        token=token, public_id=row["public_id"], tenant_id=tenant_id, scopes=scopes, expires_in=expires_in
    )


async def exchange_client_credentials(
    connection: AsyncConnection,
    *,
    client_id: str,
    client_secret: str,
    requested_scopes: tuple[str, ...] | None,
    ttl_seconds: int,
) -> IssuedToken:
    """RFC 6749 section 4.4: a short-lived token for a client that proves its secret."""
    repository = CredentialRepository(connection)
    client = await repository.client_by_client_id(client_id)
    if client is None:
        raise InvalidClient("Client authentication failed.")
    await set_tenant(connection, client["tenant_id"])  # the client names its tenant; the token is written there
    # Checked on the locked row, not the lookup's: a concurrent revoke or rotation decides first or waits.
    locked = await repository.client_locked_for_minting(tenant_id=client["tenant_id"], client_pk=client["id"])
    if locked is None or locked["revoked_at"] is not None:
        raise InvalidClient("Client authentication failed.")
    if not _constant_time_equal(locked["secret_hash"], secrets.digest(client_secret)):
        raise InvalidClient("Client authentication failed.")
    granted = tuple(client["scopes"].split())
    scopes = requested_scopes if requested_scopes is not None else granted
    if not set(scopes) <= set(granted):
        raise InvalidScope("The requested scope exceeds what the client was granted.")
    return await create_token(
        connection,
        tenant_id=client["tenant_id"],
        scopes=scopes,
        expires_in=ttl_seconds,
        kind="oauth",
        client_pk=client["id"],
    )


async def revoke_token(connection: AsyncConnection, *, token: str | None = None, public_id: str | None = None) -> bool:
    """The operator's revoke (any tenant's token, by the token or its id); True if one was active."""
    repository = CredentialRepository(connection)
    token_hash = secrets.digest(token) if token else None
    revoked, now = 0, utc_now()
    for tenant_id in await repository.active_token_tenants(token_hash=token_hash, public_id=public_id):
        await set_tenant(connection, tenant_id)
        revoked += await repository.revoke_token(
            tenant_id=tenant_id, token_hash=token_hash, public_id=public_id, at=now
        )
    return revoked > 0


async def list_tenant_tokens(connection: AsyncConnection, *, tenant_id: int, limit: int) -> list[RowMapping]:
    """The tenant's `limit` newest tokens (integration and OAuth, revoked and expired too), without hashes."""
    return await TenantTokenRepository(connection, tenant_id).newest(limit=limit)


async def get_tenant_token(connection: AsyncConnection, *, tenant_id: int, public_id: str) -> RowMapping:
    token = await TenantTokenRepository(connection, tenant_id).by_public_id(public_id)
    if token is None:
        raise TokenNotFound("No such token.")
    return token


async def revoke_tenant_token(connection: AsyncConnection, *, tenant_id: int, public_id: str) -> RowMapping:
    """The tenant's own revoke: the token stops working at once. Idempotent (a revoked token
    keeps its first `revoked_at`); raises TokenNotFound for another tenant's or no token."""
    repository = TenantTokenRepository(connection, tenant_id)
    await repository.mark_revoked(public_id, at=utc_now())
    return await get_tenant_token(connection, tenant_id=tenant_id, public_id=public_id)


def _constant_time_equal(left: str, right: str) -> bool:
    return hmac.compare_digest(left.encode(), right.encode())
