"""The worker-facing delivery of an issued invoice's e-mail, on both databases: the message
reaches a real SMTP server with the PDF GET .../pdf serves, and the outcome becomes an event."""

import email
from email.policy import default
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.config import Settings
from invoicing.core.context import TenantContext
from invoicing.core.db import set_tenant, transaction
from invoicing.mail.service import MailOutcome, MailResult, deliver_invoice_email, record_email_outcome
from tests.conftest import Tenant
from tests.mail.smtp_server import Inbox, free_port, smtp_server


async def _issued(tenant: Tenant, *, email_address: str | None, locale: str) -> dict[str, object]:
    customer = await tenant.create_customer(email=email_address, locale=locale)
    draft = await tenant.create_draft(customer_id=customer["id"])
    return await tenant.issue(draft["id"])


async def _events(tenant: Tenant, invoice_id: object) -> list[dict[str, object]]:
    response = await tenant.get(f"/invoices/{invoice_id}/events")
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


async def _record(engine: AsyncEngine, tenant: Tenant, invoice_id: int, outcome: MailOutcome) -> None:
    async with transaction(engine, write=True) as connection:
        await set_tenant(connection, tenant.id)
        context = TenantContext(connection=connection, tenant_id=tenant.id, actor="worker")
        await record_email_outcome(context, invoice_id, outcome)


async def test_a_turkish_invoice_is_mailed_with_its_pdf_and_the_delivery_recorded(
    app_engine: AsyncEngine, tenant: Tenant
) -> None:
    invoice = await _issued(tenant, email_address="muhasebe@musteri.example", locale="tr")
    invoice_id = int(str(invoice["id"]))
    inbox = Inbox()
    with smtp_server(inbox) as port:
        settings = Settings(smtp_url=SecretStr(f"smtp://127.0.0.1:{port}?starttls=false"), smtp_timeout_seconds=5)
        outcome = await deliver_invoice_email(
            app_engine, settings, tenant_id=tenant.id, invoice_id=invoice_id, message_id="msg_tr"
        )
    assert outcome.result is MailResult.DELIVERED
    [envelope] = inbox.envelopes
    assert isinstance(envelope.content, bytes)
    received = email.message_from_bytes(envelope.content, policy=default)
    assert received["To"].addresses[0].addr_spec == "muhasebe@musteri.example"
    assert received["Subject"].endswith(f"{invoice['document_number']} numaralı fatura")
    body = received.get_body(("plain",))
    assert body is not None
    assert str(invoice["hosted_url"]) in body.get_content()
    attachment = next(received.iter_attachments())
    served = await tenant.get(f"/invoices/{invoice_id}/pdf")
    assert attachment.get_filename() == f"{invoice['document_number']}.pdf"
    assert attachment.get_content() == served.content

    await _record(app_engine, tenant, invoice_id, outcome)
    last = (await _events(tenant, invoice_id))[-1]
    assert last["type"] == "invoice.email_delivered"
    assert last["data"]["recipient"] == "muhasebe@musteri.example"  # type: ignore[index]
    assert last["data"]["message_id"] == "msg_tr"  # type: ignore[index]


async def test_an_english_invoice_without_smtp_url_lands_as_an_eml(
    app_engine: AsyncEngine, tenant: Tenant, tmp_path: Path
) -> None:
    invoice = await _issued(tenant, email_address="ap@customer.example", locale="en")
    outcome = await deliver_invoice_email(
        app_engine,
        Settings(mail_dir=tmp_path),
        tenant_id=tenant.id,
        invoice_id=int(str(invoice["id"])),
        message_id="m1",
    )
    assert outcome.result is MailResult.DELIVERED
    assert outcome.eml_path is not None
    parsed = email.message_from_bytes(Path(outcome.eml_path).read_bytes(), policy=default)  # noqa: ASYNC240
    assert parsed["Subject"] == f"Invoice {invoice['document_number']} from Tenant A"


async def test_a_receiver_without_e_mail_fails_permanently_with_no_recipient(
    app_engine: AsyncEngine, tenant: Tenant, tmp_path: Path
) -> None:
    invoice = await _issued(tenant, email_address=None, locale="en")
    invoice_id = int(str(invoice["id"]))
    outcome = await deliver_invoice_email(
        app_engine, Settings(mail_dir=tmp_path), tenant_id=tenant.id, invoice_id=invoice_id, message_id="m2"
    )
    assert (outcome.result, outcome.reason) == (MailResult.PERMANENT, "no_recipient")
    await _record(app_engine, tenant, invoice_id, outcome)
    last = (await _events(tenant, invoice_id))[-1]
    assert last["type"] == "invoice.email_failed"
    assert last["data"] == {"message_id": "m2", "recipient": None, "reason": "no_recipient", "detail": outcome.detail}


async def test_an_unreachable_relay_is_a_transient_outcome(app_engine: AsyncEngine, tenant: Tenant) -> None:
    invoice = await _issued(tenant, email_address="ap@customer.example", locale="en")
    settings = Settings(smtp_url=SecretStr(f"smtp://127.0.0.1:{free_port()}"), smtp_timeout_seconds=5)
    outcome = await deliver_invoice_email(
        app_engine, settings, tenant_id=tenant.id, invoice_id=int(str(invoice["id"])), message_id="m3"
    )
    assert (outcome.result, outcome.reason) == (MailResult.TRANSIENT, "smtp_unavailable")


async def test_another_tenants_invoice_is_not_found(
    app_engine: AsyncEngine, tenant: Tenant, other_tenant: Tenant
) -> None:
    invoice = await _issued(tenant, email_address="ap@customer.example", locale="en")
    outcome = await deliver_invoice_email(
        app_engine, Settings(), tenant_id=other_tenant.id, invoice_id=int(str(invoice["id"])), message_id="m4"
    )
    assert (outcome.result, outcome.reason) == (MailResult.PERMANENT, "invoice_not_found")
