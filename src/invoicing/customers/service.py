"""Customers: who is billed."""

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.core.clock import utc_now
from invoicing.core.errors import NotFound, Unprocessable
from invoicing.core.search import search_key
from invoicing.customers.repository import CustomerRepository
from invoicing.customers.representation import customer_details
from invoicing.customers.schemas import CustomerCreate, CustomerUpdate
from invoicing.parties.validation import checked_party

SEARCHABLE = ("first_name", "last_name", "company_name", "email", "tax_number")
# Stored as JSON text (migration 0008).
JSON_FIELDS = ("postal_address", "electronic_address")


class CustomerNotFound(NotFound):
    code = "customer_not_found"


def search_text(values: Mapping[str, Any]) -> str:
    """Name, email and tax number, each as `search_key` gives it: what list search matches against."""
    return " ".join(search_key(str(values[key])) for key in SEARCHABLE if values.get(key))


async def create_customer(
    connection: AsyncConnection, *, tenant_id: int, data: CustomerCreate, public_id: str | None = None
) -> RowMapping:
    """`public_id` (24 lowercase hex, unused in the tenant): keep a dialect's id for the customer."""
    values = checked_party(data.model_dump())
    now = utc_now()
    avatar_at = now if values.get("avatar_url") else None
    return await CustomerRepository(connection, tenant_id).insert(
        public_id=public_id,
        **_stored(values),
        search_text=search_text(values),
        avatar_updated_at=avatar_at,
        created_at=now,
        updated_at=now,
    )


async def get_customer(connection: AsyncConnection, *, tenant_id: int, customer_id: int) -> RowMapping:
    row = await CustomerRepository(connection, tenant_id).get(customer_id)
    if row is None:
        raise CustomerNotFound("Customer not found.")
    return row


async def customer_by_public_id(connection: AsyncConnection, *, tenant_id: int, public_id: str) -> RowMapping | None:
    """A live customer by the string id the dialects use (HighLevel `contactId`, FlowPayroll `clientId`)."""
    return await CustomerRepository(connection, tenant_id).by_public_id(public_id)


async def public_id_retired(connection: AsyncConnection, *, tenant_id: int, public_id: str) -> bool:
    """Whether `public_id` belonged to a customer since deleted (it is never given out again)."""
    return await CustomerRepository(connection, tenant_id).public_id_retired(public_id)


async def update_customer(
    connection: AsyncConnection, *, tenant_id: int, customer_id: int, data: CustomerUpdate
) -> RowMapping:
    """Changes only the fields sent. Pre: the customer exists in the tenant."""
    current = await get_customer(connection, tenant_id=tenant_id, customer_id=customer_id)
    changes = data.model_dump(exclude_unset=True)
    if "first_name" in changes and changes["first_name"] is None:
        raise Unprocessable.field("first_name", "first_name cannot be cleared.")
    if "is_intake_completed" in changes and changes["is_intake_completed"] is None:
        raise Unprocessable.field("is_intake_completed", "is_intake_completed must be true or false.")
    now = utc_now()
    if "avatar_url" in changes and changes["avatar_url"] != current["avatar_url"]:
        changes["avatar_updated_at"] = now
    merged = checked_party({**current, **customer_details(current), **changes})
    changes.update({key: merged[key] for key in ("tax_number", "locale") if key in changes})
    updated = await CustomerRepository(connection, tenant_id).update(
        customer_id, **_stored(changes), search_text=search_text(merged), updated_at=now
    )
    if updated is None:
        raise CustomerNotFound("Customer not found.")
    return updated


def _stored(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: (json.dumps(value) if value is not None else None) if key in JSON_FIELDS else value
        for key, value in values.items()
    }


async def delete_customer(connection: AsyncConnection, *, tenant_id: int, customer_id: int) -> RowMapping:
    """Soft delete: sets `deleted_at`, and from then on the customer answers as missing.

    Invoices keep the receiver details frozen on them; drafts that still name the customer can
    no longer be issued (422 `customer_deleted`). Pre: the customer exists and is not deleted.
    """
    now = utc_now()
    deleted = await CustomerRepository(connection, tenant_id).update(customer_id, deleted_at=now, updated_at=now)
    if deleted is None:
        raise CustomerNotFound("Customer not found.")
    return deleted


async def list_customers(
    connection: AsyncConnection, *, tenant_id: int, search: str | None, after_id: int | None, limit: int
) -> list[RowMapping]:
    return await CustomerRepository(connection, tenant_id).page(search=search, after_id=after_id, limit=limit)
