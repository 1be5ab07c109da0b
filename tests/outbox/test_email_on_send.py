"""E-mail on send, end to end (issue 13, acceptance 3): `send` queues the e-mail, the worker
delivers it to a real SMTP server (aiosmtpd) with the invoice's PDF attached, and the invoice's
events say so; without SMTP_URL the .eml appears; a refusal is recorded, a transient failure
retried on the webhook schedule."""

import email
import io
from email.policy import default
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pypdf import PdfReader
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import Tenant
from tests.mail.smtp_server import Inbox, free_port, smtp_server
from tests.outbox.support import FakeClock, deliveries_of, worker_for


async def _sent(tenant: Tenant, *, email_address: str | None) -> dict[str, Any]:
    customer = await tenant.create_customer(email=email_address, locale="en")
    draft = await tenant.create_draft(customer_id=customer["id"])
    response = await tenant.post(f"/invoices/{draft['id']}/send")
    assert response.status_code == 200, response.text
    return dict(response.json()["data"]["invoice"])


async def _event(tenant: Tenant, invoice_id: object, event_type: str) -> dict[str, Any]:
    events = (await tenant.get(f"/invoices/{invoice_id}/events")).json()["data"]
    [found] = [event for event in events if event["type"] == event_type]
    return dict(found)


async def test_send_mails_the_invoice_with_its_pdf_through_smtp(app_engine: AsyncEngine, tenant: Tenant) -> None:
    inbox = Inbox()
    with smtp_server(inbox) as port:
        invoice = await _sent(tenant, email_address="ap@customer.example")
        worker = worker_for(app_engine, smtp_url=SecretStr(f"smtp://127.0.0.1:{port}?starttls=false"))
        await worker.run_until_idle()
    [envelope] = inbox.envelopes
    assert envelope.rcpt_tos == ["ap@customer.example"]
    assert isinstance(envelope.content, bytes)
    message = email.message_from_bytes(envelope.content, policy=default)
    attachment = next(message.iter_attachments())
    pdf = attachment.get_content()
    served = await tenant.get(f"/invoices/{invoice['id']}/pdf")
    assert pdf == served.content
    reader = PdfReader(io.BytesIO(pdf))
    assert str(invoice["document_number"]) in reader.pages[0].extract_text()
    delivered = await _event(tenant, invoice["id"], "invoice.email_delivered")
    assert delivered["data"]["recipient"] == "ap@customer.example"
    assert delivered["data"]["message_id"].startswith("msg_")
    assert message["Message-ID"].startswith(f"<{delivered['data']['message_id']}@")


async def test_without_smtp_url_the_eml_appears_under_mail_dir(
    app_engine: AsyncEngine, tenant: Tenant, tmp_path: Path
) -> None:
    invoice = await _sent(tenant, email_address="ap@customer.example")
    await worker_for(app_engine, mail_dir=tmp_path).run_until_idle()
    [written] = list(tmp_path.glob("*.eml"))  # noqa: ASYNC240 (a test's temporary folder)
    parsed = email.message_from_bytes(written.read_bytes(), policy=default)
    assert parsed["Subject"] == f"Invoice {invoice['document_number']} from Tenant A"
    delivered = await _event(tenant, invoice["id"], "invoice.email_delivered")
    assert delivered["data"]["recipient"] == "ap@customer.example"


async def test_a_receiver_without_an_address_is_recorded_as_failed_not_retried(
    engine: AsyncEngine, app_engine: AsyncEngine, tenant: Tenant, tmp_path: Path
) -> None:
    invoice = await _sent(tenant, email_address=None)
    await worker_for(app_engine, mail_dir=tmp_path).run_until_idle()
    failed = await _event(tenant, invoice["id"], "invoice.email_failed")
    assert failed["data"]["reason"] == "no_recipient"
    [delivery] = [d for d in await deliveries_of(engine, tenant) if d["endpoint_id"] is None]
    assert (delivery["state"], delivery["attempts"]) == ("failed", 1)


async def test_an_unreachable_relay_is_retried_and_then_delivered(
    engine: AsyncEngine, app_engine: AsyncEngine, tenant: Tenant
) -> None:
    port = free_port()
    clock = FakeClock()
    settings = {"smtp_url": SecretStr(f"smtp://127.0.0.1:{port}?starttls=false"), "smtp_timeout_seconds": 5}
    invoice = await _sent(tenant, email_address="ap@customer.example")
    worker = worker_for(app_engine, clock, **settings)
    await worker.run_until_idle()  # nothing listens yet
    [delivery] = [d for d in await deliveries_of(engine, tenant) if d["endpoint_id"] is None]
    assert (delivery["state"], delivery["attempts"]) == ("pending", 1)
    events = [event["type"] for event in (await tenant.get(f"/invoices/{invoice['id']}/events")).json()["data"]]
    assert "invoice.email_failed" not in events  # a retry is coming: nothing failed yet
    inbox = Inbox()
    with smtp_server(inbox, port=port):
        clock.now = delivery["next_attempt_at"]
        await worker.run_until_idle()
    assert len(inbox.envelopes) == 1
    delivered = await _event(tenant, invoice["id"], "invoice.email_delivered")
    assert delivered["data"]["recipient"] == "ap@customer.example"
