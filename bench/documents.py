"""The documents phase: how fast one process renders an invoice's PDF, Factur-X PDF, CII and UBL.

The seeded invoices froze no seller or buyer (the bulk load writes what a pre-0008 issue wrote),
so their snapshots lack what a valid e-invoice needs. The sample is therefore made the way the
API makes one: the sample tenants get a profile (address, VAT id, IBAN) and a customer with an
address through the services, then drafts (the seed's baskets) are created and issued through
the invoice service, which freezes both parties. Each sample invoice is then loaded with
`load_document` in a tenant context, as `GET /invoices/{id}/pdf` does, and rendered by the
service's own functions, one format after another, in this process alone.

Figures are reported, never asserted: rates depend on the machine (docs/benchmarks.md).
"""

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bench.databases import BenchDatabase
from bench.dataset import everyday_baskets
from bench.stats import percentile
from invoicing.core.context import TenantContext
from invoicing.core.db import APP_ROLE, create_engine, set_tenant, transaction
from invoicing.customers.schemas import CustomerCreate
from invoicing.customers.service import create_customer
from invoicing.documents.einvoice import missing_for_einvoice
from invoicing.documents.model import InvoiceDocument
from invoicing.documents.pdf import render_pdf
from invoicing.documents.pdf.layout import _epc_qr_png
from invoicing.documents.service import EInvoiceFormat, einvoice_of, pdf_of
from invoicing.documents.snapshot import load_document
from invoicing.invoices import service as invoices
from invoicing.invoices.schemas import InvoiceCreate, LineIn
from invoicing.parties.schemas import BankAccountIn, PostalAddressIn
from invoicing.tenants.profile import update_profile
from invoicing.tenants.schemas import TenantProfilePatch

ACTOR = "bench:documents"
# Euro, so the PDF carries its EPC payment QR code as a German seller's would (TRY has none).
CURRENCY, RATE = "EUR", Decimal("36.5")
SAMPLE_TENANTS = 4  # enough to load through several tenant contexts; the rest share their profile
PROFILE = TenantProfilePatch(
    postal_address=PostalAddressIn(line1="Hafenstraße 12", city="Hamburg", postal_code="20457", country_code="DE"),
    tax_number="DE136695976",
    email="billing@bench.example",
    bank_accounts=[BankAccountIn(iban="DE89370400440532013000", bic="COBADEFFXXX")],
    payment_terms_days=30,
)
BUYER = CustomerCreate(
    first_name="Camille",
    company_name="Atelier Lumière SARL",
    tax_number="FR40303265045",
    postal_address=PostalAddressIn(line1="14 rue des Lilas", city="Lyon", postal_code="69003", country_code="FR"),
)


@dataclass(frozen=True, slots=True)
class Sampled:
    tenant_id: int
    invoice_id: int


@dataclass(frozen=True, slots=True)
class FormatResult:
    """One format's timings over the sample (wall per document; CPU over the whole run)."""

    name: str
    database: str
    documents: int
    median_ms: float
    p95_ms: float
    per_core_per_s: float  # documents per CPU-second of this process (every thread it ran)
    mean_kb: float

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "database": self.database,
            "documents": self.documents,
            "median_ms": round(self.median_ms, 2),
            "p95_ms": round(self.p95_ms, 2),
            "per_core_per_s": round(self.per_core_per_s, 1),
            "mean_kb": round(self.mean_kb, 1),
        }


# Each renders what the service answers: Factur-X is `pdf_of` (CII built, checked, embedded);
# CII and UBL are `einvoice_of` (the completeness check included), the plain PDF has no XML.
FORMATS: tuple[tuple[str, Callable[[InvoiceDocument], bytes]], ...] = (
    ("pdf", lambda document: render_pdf(document)),
    ("factur_x_pdf", lambda document: pdf_of(document).content),
    ("cii", lambda document: einvoice_of(document, EInvoiceFormat.CII).content),
    ("ubl", lambda document: einvoice_of(document, EInvoiceFormat.UBL).content),
)


async def measure_documents(database: BenchDatabase, tenants: int, count: int) -> list[FormatResult]:
    """Issues `count` invoices through the services, then times loading and rendering them."""
    # As the service's engine: acting as APP_ROLE, so row-level security costs the loads what it
    # costs a request (the bench's login user is a superuser, whom the policies would not hold).
    engine = create_engine(database.url, pool_size=1, role=APP_ROLE)
    try:
        sample = await _issue_sample(engine, min(tenants, SAMPLE_TENANTS), count)
        documents, load_ms = await _load(engine, sample)
    finally:
        await engine.dispose()
    incomplete = {document.number: missing_for_einvoice(document) for document in documents}
    incomplete = {number: gaps for number, gaps in incomplete.items() if gaps}
    if incomplete:
        raise RuntimeError(f"sample invoices lack e-invoice details, the phase is broken: {incomplete}")
    results = [_result("snapshot_load", database.kind, load_ms, cpu_seconds=None, sizes=[])]
    for name, render in FORMATS:
        # Every format renders every invoice for the first time: the QR code cache (per process)
        # would otherwise make the PDFs after the first one skip encoding it.
        render(documents[0])  # unmeasured: the first render pays for loading Typst's fonts
        _epc_qr_png.cache_clear()
        results.append(_time_format(name, database.kind, render, documents))
    return results


async def _issue_sample(engine: AsyncEngine, tenants: int, count: int) -> list[Sampled]:
    customers: dict[int, int] = {}
    for tenant_id in range(1, tenants + 1):
        async with transaction(engine, write=True) as connection:
            await set_tenant(connection, tenant_id)
            await update_profile(connection, tenant_id=tenant_id, patch=PROFILE)
            customers[tenant_id] = int((await create_customer(connection, tenant_id=tenant_id, data=BUYER))["id"])
    baskets = everyday_baskets(random.Random(11))  # noqa: S311 - reproducible data, not secrets
    sample = []
    for index in range(count):
        tenant_id = index % tenants + 1
        lines = [_line_in(line) for line in baskets[index % len(baskets)].lines]
        async with transaction(engine, write=True) as connection:
            await set_tenant(connection, tenant_id)
            context = TenantContext(connection, tenant_id, actor=ACTOR)
            data = InvoiceCreate(customer_id=customers[tenant_id], currency=CURRENCY, exchange_rate=RATE, lines=lines)
            draft = await invoices.create_draft(context, data)
            issued = await invoices.issue_invoice(context, int(draft.invoice["id"]))
        sample.append(Sampled(tenant_id, int(issued.invoice["id"])))
    return sample


def _line_in(line: dict[str, Any]) -> LineIn:
    keys = ("name", "quantity", "unit_price", "vat_rate_percent", "discount_percent")
    return LineIn(**{key: line[key] for key in keys})


async def _load(engine: AsyncEngine, sample: list[Sampled]) -> tuple[list[InvoiceDocument], list[float]]:
    documents, timings = [], []
    for sampled in sample:
        started = time.perf_counter()
        async with transaction(engine, write=False) as connection:
            await set_tenant(connection, sampled.tenant_id)
            context = TenantContext(connection, sampled.tenant_id, ACTOR)
            documents.append(await load_document(context, sampled.invoice_id))
        timings.append((time.perf_counter() - started) * 1000)
    return documents, timings


def _time_format(
    name: str, kind: str, render: Callable[[InvoiceDocument], bytes], documents: list[InvoiceDocument]
) -> FormatResult:
    timings, sizes = [], []
    cpu_started = time.process_time()
    for document in documents:
        started = time.perf_counter()
        content = render(document)
        timings.append((time.perf_counter() - started) * 1000)
        sizes.append(len(content))
    return _result(name, kind, timings, cpu_seconds=time.process_time() - cpu_started, sizes=sizes)


def _result(name: str, kind: str, timings: list[float], *, cpu_seconds: float | None, sizes: list[int]) -> FormatResult:
    # The loads wait on the database, so CPU time would not say what they cost: wall rate instead.
    seconds = cpu_seconds if cpu_seconds is not None else sum(timings) / 1000
    return FormatResult(
        name=name,
        database=kind,
        documents=len(timings),
        median_ms=statistics.median(timings),
        p95_ms=percentile(timings, 95),
        per_core_per_s=len(timings) / seconds if seconds else 0.0,
        mean_kb=statistics.fmean(sizes) / 1024 if sizes else 0.0,
    )
