"""Rendering an invoice's documents: the snapshot, the refusals, one renderer per format.

Safe: nothing here writes. An issued invoice's documents are a pure function of its frozen
snapshot, so the same request always answers the same bytes.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import anyio

from invoicing.core.context import TenantContext
from invoicing.core.errors import Unprocessable
from invoicing.documents.einvoice import missing_for_einvoice
from invoicing.documents.errors import CreditNoteNotIssued, InvoiceNotIssued
from invoicing.documents.model import InvoiceDocument
from invoicing.documents.snapshot import load_credit_note_document, load_document


class EInvoiceFormat(StrEnum):
    CII = "cii"
    UBL = "ubl"


def _renderer(kind: EInvoiceFormat) -> Callable[[InvoiceDocument], bytes]:
    # The XML writers (lxml and the schemas' builders, about 4 MB) load at the first e-invoice,
    # not with the app, as the PDF stack does (issue 14: RSS per worker).
    from invoicing.documents.cii import render_cii
    from invoicing.documents.ubl.render import render_ubl

    return render_cii if kind is EInvoiceFormat.CII else render_ubl


@dataclass(frozen=True, slots=True)
class Rendered:
    content: bytes
    media_type: str
    filename: str

    @property
    def entity_tag(self) -> str:
        """Strong: the bytes' own digest (the same document always renders the same bytes)."""
        return '"' + hashlib.sha256(self.content).hexdigest()[:32] + '"'


def einvoice_of(document: InvoiceDocument, kind: EInvoiceFormat) -> Rendered:
    """Raises InvoiceNotIssued (409) for a draft, Unprocessable `einvoice_incomplete` (422)
    naming every field a valid e-invoice lacks."""
    if document.number is None:
        raise CreditNoteNotIssued(document.status) if document.is_credit_note else InvoiceNotIssued(document.status)
    missing = missing_for_einvoice(document)
    if missing:
        what = "credit note" if document.is_credit_note else "invoice"
        raise Unprocessable(
            f"The {what} lacks what a valid e-invoice needs: " + ", ".join(missing) + ".",
            code="einvoice_incomplete",
            errors={field: ["Required for a valid e-invoice."] for field in missing},
        )
    suffix = "-cii.xml" if kind is EInvoiceFormat.CII else ".xml"
    return Rendered(_renderer(kind)(document), "application/xml", f"{document.number}{suffix}")


async def einvoice(context: TenantContext, invoice_id: int, kind: EInvoiceFormat) -> Rendered:
    """The invoice's CII or UBL. Raises InvoiceNotFound, InvoiceNotIssued, Unprocessable."""
    return einvoice_of(await load_document(context, invoice_id), kind)


async def credit_note_einvoice(context: TenantContext, credit_note_id: int, kind: EInvoiceFormat) -> Rendered:
    """The credit note's CII or UBL. Raises CreditNoteNotFound, CreditNoteNotIssued, Unprocessable."""
    return einvoice_of(await load_credit_note_document(context, credit_note_id), kind)


async def credit_note_pdf(context: TenantContext, credit_note_id: int) -> Rendered:
    """The credit note's PDF, draft or issued. Raises CreditNoteNotFound."""
    return await render_pdf_off_loop(await load_credit_note_document(context, credit_note_id))


def pdf_of(document: InvoiceDocument) -> Rendered:
    """The PDF: Factur-X with the invoice's CII embedded (byte for byte what `/cii` answers) when
    it is issued and has a valid e-invoice; otherwise a plain PDF/A-3b (a draft's marked DRAFT),
    since an invoice lacking e-invoice details is still an invoice on paper."""
    # Imported at the first render, not with the app: Typst, factur-x and pypdf are about 90 MB in
    # every worker process, and most workers never render a PDF (issue 14: RSS per worker).
    from invoicing.documents.pdf import render_pdf

    render_cii = _renderer(EInvoiceFormat.CII)
    complete = document.number is not None and not missing_for_einvoice(document)
    xml = render_cii(document) if complete else None
    filename = f"{document.number}.pdf" if document.number else f"draft-{document.public_id}.pdf"
    return Rendered(render_pdf(document, factur_x_xml=xml), "application/pdf", filename)


async def pdf(context: TenantContext, invoice_id: int) -> Rendered:
    """The invoice's PDF, draft or issued. Raises InvoiceNotFound."""
    return await render_pdf_off_loop(await load_document(context, invoice_id))


async def render_pdf_off_loop(document: InvoiceDocument) -> Rendered:
    """`pdf_of` in a worker thread: a render takes tens of milliseconds of CPU (Typst, and
    factur-x's rewrite), which on the event loop would stall every other request meanwhile."""
    return await anyio.to_thread.run_sync(pdf_of, document)
