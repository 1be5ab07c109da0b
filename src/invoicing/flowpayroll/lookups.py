"""FlowPayroll's string ids to the services' integer ids, through the features' services (which the
repositories scope to the tenant): the dialect holds no data access of its own.

An unknown client, another tenant's client or invoice, and an invoice of another client are
all the same answer: not found, with the same code, so a probe learns nothing.
"""

from sqlalchemy import RowMapping

from invoicing.core.context import TenantContext
from invoicing.core.errors import NotFound
from invoicing.core.ids import is_public_id
from invoicing.customers.service import customer_by_public_id
from invoicing.invoices.lifecycle import InvoiceNotFound
from invoicing.invoices.service import invoice_id_by_public_id
from invoicing.tenants.service import get_tenant


class ClientNotFound(NotFound):
    code = "client_not_found"


def _well_formed(public_id: str) -> bool:
    # Every public_id is 24 lowercase hex characters (SPEC 2); anything else names nothing, and is
    # answered without a query (PostgreSQL would refuse a NUL in the text outright).
    return is_public_id(public_id)


async def organisation_id(context: TenantContext) -> str:
    """The tenant's public_id: FlowPayroll's `organisationId`."""
    tenant = await get_tenant(context.connection, context.tenant_id)
    if tenant is None:  # a token outlived its tenant: nothing of that tenant can be found
        raise InvoiceNotFound("Invoice not found.")
    return str(tenant["public_id"])


async def client_of(context: TenantContext, client_id: str) -> RowMapping:
    """The customer a `clientId` names; raises ClientNotFound."""
    customer = None
    if _well_formed(client_id):
        customer = await customer_by_public_id(context.connection, tenant_id=context.tenant_id, public_id=client_id)
    if customer is None:
        raise ClientNotFound("Client not found.")
    return customer


async def invoice_id_of(context: TenantContext, client_id: str, invoice_id: str) -> int:
    """The integer id of the client's invoice; raises InvoiceNotFound, also for an unknown client."""
    try:
        customer = await client_of(context, client_id)
    except ClientNotFound:
        raise InvoiceNotFound("Invoice not found.") from None
    if not _well_formed(invoice_id):
        raise InvoiceNotFound("Invoice not found.")
    return await invoice_id_by_public_id(context, invoice_id, customer_id=customer["id"])
