"""The tenant's profile: the seller's details on its invoices (issue 11)."""

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from invoicing.core.schemas import Input
from invoicing.core.wire_types import Email, JsonInteger, VisibleName, WebUrl
from invoicing.parties.schemas import (
    BankAccountIn,
    BankAccountResource,
    ElectronicAddressIn,
    ElectronicAddressResource,
    LocaleTag,
    PostalAddressIn,
    PostalAddressResource,
    TaxNumber,
)

MAX_BANK_ACCOUNTS = 5
MAX_FOOTER = 2000
PaperSize = Literal["A4", "Letter"]
PaymentTermsDays = Annotated[int, Field(ge=0, le=365), JsonInteger]


class TenantProfilePatch(Input):
    """JSON merge patch (RFC 7396) of the profile: absent = unchanged, null = cleared;
    `postal_address` merges field by field, `bank_accounts` and `electronic_address` are
    replaced whole (an account's or an address's parts belong together)."""

    legal_name: Annotated[str, VisibleName(200)] | None = None
    postal_address: PostalAddressIn | None = None
    tax_number: TaxNumber | None = Field(
        default=None,
        description="VAT id or tax number, checked as the address's country defines it (python-stdnum).",
    )
    registration_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    email: Email | None = None
    phone: Annotated[str, StringConstraints(max_length=32)] | None = None
    website: WebUrl | None = None
    bank_accounts: list[BankAccountIn] | None = Field(default=None, max_length=MAX_BANK_ACCOUNTS)
    payment_terms_days: PaymentTermsDays | None = None
    footer: Annotated[str, StringConstraints(max_length=MAX_FOOTER)] | None = None
    locale: LocaleTag | None = Field(default=None, description="A CLDR locale: en, de, fr, tr, de-DE...")
    electronic_address: ElectronicAddressIn | None = None
    paper_size: PaperSize | None = None


class LogoResource(BaseModel):
    media_type: str
    size: int
    sha256: str


class TenantProfileResource(BaseModel):
    legal_name: str | None
    postal_address: PostalAddressResource | None
    tax_number: str | None
    registration_id: str | None
    email: str | None
    phone: str | None
    website: str | None
    bank_accounts: list[BankAccountResource] | None
    payment_terms_days: int | None
    footer: str | None
    locale: str | None
    electronic_address: ElectronicAddressResource | None
    paper_size: str | None
    logo: LogoResource | None
