from datetime import date
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, WithJsonSchema

from invoicing.core.schemas import Input
from invoicing.core.wire_types import (
    VISIBLE_NAME,
    BirthDate,
    BodyId,
    Email,
    Flag,
    VisibleName,
    WebUrl,
)
from invoicing.parties.schemas import (
    ElectronicAddressIn,
    ElectronicAddressResource,
    LocaleTag,
    PostalAddressIn,
    PostalAddressResource,
)

NAME_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 100, "pattern": VISIBLE_NAME}
Name = Annotated[str, VisibleName(100)]
ShortText = Annotated[str, StringConstraints(max_length=32)]


class CustomerFields(Input):
    # Optional names: absent, null or "" mean none; any other value needs a visible character.
    last_name: Annotated[str, VisibleName(100, optional=True)] | None = None
    company_name: Annotated[str, VisibleName(200, optional=True)] | None = None
    email: Email | None = None
    phone_number: ShortText | None = None
    tax_number: ShortText | None = Field(
        default=None,
        description="VAT / tax id; the invoice's receiver tax number. Checked as `postal_address.country_code` "
        "defines it (python-stdnum) when the customer has one.",
    )
    identity_number: ShortText | None = None
    passport_number: ShortText | None = None
    date_of_birth: BirthDate | None = None
    country_id: BodyId | None = None
    city_id: BodyId | None = None
    district_id: BodyId | None = None
    job: Annotated[str, StringConstraints(max_length=100)] | None = None
    address: Annotated[str, StringConstraints(max_length=1000)] | None = None
    avatar_url: WebUrl | None = Field(default=None, description="An http or https URL.")
    user_id: BodyId | None = None
    import_source_id: BodyId | None = None
    is_intake_completed: Flag = False
    default_channel_id: BodyId | None = None
    # Structured details for documents (issue 11); `address` stays the seed's free text.
    postal_address: PostalAddressIn | None = None
    electronic_address: ElectronicAddressIn | None = None
    locale: LocaleTag | None = Field(default=None, description="The invoice's language for this customer.")


class CustomerCreate(CustomerFields):
    first_name: Name


class CustomerUpdate(CustomerFields):
    """Only the fields sent change; `first_name` cannot be cleared."""

    # Neither can be cleared: the service refuses null (422), so the schema does not offer it.
    first_name: Annotated[Name | None, WithJsonSchema(NAME_SCHEMA)] = None
    is_intake_completed: Annotated[Flag | None, WithJsonSchema({"type": "boolean"})] = None  # type: ignore[assignment]


class CustomerResource(BaseModel):
    """Seed 000's `customer` object, plus `public_id`, `company_name`, `tax_number`,
    `postal_address`, `electronic_address` and `locale`."""

    id: int
    public_id: str
    tenant_id: int
    first_name: str
    last_name: str | None
    company_name: str | None
    phone_number: str | None
    email: str | None
    tax_number: str | None
    date_of_birth: date | None
    country_id: int | None
    identity_number: str | None
    job: str | None
    address: str | None
    deleted_at: str | None
    created_at: str
    updated_at: str
    avatar_url: str | None
    avatar_updated_at: str | None
    user_id: int | None
    city_id: int | None
    district_id: int | None
    import_source_id: int | None
    passport_number: str | None
    search_vector: str
    is_intake_completed: bool
    default_channel_id: int | None
    postal_address: PostalAddressResource | None
    electronic_address: ElectronicAddressResource | None
    locale: str | None
