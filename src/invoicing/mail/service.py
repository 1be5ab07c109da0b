"""What the outbox worker calls for a message of kind "email": deliver one invoice e-mail, then
record the outcome as an invoice event.

Delivery reads the invoice in its own short read transaction and talks to SMTP outside any
transaction, so a slow relay never holds a database connection or the SQLite write lock.
"""

import ssl
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.config import Settings
from invoicing.core.clock import utc_now
from invoicing.core.context import TenantContext
from invoicing.core.db import set_tenant, transaction
from invoicing.documents.actions import record_change
from invoicing.documents.service import render_pdf_off_loop
from invoicing.documents.snapshot import load_document
from invoicing.invoices.lifecycle import InvoiceNotFound
from invoicing.invoices.transitions import lock
from invoicing.mail.compose import compose_invoice_email
from invoicing.mail.errors import MailFailure
from invoicing.mail.transport import deliver

OUTBOX_KIND = "email"  # the outbox message kind whose payload is {"invoice_id": <internal id>}
EMAIL_DELIVERED = "invoice.email_delivered"
EMAIL_FAILED = "invoice.email_failed"
WORKER_ACTOR = "worker"


class MailResult(StrEnum):
    DELIVERED = "delivered"
    TRANSIENT = "transient_failure"  # retry on the webhook schedule
    PERMANENT = "permanent_failure"  # record invoice.email_failed, do not retry


@dataclass(frozen=True, slots=True)
class MailOutcome:
    result: MailResult
    message_id: str
    recipient: str | None = None
    reason: str | None = None  # snake_case code of a failure: no_recipient, recipient_refused, ...
    detail: str | None = None  # the server's reply or the error, for operators
    smtp_reply: str | None = None
    eml_path: str | None = None

    def event_data(self) -> dict[str, Any]:
        """What the invoice event carries: readable by every client of the tenant, so no secret."""
        data: dict[str, Any] = {"message_id": self.message_id, "recipient": self.recipient}
        if self.result is MailResult.DELIVERED:
            data["smtp_reply"] = self.smtp_reply
        else:
            data.update(reason=self.reason, detail=self.detail)
        return data


async def deliver_invoice_email(
    engine: AsyncEngine,
    settings: Settings,
    *,
    tenant_id: int,
    invoice_id: int,
    message_id: str,
    tls_context: ssl.SSLContext | None = None,
) -> MailOutcome:
    """Composes and delivers the issued invoice's e-mail; never raises a MailFailure: the
    outcome says delivered, transient (retry) or permanent (no recipient, 5xx, auth, gone)."""
    async with transaction(engine, write=False) as connection:
        await set_tenant(connection, tenant_id)
        context = TenantContext(connection=connection, tenant_id=tenant_id, actor=WORKER_ACTOR)
        try:
            document = await load_document(context, invoice_id)
        except InvoiceNotFound:
            return MailOutcome(MailResult.PERMANENT, message_id, reason="invoice_not_found")
    recipient = document.buyer.email
    if document.number is None:  # a send is only possible once issued; a draft here is a caller's bug
        return MailOutcome(MailResult.PERMANENT, message_id, recipient, reason="invoice_not_issued")
    rendered = await render_pdf_off_loop(document)
    try:
        message = compose_invoice_email(
            document, rendered.content, message_id=message_id, mail_from=settings.mail_from, now=utc_now()
        )
        delivered = await deliver(message, settings, tls_context=tls_context)
    except MailFailure as failure:
        result = MailResult.TRANSIENT if failure.transient else MailResult.PERMANENT
        return MailOutcome(result, message_id, recipient, reason=failure.reason, detail=failure.detail or None)
    return MailOutcome(
        MailResult.DELIVERED,
        message_id,
        delivered.recipient,
        smtp_reply=delivered.smtp_reply,
        eml_path=str(delivered.path) if delivered.path else None,
    )


async def record_email_outcome(context: TenantContext, invoice_id: int, outcome: MailOutcome) -> None:
    """One `invoice.email_delivered` or `invoice.email_failed` event (bumping the version), in
    the caller's transaction. Pre: a final outcome (delivered, permanent, or transient when the
    worker gives up); a transient one the worker will retry is not recorded. Raises InvoiceNotFound."""
    locked = await lock(context, invoice_id)
    event_type = EMAIL_DELIVERED if outcome.result is MailResult.DELIVERED else EMAIL_FAILED
    await record_change(context, locked, event_type, {}, data=outcome.event_data())
