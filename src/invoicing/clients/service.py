"""OAuth clients of a tenant: list, create, revoke (with every token they minted), rotate the secret.

A secret is returned once, by the call that makes it, and stored only as its hash.
"""

from dataclasses import dataclass

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.auth import secrets
from invoicing.auth.repository import CredentialRepository
from invoicing.clients.repository import ClientRepository, clients_of_every_tenant
from invoicing.core.clock import utc_now
from invoicing.core.db import set_tenant
from invoicing.core.errors import Conflict, NotFound


class ClientNotFound(NotFound):
    code = "client_not_found"


class ClientRevoked(Conflict):
    code = "client_revoked"


@dataclass(frozen=True, slots=True)
class ClientWithSecret:
    row: RowMapping
    client_secret: str


@dataclass(frozen=True, slots=True)
class Revocation:
    row: RowMapping
    tokens_revoked: int


async def list_clients(connection: AsyncConnection, *, tenant_id: int) -> list[RowMapping]:
    return await ClientRepository(connection, tenant_id).list()


async def get_client(connection: AsyncConnection, *, tenant_id: int, client_pk: int) -> RowMapping:
    row = await ClientRepository(connection, tenant_id).get(client_pk)
    if row is None:
        raise ClientNotFound("Client not found.")
    return row


async def create_client(
    connection: AsyncConnection, *, tenant_id: int, name: str, scopes: tuple[str, ...]
) -> ClientWithSecret:
    """A new active client with `scopes`; its secret is in the answer and nowhere else."""
    client_secret = secrets.new_client_secret()
    row = await ClientRepository(connection, tenant_id).insert(
        client_id=secrets.new_client_id(),
        secret_hash=secrets.digest(client_secret),
        name=name,
        scopes=" ".join(scopes),
        created_at=utc_now(),
    )
    return ClientWithSecret(row=row, client_secret=client_secret)


async def revoke_client(connection: AsyncConnection, *, tenant_id: int, client_pk: int) -> Revocation:
    """The client can no longer mint tokens and every token it minted stops working, in one
    transaction. Revoking a revoked client keeps its first `revoked_at` and changes nothing else."""
    repository = ClientRepository(connection, tenant_id)
    now = utc_now()
    row = await repository.mark_revoked(client_pk, at=now)
    if row is None:
        row = await get_client(connection, tenant_id=tenant_id, client_pk=client_pk)
    # Swept on every revoke, not only the first: nothing the client minted may outlive it.
    tokens_revoked = await repository.revoke_tokens_of(client_pk, at=now)
    return Revocation(row=row, tokens_revoked=tokens_revoked)


async def rotate_client_secret(connection: AsyncConnection, *, tenant_id: int, client_pk: int) -> ClientWithSecret:
    """A new secret; the old one stops working at once, tokens already minted keep theirs
    (docs/decisions.md). A revoked client has no secret to rotate (409 `client_revoked`)."""
    client_secret = secrets.new_client_secret()
    repository = ClientRepository(connection, tenant_id)
    row = await repository.replace_secret(client_pk, secret_hash=secrets.digest(client_secret))
    if row is None:
        await get_client(connection, tenant_id=tenant_id, client_pk=client_pk)
        raise ClientRevoked("The client is revoked; a revoked client cannot get a new secret.")
    return ClientWithSecret(row=row, client_secret=client_secret)


async def find_client_for_operator(connection: AsyncConnection, client_id: str) -> RowMapping:
    """The operator's commands name a client by its `client_id` (`cli_…`), of any tenant; from
    here on the transaction acts for that client's tenant."""
    row = await CredentialRepository(connection).client_by_client_id(client_id)
    if row is None:
        raise ClientNotFound(f"No client {client_id!r}.")
    await set_tenant(connection, row["tenant_id"])
    return row


async def list_clients_for_operator(connection: AsyncConnection, *, tenant_id: int | None) -> list[RowMapping]:
    return await clients_of_every_tenant(connection, tenant_id=tenant_id)
