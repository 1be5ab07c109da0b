"""Public links to an invoice's documents: its hosted page and signed, expiring PDF downloads.

Representations are plain functions of a row, so the base URL and the signing key are set once
per process from the settings (`configure`, called by `create_app`) rather than passed down
every call that renders an invoice.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from invoicing.config import Settings

HOSTED_PATH = "/i"
DOWNLOAD_PATH = "/documents"
DOWNLOAD_TTL = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class PublicLinks:
    base_url: str
    secret: bytes


# Until `configure` runs (tools importing representations), links point at the default address
# and are signed with a key of this process only.
_links = PublicLinks(base_url="http://127.0.0.1:8000", secret=secrets.token_bytes(32))


def configure(settings: Settings) -> None:
    global _links
    key = settings.download_url_secret
    secret = key.get_secret_value().encode() if key is not None else _links.secret
    _links = PublicLinks(base_url=settings.base_url, secret=secret)


def new_hosted_token() -> str:
    """256 random bits, URL-safe: the hosted page's only credential."""
    return secrets.token_urlsafe(32)


def hosted_url(token: str | None) -> str | None:
    return f"{_links.base_url}{HOSTED_PATH}/{token}" if token else None


@dataclass(frozen=True, slots=True)
class SignedDownload:
    url: str
    expires_at: datetime


def _signature(tenant_id: int, invoice_id: int, expires: int) -> str:
    message = f"pdf:{tenant_id}:{invoice_id}:{expires}".encode()
    return hmac.new(_links.secret, message, hashlib.sha256).hexdigest()


def signed_pdf_download(tenant_id: int, invoice_id: int, *, now: datetime) -> SignedDownload:
    """A link to the invoice's PDF that needs no credential and stops working after DOWNLOAD_TTL."""
    expires_at = (now + DOWNLOAD_TTL).replace(microsecond=0)
    expires = int(expires_at.timestamp())
    query = urlencode({"expires": expires, "signature": _signature(tenant_id, invoice_id, expires)})
    return SignedDownload(
        url=f"{_links.base_url}{DOWNLOAD_PATH}/{tenant_id}/{invoice_id}.pdf?{query}", expires_at=expires_at
    )


def signature_matches(tenant_id: int, invoice_id: int, expires: int, signature: str) -> bool:
    return hmac.compare_digest(_signature(tenant_id, invoice_id, expires), signature)
