"""Tenants: created from the command line (there is no cross-tenant HTTP admin API)."""

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.core.clock import utc_now
from invoicing.core.db import set_tenant
from invoicing.core.errors import Unprocessable
from invoicing.core.ids import new_public_id
from invoicing.core.wire_types import VISIBLE_NAME
from invoicing.currencies.catalog import find_currency
from invoicing.series import service as series_service
from invoicing.tenants.repository import TenantRepository

DEFAULT_SERIES = "INV"
DEFAULT_CREDIT_NOTE_SERIES = "CRN"


async def create_tenant(
    connection: AsyncConnection,
    *,
    name: str,
    base_currency: str = "TRY",
    timezone: str = "Europe/Istanbul",
    tax_number: str | None = None,
) -> RowMapping:
    """A tenant with its default series `INV` (invoices) and `CRN` (credit notes). Raises Unprocessable on bad input.

    The rest of the transaction acts for the new tenant (`set_tenant`), so its rows can follow.
    """
    if not re.search(VISIBLE_NAME, name) or len(name) > 200:
        message = "A name of 1 to 200 characters, one of them visible and none a bidi control, is required."
        raise Unprocessable.field("name", message)
    currency = find_currency(base_currency)
    if currency is None:
        raise Unprocessable.field("currency", f"{base_currency!r} is not an ISO 4217 currency code.")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Unprocessable.field("timezone", f"{timezone!r} is not an IANA time zone.") from None
    now = utc_now()
    tenant = await TenantRepository(connection).insert(
        public_id=new_public_id(),
        name=name.strip(),
        tax_number=tax_number,
        base_currency=currency.code,
        timezone=timezone,
        created_at=now,
        updated_at=now,
    )
    await set_tenant(connection, tenant["id"])
    await series_service.create_series(connection, tenant_id=tenant["id"], name=DEFAULT_SERIES, is_default=True)
    await series_service.create_series(
        connection,
        tenant_id=tenant["id"],
        name=DEFAULT_CREDIT_NOTE_SERIES,
        is_default=True,
        kind=series_service.SeriesKind.CREDIT_NOTE,
    )
    return tenant


async def get_tenant(connection: AsyncConnection, tenant_id: int) -> RowMapping | None:
    return await TenantRepository(connection).get(tenant_id)


async def list_tenants(connection: AsyncConnection) -> list[RowMapping]:
    return await TenantRepository(connection).all()
