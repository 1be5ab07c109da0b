"""A demo tenant with a few customers, drafts and issued invoices, created once."""

import secrets
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from invoicing.auth.scopes import DEFAULT_SCOPES
from invoicing.auth.service import create_token
from invoicing.core.context import TenantContext
from invoicing.core.db import set_tenant, transaction
from invoicing.customers.schemas import CustomerCreate
from invoicing.customers.service import create_customer
from invoicing.invoices import service as invoices
from invoicing.invoices.schemas import InvoiceCreate, LineIn
from invoicing.parties.schemas import BankAccountIn, PostalAddressIn
from invoicing.tenants.logo import LogoImage
from invoicing.tenants.profile import put_logo, update_profile
from invoicing.tenants.repository import TenantRepository
from invoicing.tenants.schemas import TenantProfilePatch
from invoicing.tenants.service import create_tenant
from invoicing.users import service as users
from invoicing.users.repository import UserRepository

DEMO_TENANT_NAME = "Demo Tekstil A.Ş."
DEMO_USER_EMAIL = "owner@demo-tekstil.example"
DEMO_TOKEN_TTL_SECONDS = 30 * 24 * 3600

DEMO_TAX_NUMBER = "1111111114"  # a VKN whose check digit holds (python-stdnum), owned by no one

# The seller on every document the demo shows: a Turkish company (so its UBL is UBL-TR) that
# invoices at home in Turkish and abroad in English.
PROFILE = TenantProfilePatch(
    legal_name="Demo Tekstil A.Ş.",
    postal_address=PostalAddressIn(
        line1="Büyükdere Cad. No: 123",
        line2="Şişli",
        city="İstanbul",
        postal_code="34394",
        subdivision="TR-34",
        country_code="TR",
    ),
    tax_number=DEMO_TAX_NUMBER,
    registration_id="0111111111400015",
    email="billing@demo-tekstil.example",
    phone="+90 212 555 01 23",
    website="https://demo-tekstil.example",
    bank_accounts=[BankAccountIn(iban="TR330006100519786457841326", bic="TGBATRIS", bank_name="Demo Bank")],
    payment_terms_days=14,
    footer="Demo Tekstil A.Ş. · İstanbul Ticaret Sicili 123456 · Mersis 0111111111400015",
    locale="en",
)
# A plain mark (two overlapping discs), drawn as SVG so the demo needs no image file.
LOGO = LogoImage(
    "image/svg+xml",
    b'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="48" viewBox="0 0 120 48">'
    b'<circle cx="24" cy="24" r="20" fill="#1f4e79"/><circle cx="48" cy="24" r="20" fill="#c0504d" '
    b'fill-opacity="0.85"/></svg>',
)

CUSTOMERS = [
    CustomerCreate(
        first_name="Ayşe",
        last_name="Yılmaz",
        email="ayse@example.com",
        tax_number="1234567890",
        postal_address=PostalAddressIn(
            line1="Atatürk Bulvarı No: 45", city="Ankara", postal_code="06420", country_code="TR"
        ),
        locale="tr",
    ),
    CustomerCreate(
        first_name="Mehmet",
        last_name="Demir",
        company_name="Demir Lojistik Ltd.",
        tax_number="9876543217",
        postal_address=PostalAddressIn(line1="Liman Yolu No: 7", city="İzmir", postal_code="35210", country_code="TR"),
        locale="tr",
    ),
    CustomerCreate(
        first_name="Jane",
        last_name="Doe",
        company_name="Doe & Partners LLC",
        email="jane@example.org",
        address="1 Main St, Springfield",
        postal_address=PostalAddressIn(
            line1="1 Main St", city="Springfield", postal_code="62701", subdivision="US-IL", country_code="US"
        ),
        locale="en",
    ),
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
        ),
        LineIn(
            name="Onboarding workshop (days)",
            quantity=Decimal(2),
            unit_price=Decimal(450),
            vat_rate_percent=Decimal(20),
        ),
        LineIn(
            name="Printed catalogues", quantity=Decimal(40), unit_price=Decimal("3.75"), vat_rate_percent=Decimal(10)
        ),
    ],
]


@dataclass(frozen=True, slots=True)
class DemoResult:
    tenant_id: int
    tenant_public_id: str
    created: bool
    token: str
    user_email: str
    user_password: str


async def ensure_demo(engine: AsyncEngine) -> DemoResult:
    """Creates the demo tenant on first run only; always returns a fresh 30-day token."""
    async with transaction(engine, write=True) as connection:
        tenant = await TenantRepository(connection).by_name(DEMO_TENANT_NAME)
        created = tenant is None
        if tenant is None:
            tenant = await create_tenant(connection, name=DEMO_TENANT_NAME, tax_number=DEMO_TAX_NUMBER)
            await set_tenant(connection, tenant["id"])
            await update_profile(connection, tenant_id=tenant["id"], patch=PROFILE)
            await put_logo(connection, tenant_id=tenant["id"], logo=LOGO)
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
        password = await _fresh_demo_login(connection, tenant["id"])
    return DemoResult(
        tenant_id=tenant["id"],
        tenant_public_id=tenant["public_id"],
        created=created,
        token=token.token,
        user_email=DEMO_USER_EMAIL,
        user_password=password,
    )


async def _fresh_demo_login(connection: AsyncConnection, tenant_id: int) -> str:
    """The demo owner's account, with a new random password every run (as the token is new): a
    demo left running on a reachable host has no password anyone could know from the docs."""
    password = secrets.token_urlsafe(12)
    account = await UserRepository(connection, tenant_id).by_email(DEMO_USER_EMAIL)
    if account is None:
        await users.create_user(
            connection, tenant_id=tenant_id, email=DEMO_USER_EMAIL, name="Demo Owner", password=password, role="owner"
        )
    else:
        await users.set_password(connection, tenant_id=tenant_id, user_id=account["id"], password=password)
    return password
