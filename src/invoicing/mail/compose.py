"""The e-mail that carries an issued invoice to its receiver: text, HTML, the PDF attached.

Pure: the same document, PDF and message id always compose the same message (but for Date),
so a retried delivery of one outbox message sends what the first attempt would have.
"""

import html
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from invoicing.documents.formatting import format_date, format_money
from invoicing.documents.model import InvoiceDocument
from invoicing.mail.errors import NoRecipient
from invoicing.mail.texts import mail_text

FALLBACK_SENDER = "invoicing@localhost"


def sender_address(document: InvoiceDocument, mail_from: str | None) -> Address:
    """MAIL_FROM with the seller's name when set (the relay's own domain passes SPF/DMARC),
    else the seller's e-mail, else a local address `make run` can write to a file."""
    address = mail_from or document.seller.email or FALLBACK_SENDER
    return Address(display_name=document.seller.legal_name, addr_spec=address)


def message_id_header(message_id: str, sender: Address) -> str:
    """`<outbox message id@sender's domain>`: stable per outbox message, so a receiver (and we)
    can recognise a retry after a crash as the same message."""
    return f"<{message_id}@{sender.domain or 'localhost'}>"


def compose_invoice_email(
    document: InvoiceDocument, pdf: bytes, *, message_id: str, mail_from: str | None, now: datetime
) -> EmailMessage:
    """Pre: an issued invoice (it has a number) whose buyer has an e-mail, else NoRecipient.
    Post: a multipart/mixed message: text + HTML alternative, `<number>.pdf` attached."""
    recipient = document.buyer.email
    if not recipient:
        raise NoRecipient()
    assert document.number is not None, "only an issued invoice is e-mailed"
    locale = document.locale
    sender = sender_address(document, mail_from)
    values = {
        "number": document.number,
        "seller": document.seller.legal_name,
        "buyer": document.buyer.legal_name,
        "amount": format_money(document.totals.due, document.currency, locale, minor_units=document.minor_units),
        "date": format_date(document.due_date, locale) if document.due_date else "",
        "url": document.hosted_url or "",
    }
    keys = ["greeting", "intro", "amount_due"]
    keys += ["due_date"] if document.due_date else []
    keys += ["view_online"] if document.hosted_url else []
    paragraphs = [mail_text(locale, key).format(**values) for key in [*keys, "closing"]]

    message = EmailMessage(policy=SMTP)
    message["Subject"] = mail_text(locale, "subject").format(**values)
    message["From"] = sender
    message["To"] = Address(display_name=document.buyer.legal_name, addr_spec=recipient)
    if mail_from and document.seller.email and document.seller.email != mail_from:
        message["Reply-To"] = Address(display_name=document.seller.legal_name, addr_spec=document.seller.email)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id_header(message_id, sender)
    message["Content-Language"] = locale
    message.set_content("\n\n".join(paragraphs) + "\n")
    message.add_alternative(_html(paragraphs, document.hosted_url, locale), subtype="html")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"{document.number}.pdf")
    return message


def _html(paragraphs: list[str], url: str | None, locale: str) -> str:
    body = []
    for paragraph in paragraphs:
        escaped = html.escape(paragraph).replace("\n", "<br>")
        if url:
            link = html.escape(url)
            escaped = escaped.replace(link, f'<a href="{link}">{link}</a>')
        body.append(f"<p>{escaped}</p>")
    return f'<!DOCTYPE html>\n<html lang="{html.escape(locale)}"><body>\n' + "\n".join(body) + "\n</body></html>\n"
