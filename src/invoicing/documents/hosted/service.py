"""The hosted page's two steps: find the invoice by its token (then act for its tenant), and
record its first view.

The caller owns the transactions (the endpoint: a read for the page, a write only while the
invoice is still unread, so that every later open stays a pure read).
"""

import re
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.core.clock import utc_now
from invoicing.core.context import TenantContext
from invoicing.core.db import set_tenant
from invoicing.documents.hosted.repository import invoice_by_token
from invoicing.events.repository import PendingEvent
from invoicing.invoices.repository import InvoiceRepository

# Who opened it: nobody the service knows, only someone holding the link.
HOSTED_ACTOR = "hosted_page"
VIEWED = "invoice.viewed"
# What `secrets.token_urlsafe(32)` makes; anything else cannot be a token and is not looked up.
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")


@dataclass(frozen=True, slots=True)
class Opened:
    """An invoice found by its hosted token, and a context acting for its tenant."""

    context: TenantContext
    invoice_id: int
    status: str
    is_read: bool


async def open_hosted(connection: AsyncConnection, token: str, *, request_id: str | None) -> Opened | None:
    """None for a random, rotated, draft or deleted token alike (one lookup each, no more)."""
    if not TOKEN_PATTERN.match(token):
        return None
    found = await invoice_by_token(connection, token)
    if found is None:
        return None
    await set_tenant(connection, found.tenant_id)
    context = TenantContext(connection, found.tenant_id, HOSTED_ACTOR, request_id)
    row = await InvoiceRepository(connection, found.tenant_id).get(found.invoice_id)
    if row is None:  # deleted between the lookup and the read
        return None
    invoice = row.invoice
    return Opened(context=context, invoice_id=found.invoice_id, status=invoice["status"], is_read=invoice["is_read"])


async def record_first_view(connection: AsyncConnection, opened: Opened) -> bool:
    """Marks the invoice read with one `invoice.viewed` event, if no open did before (of
    concurrent first opens exactly one does: the update is conditional on `NOT is_read`)."""
    await set_tenant(connection, opened.context.tenant_id)
    event = PendingEvent(
        type=VIEWED, from_status=opened.status, actor=HOSTED_ACTOR, request_id=opened.context.request_id, at=utc_now()
    )
    repository = InvoiceRepository(connection, opened.context.tenant_id)
    return await repository.mark_read(opened.invoice_id, event=event) is not None
