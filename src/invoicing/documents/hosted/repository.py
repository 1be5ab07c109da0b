"""Finding an invoice by its hosted token alone, before any tenant is known.

PostgreSQL's row-level security shows the service's role no invoice until the transaction names
a tenant, so there the SECURITY DEFINER function of migration 0010 answers; SQLite has no such
wall and a plain query does. Either way: one indexed lookup, no row for a random, rotated,
draft or deleted token alike.
"""

from dataclasses import dataclass

from sqlalchemy import bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.core.db import is_postgresql
from invoicing.invoices.tables import invoices

_BY_FUNCTION = text("SELECT tenant_id, invoice_id FROM invoicing_invoice_by_hosted_token(:token)")
_BY_QUERY = select(invoices.c.tenant_id, invoices.c.id).where(
    invoices.c.hosted_token == bindparam("token"), invoices.c.status.not_in(["draft", "deleted"])
)


@dataclass(frozen=True, slots=True)
class HostedInvoice:
    tenant_id: int
    invoice_id: int


async def invoice_by_token(connection: AsyncConnection, token: str) -> HostedInvoice | None:
    statement = _BY_FUNCTION if is_postgresql(connection) else _BY_QUERY
    row = (await connection.execute(statement, {"token": token})).first()
    return HostedInvoice(tenant_id=int(row[0]), invoice_id=int(row[1])) if row is not None else None
