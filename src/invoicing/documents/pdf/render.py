"""Typst compiles the invoice template with the layout as JSON; factur-x embeds the CII.

One Compiler is kept warm (fonts and the parsed template are cached inside it), and a lock
serialises its use because a Compiler is one mutable world. Logos are written once into a
private root, named by their hash, because Typst reads images from files under its root.
"""

import hashlib
import json
import tempfile
import threading
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import facturx
import facturx.facturx as facturx_module
import typst

from invoicing.documents.model import InvoiceDocument, Logo
from invoicing.documents.pdf.layout import epc_qr_png, layout

_TEMPLATE = resources.files(__package__).joinpath("invoice.typ").read_bytes()
_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/svg+xml": "svg"}
_lock = threading.Lock()
# factur-x has no parameter for the dates it writes (Info /CreationDate, /ModDate, the XMP and
# the attachment's /ModDate): it reads `datetime.now()` from its module. An issued invoice's PDF
# must be the same bytes on every render (so its ETag holds and a reprint is the same file),
# so while one embedding runs that module sees a clock frozen at the document's own timestamp.
_embed_lock = threading.Lock()


class _DocumentClock(datetime):
    """`datetime` whose `now()` is the document's timestamp, for factur-x's module only."""

    frozen_at = datetime(2000, 1, 1, tzinfo=UTC)

    @classmethod
    def now(cls, tz: object = None) -> "_DocumentClock":
        at = cls.frozen_at
        return cls(at.year, at.month, at.day, at.hour, at.minute, at.second, tzinfo=at.tzinfo)


_state: dict[str, object] = {}


def _compiler() -> tuple[typst.Compiler, Path]:
    if "compiler" not in _state:
        root = Path(tempfile.mkdtemp(prefix="invoicing-pdf-"))
        # Embedded fonts only: the PDF looks the same on every host, with no system package.
        _state["root"] = root
        _state["compiler"] = typst.Compiler(root=str(root), ignore_system_fonts=True)
    return _state["compiler"], _state["root"]  # type: ignore[return-value]


def _image_file(root: Path, data: bytes, extension: str) -> str:
    """A path Typst reads `data` from; named by content, so a cached file never goes stale."""
    name = f"{hashlib.sha256(data).hexdigest()}.{extension}"
    path = root / name
    if not path.exists():
        path.write_bytes(data)
    return f"/{name}"


def _logo_file(root: Path, logo: Logo | None) -> str | None:
    if logo is None or logo.media_type not in _EXTENSIONS:
        return None
    return _image_file(root, logo.data, _EXTENSIONS[logo.media_type])


def _timestamp(document: InvoiceDocument) -> datetime:
    # The issue date (not now) makes an issued invoice's PDF the same bytes on every render.
    day = document.issue_date
    return datetime(day.year, day.month, day.day, tzinfo=UTC) if day else datetime(2000, 1, 1, tzinfo=UTC)


def render_pdf(document: InvoiceDocument, *, factur_x_xml: bytes | None = None) -> bytes:
    """The invoice's PDF (PDF/A-3b); with `factur_x_xml`, a Factur-X EN 16931 PDF embedding it.

    Raises typst.TypstError if the template fails, or facturx's error if the XML is not CII.
    """
    with _lock:
        compiler, root = _compiler()
        qr = epc_qr_png(document)
        qr_path = _image_file(root, qr, "png") if qr else None
        data = layout(document, logo_path=_logo_file(root, document.logo), qr_path=qr_path)
        try:
            pdf = compiler.compile(
                input=_TEMPLATE,
                format="pdf",
                sys_inputs={"data": json.dumps(data, ensure_ascii=False)},
                pdf_standards="a-3b",
                timestamp=_timestamp(document),
                # Untagged: factur-x (pypdf) copies a tagged PDF's structure tree object by object,
                # most of a Factur-X render; PDF/A-3b (level B) asks for no tags, and the hosted
                # page is the accessible view of the invoice.
                pdf_tags=False,
            )
        finally:
            # One QR per invoice: kept, they would fill the root; logos are few and stay.
            if qr_path is not None:
                (root / qr_path.lstrip("/")).unlink(missing_ok=True)
    assert isinstance(pdf, bytes)
    if factur_x_xml is None:
        return pdf
    return embed_factur_x(pdf, factur_x_xml, document)


def embed_factur_x(pdf: bytes, xml: bytes, document: InvoiceDocument) -> bytes:
    """`pdf` with `xml` attached as factur-x.xml and the Factur-X XMP, still PDF/A-3b.

    AFRelationship is Alternative: at the EN 16931 level the XML is the invoice's equal
    (Factur-X 1.0 spec, 6.2.2); Data is for the MINIMUM and BASIC WL levels.
    """
    with _embed_lock:
        _DocumentClock.frozen_at = _timestamp(document)
        facturx_module.datetime = _DocumentClock
        try:
            result = _generate(pdf, xml, document)
        finally:
            facturx_module.datetime = datetime
    return bytes(result)


def _generate(pdf: bytes, xml: bytes, document: InvoiceDocument) -> bytes:
    result = facturx.generate_from_binary(
        pdf,
        xml,
        flavor="factur-x",
        level="en16931",
        check_xsd=True,
        afrelationship="alternative",
        lang=document.locale,
        pdf_metadata={
            "author": document.seller.legal_name,
            "keywords": "Factur-X, Invoice",
            "title": f"{document.seller.legal_name}: {document.number or ''}",
            "subject": f"Factur-X invoice {document.number or ''}",
        },
    )
    return bytes(result)
