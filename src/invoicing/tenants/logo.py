"""What a logo upload may be: PNG, JPEG or SVG by its bytes, at most 1 MiB, and an SVG with
nothing in it that runs or fetches (no scripts, event handlers or external references).

An SVG is parsed with lxml refusing DTDs, entities and the network, so no entity expansion
("billion laughs") or external entity can reach a file or a host while it is checked.
"""

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from invoicing.core.errors import Unprocessable

MAX_LOGO_BYTES = 1_048_576
PNG, JPEG, SVG = "image/png", "image/jpeg", "image/svg+xml"
MEDIA_TYPES = (PNG, JPEG, SVG)
INVALID = "invalid_logo"
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
# Elements that run code, embed other documents or HTML, or animate attributes into links.
_ACTIVE_ELEMENTS = {"script", "foreignObject", "iframe", "embed", "object", "handler", "listener", "set", "animate"}
_EXTERNAL_URL = re.compile(r"url\(\s*['\"]?\s*(?!#)", re.IGNORECASE)


@cache
def _etree() -> Any:
    """lxml, imported at the first SVG checked rather than with the app (issue 14: RSS per worker)."""
    from lxml import etree  # type: ignore[import-untyped]  # lxml ships no type information

    return etree


@cache
def _parser() -> Any:
    return _etree().XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )


@dataclass(frozen=True, slots=True)
class LogoImage:
    media_type: str
    data: bytes


def checked_logo(data: bytes, content_type: str | None) -> LogoImage:
    """The image, its media type sniffed from its bytes. Raises Unprocessable naming `logo`
    (`logo_too_large`, `invalid_logo`) or `Content-Type` when the declared type disagrees."""
    if len(data) > MAX_LOGO_BYTES:
        message = f"The logo is {len(data)} bytes; at most {MAX_LOGO_BYTES} (1 MiB) are accepted."
        raise Unprocessable.field("logo", message, code="logo_too_large")
    media_type = _sniffed(data)
    declared = (content_type or "").split(";")[0].strip().lower()
    if declared != media_type:
        message = f"The body is {media_type}, so Content-Type must be {media_type} (not {declared or 'absent'})."
        raise Unprocessable.field("Content-Type", message, code=INVALID)
    if media_type == SVG:
        _refuse_active_svg(data)
    return LogoImage(media_type, data)


def _sniffed(data: bytes) -> str:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if _looks_like_xml(data):
        return SVG
    raise Unprocessable.field("logo", "The logo must be a PNG, JPEG or SVG image.", code=INVALID)


def _looks_like_xml(data: bytes) -> bool:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith((b"<?xml", b"<svg", b"<!--"))


def _refuse_active_svg(data: bytes) -> None:
    etree = _etree()
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError:
        raise Unprocessable.field("logo", "The logo is not well-formed SVG.", code=INVALID) from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise Unprocessable.field("logo", "An SVG logo must not have a DOCTYPE.", code=INVALID)
    if root.tag != f"{{{SVG_NS}}}svg":
        raise Unprocessable.field("logo", "The logo's XML is not an SVG image (root svg element).", code=INVALID)
    if any(isinstance(node, etree._ProcessingInstruction) for node in root.itersiblings(preceding=True)):
        raise Unprocessable.field("logo", "An SVG logo must not have processing instructions.", code=INVALID)
    for node in root.iter():
        reason = _active(node)
        if reason:
            raise Unprocessable.field("logo", f"An SVG logo must not have {reason}.", code=INVALID)


def _active(node: Any) -> str | None:
    etree = _etree()
    if isinstance(node, etree._ProcessingInstruction):
        return "processing instructions"
    if not isinstance(node.tag, str):  # comments
        return None
    name = etree.QName(node).localname
    if name in _ACTIVE_ELEMENTS:
        return f"a {name} element"
    if name == "style" and node.text and ("@import" in node.text or _EXTERNAL_URL.search(node.text)):
        return "styles that load anything"
    for attribute, value in node.attrib.items():
        local = etree.QName(attribute).localname.lower()
        if local.startswith("on"):
            return f"an event handler ({local})"
        if (attribute == XLINK_HREF or local == "href") and not value.strip().startswith("#"):
            return "external references (href)"
        if _EXTERNAL_URL.search(value) or "javascript:" in value.lower():
            return "external references (url)"
    return None
