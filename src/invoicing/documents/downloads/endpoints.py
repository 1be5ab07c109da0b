"""`GET /downloads/invoices/{token}`: no credentials, the signed link is the credential.

Refusals are problem bodies saying only "not valid" (403) or "expired" (410): nothing about the
tenant, the invoice, or which part of a link was wrong. A valid link answers the bytes
`GET /api/v1/invoices/{id}/pdf` answers, through the same snapshot and renderer.
"""

from fastapi import APIRouter, Request
from starlette.responses import Response

from invoicing.core import clock
from invoicing.core.context import TenantContext
from invoicing.core.db import set_tenant, transaction
from invoicing.core.request_context import request_id_of
from invoicing.documents.downloads.signing import DOWNLOAD_PATH, verify
from invoicing.documents.service import render_pdf_off_loop
from invoicing.documents.snapshot import load_document

router = APIRouter(prefix=DOWNLOAD_PATH, include_in_schema=False)

# Who read it: nobody the service knows, only someone holding a signed link.
DOWNLOAD_ACTOR = "signed_download"

PRIVATE_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",  # the token is in the URL
    "X-Content-Type-Options": "nosniff",
}


@router.get("/{token}")
async def download_pdf(token: str, request: Request) -> Response:
    link = verify(token, now=clock.utc_now())
    async with transaction(request.app.state.engine, write=False) as connection:
        await set_tenant(connection, link.tenant_id)
        context = TenantContext(connection, link.tenant_id, DOWNLOAD_ACTOR, request_id_of(request))
        document = await load_document(context, link.invoice_id)
    # Rendered after the transaction ends: the compile holds no database connection.
    rendered = await render_pdf_off_loop(document)
    headers = {**PRIVATE_HEADERS, "Content-Disposition": f'attachment; filename="{rendered.filename}"'}
    return Response(rendered.content, media_type=rendered.media_type, headers=headers)
