"""HighLevel's string ids to the services' integer ids, through the features' services (which the
repositories scope to the tenant): the dialect holds no data access of its own.

A malformed id, an unknown one, a deleted invoice and another tenant's invoice all answer the
same (InvoiceNotFound), so a probe learns nothing.
"""

import re

from sqlalchemy import RowMapping

from invoicing.core.context import TenantContext
from invoicing.core.errors import Forbidden, Unprocessable
from invoicing.core.ids import is_public_id
from invoicing.core.wire_types import UNICODE_SPACES, VISIBLE_NAME, WHITESPACE
from invoicing.customers.schemas import CustomerCreate
from invoicing.customers.service import create_customer, customer_by_public_id, public_id_retired
from invoicing.highlevel.mapping import service_input
from invoicing.highlevel.schemas import ContactDetails
from invoicing.invoices.lifecycle import InvoiceNotFound
from invoicing.invoices.service import invoice_id_by_public_id
from invoicing.tenants.service import get_tenant

# Every Unicode space, so a contact named "Ada\u3000Lovelace" splits as "Ada Lovelace" does.
_BLANKS = re.compile(f"[{WHITESPACE}{UNICODE_SPACES}]+")


class LocationForbidden(Forbidden):
    code = "location_forbidden"


def well_formed(public_id: str) -> bool:
    # Every public_id is 24 lowercase hex characters (SPEC 2); anything else names nothing and is
    # answered without a query.
    return is_public_id(public_id)


async def location_of(context: TenantContext, alt_id: str) -> RowMapping:
    """The token's tenant, if `alt_id` is its public_id; else LocationForbidden (HighLevel's 403)."""
    tenant = await get_tenant(context.connection, context.tenant_id)
    if tenant is None or tenant["public_id"] != alt_id:
        raise LocationForbidden("The token does not have access to this location.")
    return tenant


async def invoice_id_of(context: TenantContext, invoice_id: str) -> int:
    if not well_formed(invoice_id):
        raise InvoiceNotFound("Invoice not found.")
    return await invoice_id_by_public_id(context, invoice_id)


async def customer_id_of(context: TenantContext, contact_id: str) -> int | None:
    if not well_formed(contact_id):
        return None
    customer = await customer_by_public_id(context.connection, tenant_id=context.tenant_id, public_id=contact_id)
    return int(customer["id"]) if customer is not None else None


async def existing_customer_id(context: TenantContext, contact_id: str) -> int:
    """`contactId` of an update: it must name a customer already (there are no details to create one from)."""
    found = await customer_id_of(context, contact_id)
    if found is None:
        raise Unprocessable.field("contactId", "contactId does not name a contact of this location.")
    return found


async def customer_for_contact(context: TenantContext, contact: ContactDetails) -> int:
    """The customer `contact.id` names; an unknown id of the right form creates it from the details.

    The id of a deleted customer is refused (422 `customer_deleted`).

    A known customer is used as stored: the details sent do not rewrite it (the primary API edits customers).
    """
    if not well_formed(contact.id):
        raise Unprocessable.field("contactDetails.id", "contactDetails.id must be 24 lowercase hexadecimal characters.")
    found = await customer_id_of(context, contact.id)
    if found is not None:
        return found
    # A deleted contact's id is neither brought back (its deletion would silently be undone)
    # nor reused for a new customer (its old invoices would seem to belong to the new one).
    if await public_id_retired(context.connection, tenant_id=context.tenant_id, public_id=contact.id):
        message = "contactDetails.id names a deleted contact; send a new id to create the contact again."
        raise Unprocessable.field("contactDetails.id", message, code="customer_deleted")
    created = await create_customer(
        context.connection, tenant_id=context.tenant_id, data=_customer_fields(contact), public_id=contact.id
    )
    return int(created["id"])


def _customer_fields(contact: ContactDetails) -> CustomerCreate:
    # Split at the first run of blanks, keeping the parts with a visible character: the name has
    # one (its pattern), so `first` exists, and every part is a valid name of its own.
    first, *rest = [part for part in _BLANKS.split(contact.name) if re.search(VISIBLE_NAME, part)]
    return service_input(
        CustomerCreate,
        "contactDetails",
        first_name=first[:100],
        last_name=" ".join(rest)[:100] or None,
        company_name=contact.company_name or None,
        email=contact.email or None,
        phone_number=contact.phone_no or None,
        address=_address_line(contact),
    )


def _address_line(contact: ContactDetails) -> str | None:
    if contact.address is None:
        return None
    parts = contact.address.model_dump(exclude_none=True).values()
    return ", ".join(part for part in parts if part) or None
