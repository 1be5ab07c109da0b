"""Delivery over SMTP to a real server (aiosmtpd): the message arrives whole, failures are classified."""

import email
import io
import ssl
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pypdf
import pytest
from pydantic import SecretStr

from invoicing.config import Settings
from invoicing.documents.service import pdf_of
from invoicing.mail.compose import compose_invoice_email
from invoicing.mail.errors import PermanentMailFailure, TransientMailFailure
from invoicing.mail.transport import deliver
from tests.documents.factory import make_document
from tests.mail.smtp_server import Inbox, free_port, self_signed, smtp_server

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def _message(locale: str = "en") -> tuple[EmailMessage, bytes]:
    document = make_document(locale=locale)
    document = replace(document, buyer=replace(document.buyer, email="ap@lumiere.example"), hosted_url="https://x/i/t")
    pdf = pdf_of(document).content
    return compose_invoice_email(document, pdf, message_id="msg_7", mail_from=None, now=NOW), pdf


def _settings(url: str) -> Settings:
    return Settings(smtp_url=SecretStr(url), smtp_timeout_seconds=5)


async def test_the_smtp_server_receives_the_message_with_the_pdf_attached() -> None:
    inbox = Inbox()
    message, pdf = _message("tr")
    with smtp_server(inbox) as port:
        delivered = await deliver(message, _settings(f"smtp://127.0.0.1:{port}?starttls=false"))
    assert delivered.smtp_reply is not None
    assert "accepted" in delivered.smtp_reply
    [envelope] = inbox.envelopes
    assert envelope.rcpt_tos == ["ap@lumiere.example"]
    assert isinstance(envelope.content, bytes)
    received = email.message_from_bytes(envelope.content, policy=default)
    assert received["Subject"] == "Nordlicht Software GmbH firmasından 2026-0042 numaralı fatura"
    assert received["Message-ID"] == "<msg_7@nordlicht.example>"
    attachment = next(received.iter_attachments())
    assert attachment.get_filename() == "2026-0042.pdf"
    assert attachment.get_content() == pdf
    reader = pypdf.PdfReader(io.BytesIO(attachment.get_content()))
    assert "2026-0042" in reader.pages[0].extract_text()
    assert "factur-x.xml" in reader.attachments


async def test_starttls_with_authentication(tmp_path: Path) -> None:
    inbox = Inbox()
    certificate = self_signed(tmp_path)
    trust = ssl.create_default_context(cafile=str(certificate[0]))
    message, _ = _message()
    with smtp_server(inbox, certificate=certificate, login=("ada", "s3cret")) as port:
        await deliver(message, _settings(f"smtp://ada:s3cret@127.0.0.1:{port}"), tls_context=trust)
        with pytest.raises(PermanentMailFailure) as refused:
            await deliver(message, _settings(f"smtp://ada:wrong@127.0.0.1:{port}"), tls_context=trust)
    assert len(inbox.envelopes) == 1
    assert refused.value.reason == "smtp_auth_failed"


async def test_a_550_refusal_is_permanent_and_a_450_transient() -> None:
    message, _ = _message()
    inbox = Inbox(refuse="550 5.1.1 No such user")
    with smtp_server(inbox) as port:
        with pytest.raises(PermanentMailFailure) as permanent:
            await deliver(message, _settings(f"smtp://127.0.0.1:{port}?starttls=false"))
        inbox.refuse = "450 4.2.1 Mailbox busy"
        with pytest.raises(TransientMailFailure) as transient:
            await deliver(message, _settings(f"smtp://127.0.0.1:{port}?starttls=false"))
    assert permanent.value.reason == "recipient_refused"
    assert "550" in permanent.value.detail
    assert transient.value.reason == "recipient_refused"
    assert inbox.envelopes == []


async def test_a_refused_connection_is_transient() -> None:
    message, _ = _message()
    with pytest.raises(TransientMailFailure) as raised:
        await deliver(message, _settings(f"smtp://127.0.0.1:{free_port()}"))
    assert raised.value.reason == "smtp_unavailable"
