"""HighLevel's request DTOs (shared/reference highlevel-invoices.openapi.json), as this service accepts them.

Field names are HighLevel's. Unknown fields are ignored, not refused: HighLevel clients send
fields of newer API versions and of features this service does not have (docs/highlevel.md
lists them). Bounds mirror the primary API's, so a request that passes here maps onto the
services' inputs without a second round of refusals.
"""

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from invoicing.core.ids import PUBLIC_ID_PATTERN
from invoicing.core.schemas import Input
from invoicing.core.wire_types import BusinessMoment, CalendarDate, Email, Flag, VisibleName
from invoicing.currencies.schemas import CurrencyCode
from invoicing.invoices.schemas import MAX_LINES, Percent, Quantity, UnitPrice
from invoicing.payments.schemas import PaymentAmount, PaymentMethod

AltType = Literal["location"]
Text200 = Annotated[str, StringConstraints(max_length=200)]
Notes = Annotated[str, StringConstraints(max_length=5000)]


def _false(value: bool) -> bool:
    if value:
        raise ValueError("must be false: this service does not have the feature")
    return value


Never = Annotated[bool, Strict(), AfterValidator(_false), WithJsonSchema({"const": False})]
"""A flag for a feature this service does not have: only `false` (or leaving it out) is accepted."""
# A public_id (SPEC 2), exactly: its pattern refuses the final newline `$` alone would admit.
PublicId = Annotated[str, StringConstraints(pattern=PUBLIC_ID_PATTERN)]
# The Version header values HighLevel's API accepts (SPEC 6); the official SDK sends `v3`.
ACCEPTED_VERSIONS = frozenset({"2021-04-15", "2021-07-28", "2023-02-21", "v3"})
# `status` filter of the list: HighLevel's statuses, comma-separated, blanks around each allowed.
STATUS_NAMES = ("draft", "sent", "partially_paid", "paid", "void", "payment_processing")
_ONE_STATUS = f" *({'|'.join(STATUS_NAMES)})? *"
STATUS_LIST_PATTERN = f"^{_ONE_STATUS}(,{_ONE_STATUS})*$"
STATUS_LIST = re.compile(STATUS_LIST_PATTERN)
ZERO_PATTERN = r"^0(\.0{1,4})?$"
# Free-form JSON (clients' own objects, kept as sent): members published here; depth, text and
# numbers bounded for every body (core.json_input); size per field by `max_free_form_bytes`.
MAX_FREE_FORM_MEMBERS = 100
FreeFormObject = Annotated[dict[str, Any], Field(max_length=MAX_FREE_FORM_MEMBERS)]


class HighLevelInput(Input):
    """Text kept as sent, NUL refused, patterns matched as the document's readers match them
    (core.schemas.Input); but unknown fields are ignored, and names are HighLevel's camelCase.

    Only the camelCase names: a snake_case spelling (`company_name` beside `companyName`) is an
    unknown field like any other, ignored, rather than validated as the field the document does
    not name (schemathesis sent `{"company_name": 5}` and got a 422 for a field it never saw)."""

    model_config = ConfigDict(extra="ignore", alias_generator=to_camel)


class Located(HighLevelInput):
    alt_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    alt_type: AltType


class Address(HighLevelInput):
    address_line1: Text200 | None = None
    address_line2: Text200 | None = None
    city: Text200 | None = None
    state: Text200 | None = None
    country_code: Annotated[str, StringConstraints(max_length=3)] | None = None
    postal_code: Annotated[str, StringConstraints(max_length=32)] | None = None


class ContactDetails(HighLevelInput):
    """Names the customer: `id` is its public_id; an unknown id of that form creates it from these details."""

    id: PublicId
    name: Annotated[str, VisibleName(201)]
    phone_no: Annotated[str, StringConstraints(max_length=32)]
    email: Email | Literal[""]
    company_name: Annotated[str, VisibleName(200, optional=True)] | None = None
    address: Address | None = None
    additional_emails: list[FreeFormObject] | None = Field(default=None, max_length=20)
    custom_fields: list[Any] | None = Field(default=None, max_length=MAX_FREE_FORM_MEMBERS)

    def free_form(self, at: str) -> dict[str, Any]:
        return {f"{at}.additionalEmails": self.additional_emails, f"{at}.customFields": self.custom_fields}


class ItemTax(HighLevelInput):
    id: Annotated[str, StringConstraints(max_length=64)] = Field(alias="_id")
    name: Annotated[str, VisibleName(200, optional=True)]
    rate: Percent
    calculation: Literal["exclusive"] | None = None
    description: Text200 | None = None
    tax_id: Annotated[str, StringConstraints(max_length=64)] | None = None


class InvoiceItem(HighLevelInput):
    name: Annotated[str, VisibleName(500)]
    description: Notes | None = None
    product_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    price_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    currency: CurrencyCode  # the invoice's (mapping checks: two fields, which no schema compares)
    amount: UnitPrice
    qty: Quantity
    taxes: list[ItemTax] | None = Field(default=None, max_length=10)
    type: Literal["one_time", "recurring"] | None = None
    tax_inclusive: Never | None = None  # prices are net here: tax-inclusive ones are refused


class Discount(HighLevelInput):
    """A percentage of each line (0 to 100); `fixed` only as 0, as this service has no fixed discounts."""

    type: Literal["percentage", "fixed"] = "percentage"
    value: Percent = Decimal(0)
    valid_on_product_ids: list[Annotated[str, StringConstraints(max_length=64)]] | None = Field(
        default=None, max_length=MAX_LINES
    )

    @model_validator(mode="after")
    def only_zero_fixed(self) -> "Discount":
        if self.type == "fixed" and self.value != 0:
            raise ValueError("only percentage discounts are supported")
        return self


def _discount_schema() -> dict[str, Any]:
    """Discount's rule as JSON Schema: a percentage (the default type), or `fixed` with value 0."""
    schema = Discount.model_json_schema(by_alias=True)
    properties = schema["properties"]
    percentage = {**schema, "properties": {**properties, "type": {"const": "percentage"}}}
    zero = {"anyOf": [{"type": "number", "const": 0}, {"type": "string", "pattern": ZERO_PATTERN}]}
    fixed = {**schema, "properties": {**properties, "type": {"const": "fixed"}, "value": zero}, "required": ["type"]}
    return {"anyOf": [percentage, fixed]}


DiscountIn = Annotated[Discount, WithJsonSchema(_discount_schema())]


class InvoiceDocument(Located):
    """What create and update share: the document's fields."""

    name: Annotated[str, VisibleName(200)]
    title: Text200 | None = None
    currency: CurrencyCode
    terms_notes: Notes | None = None
    automatic_taxes_enabled: Never | None = None  # automatic taxes are refused
    issue_date: CalendarDate
    due_date: CalendarDate | None = None

    @field_validator("due_date")
    @classmethod
    def due_after_issue(cls, due: date | None, info: Any) -> date | None:
        issue = info.data.get("issue_date")
        if issue and due and due < issue:
            raise ValueError("dueDate cannot be before issueDate")
        return due


class CreateInvoice(InvoiceDocument):
    business_details: FreeFormObject
    items: list[InvoiceItem] = Field(max_length=MAX_LINES)
    discount: DiscountIn
    contact_details: ContactDetails
    sent_to: FreeFormObject
    live_mode: Flag

    def free_form(self) -> dict[str, Any]:
        """Every free-form field, by its name in the body."""
        return {
            "businessDetails": self.business_details,
            "sentTo": self.sent_to,
            **self.contact_details.free_form("contactDetails"),
        }


class UpdateInvoice(InvoiceDocument):
    due_date: CalendarDate  # required on update (UpdateInvoiceDto)
    description: Notes | None = None
    business_details: FreeFormObject | None = None
    contact_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    contact_details: ContactDetails | None = None
    discount: DiscountIn | None = None
    invoice_items: list[InvoiceItem] = Field(max_length=MAX_LINES)
    live_mode: Flag | None = None

    def free_form(self) -> dict[str, Any]:
        """Every free-form field, by its name in the body."""
        contact = self.contact_details.free_form("contactDetails") if self.contact_details else {}
        return {"businessDetails": self.business_details, **contact}


class VoidInvoice(Located):
    pass


class SendInvoice(Located):
    user_id: Annotated[str, StringConstraints(max_length=64)]
    action: Literal["sms_and_email", "send_manually", "email", "sms"]
    live_mode: Flag


class RecordPayment(Located):
    mode: PaymentMethod
    amount: PaymentAmount | None = None
    notes: Text200 | None = None
    card: FreeFormObject | None = None  # accepted as HighLevel's DTO has them; not kept
    cheque: FreeFormObject | None = None
    fulfilled_at: BusinessMoment | None = None

    def free_form(self) -> dict[str, Any]:
        """Every free-form field, by its name in the body."""
        return {"card": self.card, "cheque": self.cheque}
