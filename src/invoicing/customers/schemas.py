from datetime import date
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from invoicing.core.schemas import Input, PositiveId

Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Email = Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
ShortText = Annotated[str, StringConstraints(max_length=32)]


class CustomerFields(Input):
    last_name: Annotated[str, StringConstraints(max_length=100)] | None = None
    company_name: Annotated[str, StringConstraints(max_length=200)] | None = None
    email: Email | None = None
    phone_number: ShortText | None = None
    tax_number: ShortText | None = Field(default=None, description="VAT / tax id; the invoice's receiver tax number.")
    identity_number: ShortText | None = None
    passport_number: ShortText | None = None
    date_of_birth: date | None = None
    country_id: PositiveId | None = None
    city_id: PositiveId | None = None
    district_id: PositiveId | None = None
    job: Annotated[str, StringConstraints(max_length=100)] | None = None
    address: Annotated[str, StringConstraints(max_length=1000)] | None = None
    avatar_url: Annotated[str, StringConstraints(max_length=2048)] | None = None
    user_id: PositiveId | None = None
    import_source_id: PositiveId | None = None
    is_intake_completed: bool = False
    default_channel_id: PositiveId | None = None


class CustomerCreate(CustomerFields):
    first_name: Name


class CustomerUpdate(CustomerFields):
    """Only the fields sent change; `first_name` cannot be cleared."""

    first_name: Name | None = None
    is_intake_completed: bool | None = None  # type: ignore[assignment]


class CustomerResource(BaseModel):
    """Seed 000's `customer` object, plus `public_id`, `company_name` and `tax_number`."""

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
