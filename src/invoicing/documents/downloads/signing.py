"""Signed, expiring links to an issued invoice's PDF: the link alone is the credential.

A link names the tenant, the invoice and the instant it expires, and carries an HMAC-SHA256 of
the three under the server's signing key. Verifying needs no database row and no session, so a
FlowPayroll client can hand the link to a browser, a mail or a storage job as it would an S3 URL.

The key is DOWNLOAD_SIGNING_KEY; unset, a random key of this process signs, and links stop
working at a restart and on other workers (docs/decisions.md, "Signed PDF download links").
Representations are plain functions of a row, so the key is set once per process from the
settings (`configure`, called by `create_app`), as `links` does with the base URL.
"""

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from invoicing.config import Settings
from invoicing.core.errors import DomainError, Forbidden

DOWNLOAD_PATH = "/downloads/invoices"
LINK_LIFETIME = timedelta(minutes=15)
# Keeps a signature over these three values from ever counting for another purpose signed with
# the same key later.
_PURPOSE = b"invoice-pdf-download\x00"
# tenant id . invoice id . expiry (Unix seconds) . signature (32 bytes, base64url, no padding)
_TOKEN = re.compile(r"^([1-9][0-9]{0,17})\.([1-9][0-9]{0,17})\.([1-9][0-9]{0,11})\.([A-Za-z0-9_-]{43})$")

_key = secrets.token_bytes(32)


def configure(settings: Settings) -> None:
    global _key
    if settings.download_signing_key is not None:
        _key = settings.download_signing_key.get_secret_value().encode()


class DownloadLinkInvalid(Forbidden):
    code = "download_link_invalid"


class DownloadLinkExpired(DomainError):
    status: ClassVar[int] = 410
    code: ClassVar[str] = "download_link_expired"
    title: ClassVar[str] = "Gone"


@dataclass(frozen=True, slots=True)
class SignedLink:
    tenant_id: int
    invoice_id: int
    expires_at: datetime


def _signature(tenant_id: int, invoice_id: int, expires: int) -> str:
    message = _PURPOSE + f"{tenant_id}.{invoice_id}.{expires}".encode()
    digest = hmac.new(_key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign(tenant_id: int, invoice_id: int, *, now: datetime) -> SignedLink:
    """A link valid for LINK_LIFETIME from `now`, to the whole second (the token carries seconds)."""
    expires_at = (now + LINK_LIFETIME).astimezone(UTC).replace(microsecond=0)
    return SignedLink(tenant_id, invoice_id, expires_at)


def token_of(link: SignedLink) -> str:
    expires = int(link.expires_at.timestamp())
    return f"{link.tenant_id}.{link.invoice_id}.{expires}.{_signature(link.tenant_id, link.invoice_id, expires)}"


def verify(token: str, *, now: datetime) -> SignedLink:
    """The link a token names. Raises DownloadLinkInvalid (403) for anything this service did not
    sign, DownloadLinkExpired (410) for one it signed that has expired; the signature is checked
    first, so only a genuine link learns that it expired."""
    found = _TOKEN.match(token)
    if found is None:
        raise DownloadLinkInvalid("This download link is not valid.")
    tenant_id, invoice_id, expires = (int(found[index]) for index in (1, 2, 3))
    if not hmac.compare_digest(found[4], _signature(tenant_id, invoice_id, expires)):
        raise DownloadLinkInvalid("This download link is not valid.")
    expires_at = datetime.fromtimestamp(expires, UTC)
    if now >= expires_at:
        raise DownloadLinkExpired("This download link has expired; request the invoice again for a new one.")
    return SignedLink(tenant_id, invoice_id, expires_at)
