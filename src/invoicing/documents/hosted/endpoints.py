"""The hosted invoice page, `GET /i/{token}`: no credentials, the link is the secret.

Every answer, found or not, carries the same privacy headers; every miss (random, rotated,
draft, deleted) the same 404 body, byte for byte. The global rate limit buckets these
credential-less requests per client address (core.rate_limit).
"""

from fastapi import APIRouter, Request
from starlette.responses import Response

from invoicing.core.db import transaction
from invoicing.core.errors import Unprocessable
from invoicing.core.request_context import request_id_of
from invoicing.documents.einvoice import missing_for_einvoice
from invoicing.documents.hosted import service
from invoicing.documents.hosted.page import CONTENT_SECURITY_POLICY, NOT_FOUND_PAGE, render_page
from invoicing.documents.links import HOSTED_PATH
from invoicing.documents.model import InvoiceDocument
from invoicing.documents.service import EInvoiceFormat, Rendered, einvoice_of, render_pdf_off_loop
from invoicing.documents.snapshot import load_document

router = APIRouter(prefix=HOSTED_PATH, include_in_schema=False)

PRIVATE_HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Robots-Tag": "noindex, nofollow",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",  # the token is in the URL
    "X-Content-Type-Options": "nosniff",
}


def not_found() -> Response:
    return Response(NOT_FOUND_PAGE, status_code=404, media_type="text/html; charset=utf-8", headers=PRIVATE_HEADERS)


async def _opened(request: Request, token: str) -> tuple[service.Opened, InvoiceDocument] | None:
    async with transaction(request.app.state.engine, write=False) as connection:
        opened = await service.open_hosted(connection, token, request_id=request_id_of(request))
        if opened is None:
            return None
        return opened, await load_document(opened.context, opened.invoice_id)


@router.get("/{token}")
async def hosted_page(token: str, request: Request) -> Response:
    found = await _opened(request, token)
    if found is None:
        return not_found()
    opened, document = found
    if not opened.is_read:
        async with transaction(request.app.state.engine, write=True) as connection:
            await service.record_first_view(connection, opened)
    # Relative to the page, so the links resolve behind a path prefix too; no UBL button for an
    # invoice that cannot have a valid e-invoice (its PDF is still offered).
    ubl_url = None if missing_for_einvoice(document) else f"{token}/ubl"
    page = render_page(document, pdf_url=f"{token}/pdf", ubl_url=ubl_url)
    return Response(page, media_type="text/html; charset=utf-8", headers=PRIVATE_HEADERS)


@router.get("/{token}/pdf")
async def hosted_pdf(token: str, request: Request) -> Response:
    found = await _opened(request, token)
    if found is None:
        return not_found()
    return _download(await render_pdf_off_loop(found[1]))


@router.get("/{token}/ubl")
async def hosted_ubl(token: str, request: Request) -> Response:
    found = await _opened(request, token)
    if found is None:
        return not_found()
    try:
        rendered = einvoice_of(found[1], EInvoiceFormat.UBL)
    except Unprocessable:
        return not_found()  # the page offers no such download
    return _download(rendered)


def _download(rendered: Rendered) -> Response:
    disposition = f'attachment; filename="{rendered.filename}"'
    headers = {**PRIVATE_HEADERS, "Content-Disposition": disposition}
    return Response(rendered.content, media_type=rendered.media_type, headers=headers)
