"""Render the demo tenant's invoices (`make demo`'s data) to PNG for the documentation.

python scripts/render_demo_invoices.py docs/images

Builds the demo in a scratch SQLite database, so it never touches var/, and renders through the
same loader and renderers the API uses (documents.service), so the picture is what a customer gets.
"""

import argparse
import asyncio
import tempfile
from decimal import Decimal
from pathlib import Path

from render_invoice_image import page_png  # the sibling script: a script's folder is on sys.path
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.core.context import TenantContext
from invoicing.core.db import create_engine, set_tenant, transaction
from invoicing.core.migrate import upgrade_async
from invoicing.credit_notes import service as credit_notes
from invoicing.credit_notes.schemas import CreditByAmount, CreditByQuantity, CreditNoteCreate, RefundIn
from invoicing.demo import ensure_demo
from invoicing.documents import service
from invoicing.invoices.service import get_invoice
from invoicing.invoices.tables import invoices
from invoicing.payments import service as payments
from invoicing.payments.schemas import PaymentCreate

# Which demo invoice each image shows, by the locale frozen at issue: Jane Doe's (English, three
# lines), a Turkish customer's, and the draft quote kept beside Jane Doe's invoice.
# Then two credit notes of the first two: credit-note-en and credit-note-tr.
PICTURES = ("invoice-en", "invoice-tr", "invoice-draft")


async def render(directory: Path) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{scratch}/demo.db"
        await upgrade_async(url)
        engine = create_engine(url)
        try:
            demo = await ensure_demo(engine)
            async with transaction(engine, write=False) as connection:
                await set_tenant(connection, demo.tenant_id)
                context = TenantContext(connection, demo.tenant_id, actor="docs")
                rows = (
                    await connection.execute(
                        select(invoices.c.id, invoices.c.status, invoices.c.locale, invoices.c.customer_id)
                        .where(invoices.c.tenant_id == demo.tenant_id)
                        .order_by(invoices.c.id.desc())
                    )
                ).all()
                english = next(r for r in rows if r.status != "draft" and r.locale == "en")
                turkish = next(r for r in rows if r.status != "draft" and r.locale == "tr")
                quote = next(r for r in rows if r.status == "draft" and r.customer_id == english.customer_id)
                for name, row in zip(PICTURES, (english, turkish, quote), strict=True):
                    rendered = await service.pdf(context, row.id)
                    (directory / f"{name}.png").write_bytes(page_png(rendered.content, scale=1.5))
                    print(f"{directory / name}.png  ({rendered.filename})")
            await _credit_notes(engine, demo.tenant_id, directory, english.id, turkish.id)
        finally:
            await engine.dispose()


async def _credit_notes(engine: AsyncEngine, tenant_id: int, directory: Path, english: int, turkish: int) -> None:
    """The English invoice paid, then credited one unit of its first line with a refund; the
    Turkish one credited a net amount of its first line, off what it still owes."""
    async with transaction(engine, write=True) as connection:
        await set_tenant(connection, tenant_id)
        context = TenantContext(connection, tenant_id, actor="docs")
        paid = await get_invoice(context, english)
        due = paid.invoice["amount_payable"]
        await payments.record_payment(context, english, PaymentCreate(amount=due, method="bank_transfer"))
        line = paid.lines[0]
        request = CreditNoteCreate(
            lines=[CreditByQuantity(invoice_line_id=line["id"], quantity=Decimal(1))],
            reason="One unit returned",
            refund=RefundIn(amount=Decimal("10.00"), method="bank_transfer", reference="RF-0001"),
            issue=True,
        )
        english_note = (await credit_notes.create_credit_note(context, english, request)).credit_note.note["id"]
        first = (await get_invoice(context, turkish)).lines[0]
        request = CreditNoteCreate(
            lines=[CreditByAmount(invoice_line_id=first["id"], amount=Decimal("100.00"))],
            reason="Fiyat farkı",
            issue=True,
        )
        turkish_note = (await credit_notes.create_credit_note(context, turkish, request)).credit_note.note["id"]
    async with transaction(engine, write=False) as connection:
        await set_tenant(connection, tenant_id)
        context = TenantContext(connection, tenant_id, actor="docs")
        for name, note_id in (("credit-note-en", english_note), ("credit-note-tr", turkish_note)):
            rendered = await service.credit_note_pdf(context, note_id)
            (directory / f"{name}.png").write_bytes(page_png(rendered.content, scale=1.5))
            print(f"{directory / name}.png  ({rendered.filename})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("directory", type=Path)
    args = parser.parse_args()
    args.directory.mkdir(parents=True, exist_ok=True)
    asyncio.run(render(args.directory))


if __name__ == "__main__":
    main()
