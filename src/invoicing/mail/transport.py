"""Handing a composed message to the world: SMTP when SMTP_URL is set, else an `.eml` file.

`deliver` raises MailFailure with `transient` telling the worker whether to retry; it never
decides about retries itself.
"""

import logging
import os
import ssl
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib
import anyio

from invoicing.config import Settings
from invoicing.mail.errors import PermanentMailFailure, TransientMailFailure

log = logging.getLogger("invoicing.mail")


@dataclass(frozen=True, slots=True)
class Delivered:
    """Where the message went: the SMTP server's reply, or the `.eml` file written."""

    recipient: str
    smtp_reply: str | None = None
    path: Path | None = None


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    hostname: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool  # implicit TLS (smtps, port 465)
    start_tls: bool | None  # None: STARTTLS when the server offers it


def parse_smtp_url(url: str) -> SmtpTarget:
    """smtp://user:pass@host:587 (STARTTLS when offered), smtps://host:465 (implicit TLS),
    smtp://host:25?starttls=false (plain, local relays). ValueError for anything else."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("SMTP_URL must be smtp://[user:pass@]host[:port] or smtps://...")
    use_tls = parts.scheme == "smtps"
    knob = parse_qs(parts.query).get("starttls", [""])[-1].lower()
    start_tls = None if use_tls or knob == "" else knob in ("true", "1", "yes", "required")
    return SmtpTarget(
        hostname=parts.hostname,
        port=parts.port or (465 if use_tls else 587),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_tls=use_tls,
        start_tls=False if use_tls else start_tls,
    )


async def deliver(message: EmailMessage, settings: Settings, *, tls_context: ssl.SSLContext | None = None) -> Delivered:
    """Sends `message` (SMTP_URL) or writes it under MAIL_DIR. Raises TransientMailFailure or
    PermanentMailFailure. `tls_context` overrides the system trust store (a private relay's CA)."""
    recipient = str(message["To"].addresses[0].addr_spec)
    if settings.smtp_url is None:
        path = await anyio.to_thread.run_sync(write_eml, message, Path(settings.mail_dir))
        log.info("mail written to %s (no SMTP_URL)", path)
        return Delivered(recipient=recipient, path=path)
    target = parse_smtp_url(settings.smtp_url.get_secret_value())
    reply = await _send_smtp(message, target, settings.smtp_timeout_seconds, tls_context)
    return Delivered(recipient=recipient, smtp_reply=reply)


async def _send_smtp(
    message: EmailMessage, target: SmtpTarget, seconds: float, tls_context: ssl.SSLContext | None
) -> str:
    try:
        _errors, reply = await aiosmtplib.send(
            message,
            hostname=target.hostname,
            port=target.port,
            username=target.username,
            password=target.password,
            use_tls=target.use_tls,
            start_tls=target.start_tls,
            timeout=seconds,
            tls_context=tls_context,
        )
    except aiosmtplib.SMTPAuthenticationError as error:
        raise PermanentMailFailure("smtp_auth_failed", f"{error.code} {error.message}") from error
    except aiosmtplib.SMTPRecipientsRefused as error:
        refusal = error.recipients[0]
        raise _by_code(refusal.code, "recipient_refused", refusal.message) from error
    except aiosmtplib.SMTPResponseException as error:
        raise _by_code(error.code, "smtp_refused", error.message) from error
    except (aiosmtplib.SMTPException, OSError, ssl.SSLError) as error:
        # Connection refused or reset, timeouts, TLS handshakes: the relay may be back later.
        raise TransientMailFailure("smtp_unavailable", str(error)) from error
    return reply


def _by_code(code: int, reason: str, text: str) -> TransientMailFailure | PermanentMailFailure:
    """RFC 5321: 4yz is a transient negative reply, 5yz a permanent one."""
    detail = f"{code} {text}"
    return TransientMailFailure(reason, detail) if 400 <= code < 500 else PermanentMailFailure(reason, detail)


def write_eml(message: EmailMessage, directory: Path) -> Path:
    """Writes `message` as `<UTC time>-<message id>.eml` atomically (temp file + rename), so a
    reader never sees half a message. A retry writes a new file with the same Message-ID."""
    directory.mkdir(parents=True, exist_ok=True)
    message_id = str(message["Message-ID"]).strip("<>").split("@", 1)[0]
    safe_id = "".join(c if c.isalnum() or c in "-_" else "_" for c in message_id)
    path = directory / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{safe_id}.eml"
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".", suffix=".eml.tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(message.as_bytes())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
