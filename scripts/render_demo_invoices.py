"""Render the demo tenant's invoices (`make demo`'s data) to PNG for the documentation.

python scripts/render_demo_invoices.py docs/images

Builds the demo in a scratch SQLite database, so it never touches var/, and renders through the
same loader and renderers the API uses (documents.service), so the picture is what a customer gets.
"""

import argparse
import asyncio
import tempfile
from pathlib import Path

from render_invoice_image import page_png  # the sibling script: a script's folder is on sys.path
from sqlalchemy import select

from invoicing.core.context import TenantContext
from invoicing.core.db import create_engine, set_tenant, transaction
from invoicing.core.migrate import upgrade_async
from invoicing.demo import ensure_demo
from invoicing.documents import service
from invoicing.invoices.tables import invoices

# Which demo invoice each image shows, by the locale frozen at issue: Jane Doe's (English, three
# lines), a Turkish customer's, and the draft quote kept beside Jane Doe's invoice.
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
        finally:
            await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("directory", type=Path)
    args = parser.parse_args()
    args.directory.mkdir(parents=True, exist_ok=True)
    asyncio.run(render(args.directory))


if __name__ == "__main__":
    main()
