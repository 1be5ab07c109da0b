"""What a webhook's `data` is: the subject as the primary API shows it (GET /api/v1/invoices/{id},
GET /api/v1/credit-notes/{id}), as the change's transaction left it.

An adapter, like a dialect: it renders with the features' own representations and reads with
their services; it has no rule of its own. Imported by the outbox when it writes messages, not
by the features, so the features do not depend on the outbox's rendering.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from invoicing.core.context import TenantContext
from invoicing.credit_notes.representation import credit_note_resource
from invoicing.credit_notes.service import credit_note_as_changed
from invoicing.invoices.representation import invoice_resource
from invoicing.invoices.service import invoice_as_changed
from invoicing.outbox.messages import CREDIT_NOTE, INVOICE


async def _invoice(context: TenantContext, invoice_id: int) -> dict[str, Any]:
    return invoice_resource(await invoice_as_changed(context, invoice_id))


async def _credit_note(context: TenantContext, credit_note_id: int) -> dict[str, Any]:
    return credit_note_resource(await credit_note_as_changed(context, credit_note_id))


RENDERERS: dict[str, Callable[[TenantContext, int], Awaitable[dict[str, Any]]]] = {
    INVOICE: _invoice,
    CREDIT_NOTE: _credit_note,
}


async def render_subject(context: TenantContext, subject_type: str, subject_id: int) -> dict[str, Any]:
    """The subject's primary representation. Pre: `context.connection` is in the change's transaction."""
    return await RENDERERS[subject_type](context, subject_id)
