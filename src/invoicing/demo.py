"""A demo tenant with a few customers, drafts and issued invoices, created once."""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.auth.scopes import DEFAULT_SCOPES
from invoicing.auth.service import create_token
from invoicing.core.context import TenantContext
from invoicing.core.db import set_tenant, transaction
from invoicing.customers.schemas import CustomerCreate
from invoicing.customers.service import create_customer
from invoicing.invoices import service as invoices
from invoicing.invoices.schemas import InvoiceCreate, LineIn
from invoicing.tenants.repository import TenantRepository
from invoicing.tenants.service import create_tenant

DEMO_TENANT_NAME = "Demo Tekstil A.Ş."
DEMO_TOKEN_TTL_SECONDS = 30 * 24 * 3600

CUSTOMERS = [
    CustomerCreate(first_name="Ayşe", last_name="Yılmaz", email="ayse@example.com", tax_number="1234567890"),
    CustomerCreate(first_name="Mehmet", last_name="Demir", company_name="Demir Lojistik Ltd.", tax_number="9876543210"),
    CustomerCreate(first_name="Jane", last_name="Doe", email="jane@example.org", address="1 Main St, Springfield"),
]

LINES = [
    [
        LineIn(
            name="Consulting (hours)", quantity=Decimal(10), unit_price=Decimal("100.00"), vat_rate_percent=Decimal(18)
        )
    ],
    [
        LineIn(
            name="Cotton fabric (m)",
            quantity=Decimal("12.5"),
            unit_price=Decimal("42.80"),
            vat_rate_percent=Decimal(10),
        ),
        LineIn(name="Delivery", quantity=Decimal(1), unit_price=Decimal(150), vat_rate_percent=Decimal(20)),
    ],
    [
        LineIn(
            name="Annual licence",
            quantity=Decimal(1),
            unit_price=Decimal(1200),
            vat_rate_percent=Decimal(20),
            discount_percent=Decimal(15),
        )
    ],
]


@dataclass(frozen=True, slots=True)
class DemoResult:
    tenant_id: int
    tenant_public_id: str
    created: bool
    token: str


async def ensure_demo(engine: AsyncEngine) -> DemoResult:
    """Creates the demo tenant on first run only; always returns a fresh 30-day token."""
    async with transaction(engine, write=True) as connection:
        tenant = await TenantRepository(connection).by_name(DEMO_TENANT_NAME)
        created = tenant is None
        if tenant is None:
            tenant = await create_tenant(connection, name=DEMO_TENANT_NAME, tax_number="1111111111")
            context = TenantContext(connection, tenant["id"], actor="cli:demo")
            for position, data in enumerate(CUSTOMERS):
                customer = await create_customer(connection, tenant_id=tenant["id"], data=data)
                lines = LINES[position]
                issued = await invoices.create_draft(context, InvoiceCreate(customer_id=customer["id"], lines=lines))
                await invoices.issue_invoice(context, issued.invoice["id"])
                await invoices.create_draft(
                    context, InvoiceCreate(customer_id=customer["id"], lines=lines, notes="Quote, not yet issued")
                )
        await set_tenant(connection, tenant["id"])
        token = await create_token(
            connection, tenant_id=tenant["id"], scopes=DEFAULT_SCOPES, expires_in=DEMO_TOKEN_TTL_SECONDS
        )
    return DemoResult(tenant_id=tenant["id"], tenant_public_id=tenant["public_id"], created=created, token=token.token)
