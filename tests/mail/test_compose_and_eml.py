"""The invoice e-mail as composed, and written as an .eml file when there is no SMTP_URL."""

import email
import io
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pypdf
import pytest

from invoicing.config import Settings
from invoicing.documents.service import pdf_of
from invoicing.mail.compose import compose_invoice_email
from invoicing.mail.errors import NoRecipient
from invoicing.mail.transport import deliver, parse_smtp_url
from tests.documents.factory import make_document

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
URL = "https://invoices.example.com/i/abc"


def _document(locale: str = "en", email_address: str | None = "ap@lumiere.example"):  # type: ignore[no-untyped-def]
    document = make_document(locale=locale)
    return replace(document, buyer=replace(document.buyer, email=email_address), hosted_url=URL)


def _compose(locale: str = "en", mail_from: str | None = None) -> tuple[EmailMessage, bytes]:
    document = _document(locale)
    pdf = pdf_of(document).content
    return compose_invoice_email(document, pdf, message_id="msg_1", mail_from=mail_from, now=NOW), pdf


def test_an_english_invoice_mail_names_the_invoice_and_links_the_hosted_page() -> None:
    message, pdf = _compose("en")
    assert message["To"] == "Atelier Lumière SARL <ap@lumiere.example>"
    assert message["From"] == "Nordlicht Software GmbH <billing@nordlicht.example>"
    assert message["Subject"] == "Invoice 2026-0042 from Nordlicht Software GmbH"
    assert message["Message-ID"] == "<msg_1@nordlicht.example>"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    assert URL in text.get_content()
    assert f'href="{URL}"' in html.get_content()
    attachment = next(message.iter_attachments())
    assert attachment.get_filename() == "2026-0042.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == pdf


def test_a_turkish_invoice_mail_is_in_turkish_with_amounts_formatted_as_the_documents_do() -> None:
    message, _ = _compose("tr")
    assert message["Subject"] == "Nordlicht Software GmbH firmasından 2026-0042 numaralı fatura"
    body = message.get_body(("plain",))
    assert body is not None
    assert "Ödenecek tutar: €" in body.get_content()


def test_mail_from_is_the_sender_and_the_tenant_e_mail_the_reply_to() -> None:
    message, _ = _compose(mail_from="invoices@relay.example")
    assert message["From"] == "Nordlicht Software GmbH <invoices@relay.example>"
    assert message["Reply-To"] == "Nordlicht Software GmbH <billing@nordlicht.example>"
    assert message["Message-ID"] == "<msg_1@relay.example>"


def test_a_receiver_without_e_mail_cannot_be_mailed() -> None:
    document = _document(email_address=None)
    with pytest.raises(NoRecipient) as raised:
        compose_invoice_email(document, b"%PDF-", message_id="m", mail_from=None, now=NOW)
    assert raised.value.reason == "no_recipient"
    assert not raised.value.transient


async def test_without_smtp_url_the_message_is_written_as_an_eml_that_parses(tmp_path: Path) -> None:
    message, pdf = _compose("de")
    delivered = await deliver(message, Settings(mail_dir=tmp_path, smtp_url=None))
    assert delivered.path is not None
    assert delivered.path.parent == tmp_path
    names, raw = _read_dir(tmp_path, delivered.path)
    assert names == [delivered.path.name]  # no temp file left behind
    parsed = email.message_from_bytes(raw, policy=default)
    assert parsed["Subject"] == "Rechnung 2026-0042 von Nordlicht Software GmbH"
    attachment = next(parsed.iter_attachments())
    assert attachment.get_content() == pdf
    reader = pypdf.PdfReader(io.BytesIO(attachment.get_content()))
    assert "factur-x.xml" in reader.attachments


def _read_dir(directory: Path, path: Path) -> tuple[list[str], bytes]:
    return [p.name for p in directory.iterdir()], path.read_bytes()


@pytest.mark.parametrize(
    ("url", "host", "port", "tls", "starttls", "user"),
    [
        ("smtp://u%40x:p@mail.example:587", "mail.example", 587, False, None, "u@x"),
        ("smtps://u:p@mail.example", "mail.example", 465, True, False, "u"),
        ("smtp://relay:25?starttls=false", "relay", 25, False, False, None),
    ],
)
def test_smtp_url_forms(url: str, host: str, port: int, tls: bool, starttls: bool | None, user: str | None) -> None:
    target = parse_smtp_url(url)
    assert (target.hostname, target.port, target.use_tls, target.start_tls, target.username) == (
        host,
        port,
        tls,
        starttls,
        user,
    )
