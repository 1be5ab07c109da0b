"""Seed 004's response shapes for the dialect's OpenAPI document (responses are built as dicts
in `representation`, so these only describe them; the golden tests hold both to the seed)."""

from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema
from pydantic.alias_generators import to_camel

T = TypeVar("T")

# Written as exact JSON numbers (`1180.00`), never as strings.
Amount = Annotated[Decimal, WithJsonSchema({"type": "number"})]


class Shape(BaseModel):
    """FlowPayroll's camelCase keys from snake_case fields (`s3_key` -> `s3Key`)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class KeyValue(Shape):
    key: str
    value: str


class Tag(Shape):
    name: str
    group: str
    value: str


class AppliedCredit(Shape):
    """Customer credit of one credit note applied to this invoice (a credit allocation)."""

    credit_note_id: str = Field(description="The credit note's public_id.")
    amount_applied: Amount
    applied_date: str = Field(description="When the credit was applied: an instant, in dateTimeFormat.")
    credit_note_number: str = Field(description="Additive: the credit note's document number.")


class Attachment(Shape):
    """An issued invoice's PDF; `downloadUrl` (and `url`, the same link) is signed and works until
    `downloadUrlExpiresAt`, 15 minutes after the read. `fileSize` is null: the download tells it."""

    id: str
    file_name: str
    url: str
    description: str | None
    s3_key: str | None
    content_type: str
    file_size: int | None
    uploaded_date: str | None
    uploaded_by: str | None
    download_url: str
    download_url_expires_at: str


class LineItemAttachment(Shape):
    id: str
    line_item_id: str
    filename: str
    content_type: str
    file_size: int
    uploaded_date: str
    uploaded_by: str
    s3_key: str
    source: str
    download_url: str
    download_url_expires_at: str


class LineItem(Shape):
    id: str
    invoice_id: str
    organisation_id: str
    client_id: str | None
    employee_id: str | None
    employee_name: str | None
    description: str
    amount: Amount = Field(description="The line's total with tax.")
    pay_element_id: str | None
    units: Amount
    charge_rate: Amount
    charge_units: Amount
    charge_value: Amount = Field(description="The line's net amount, after discount.")
    date: str | None
    tags: list[Tag]
    created_date: str | None
    created_by: str | None
    attachments: list[LineItemAttachment]
    pay_element_description: str | None
    account_code: str | None
    tax_type: str | None
    quantity: Amount
    unit_amount: Amount
    line_amount: Amount
    tax_amount: Amount
    po_number: str | None
    position: int
    tax_rate_percent: Amount
    discount_percent: Amount
    discount_amount: Amount


class SubtotalGroup(Shape):
    label: str
    amount: Amount
    tax_amount: Amount
    total_amount: Amount
    sort_order: int


class Invoice(Shape):
    id: str
    organisation_id: str
    client_id: str | None
    amount: Amount
    line_amount_types: str
    sub_total: Amount
    total_tax: Amount
    total_credit_amount: Amount = Field(
        description="The customer credit applied to this invoice: the sum of `appliedCredits` (amount_credit_applied)."
    )
    balance_due: Amount = Field(description="amount_due: what is left to pay; 0 once cancelled or void.")
    currency_code: str
    applied_credits: list[AppliedCredit]
    grouping_key: str | None
    invoice_format_tag_group: str | None
    invoice_format_tag_name: str | None
    date: str | None
    due_date: str | None
    invoice_number: str | None
    reference: str | None
    attachments: list[Attachment]
    line_item_attachment_count: int
    lines_without_attachments_count: int
    lines_without_po_number_count: int
    line_items: list[LineItem]
    subtotal_groups: list[SubtotalGroup]
    tags: list[Tag]
    external_id: str | None
    external_provider: str | None
    last_synced_at: str | None
    sync_status: str | None
    sync_error_message: str | None
    sync_error_code: str | None
    external_provider_status: str | None
    email_sent: bool
    email_sent_at: str | None
    email_sent_by: str | None
    created_date: str | None
    created_by: str | None
    updated_date: str | None
    updated_by: str | None
    status: str = Field(description="Draft, Issued, Paid or Voided.")
    lifecycle_status: str = Field(description="The exact state: draft, issued, partially_paid, paid, cancelled, void.")
    available_actions: list[str]
    amount_paid: Amount = Field(description="The payments recorded (amount_paid), refunds not deducted.")
    amount_credited: Amount = Field(description="The totals of the invoice's own live credit notes.")
    amount_refunded: Amount = Field(description="Of amountCredited, what was refunded to the customer.")
    amount_kept_as_credit: Amount = Field(description="Of amountCredited, what was kept as customer credit.")
    notes: str | None


class Metadata(Shape):
    date_format: str
    date_time_format: str


class PageMetadata(Metadata):
    pagination_token: str | None = Field(description="Pass back for the next page; null on the last page.")
    page_size: int
    has_more_pages: bool


class Reason(Shape):
    field: str
    reason_text: str
    reason_id: str
    reason_parameters: list[KeyValue]


class Message(Shape):
    text: str
    text_id: str
    text_parameters: list[KeyValue]


class Content(Shape, Generic[T]):
    data: T
    metadata: Metadata


class PageContent(Shape, Generic[T]):
    data: list[T]
    metadata: PageMetadata


class Envelope(Shape, Generic[T]):
    content: T | None
    metadata: Metadata
    errors: list[Reason] | None
    message: Message


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {
        400: "A rule violation or invalid input; `errors` says why (`reasonId`).",
        401: "Missing, unknown, expired or revoked X-Auth-Token.",
        403: "The token lacks the scope.",
        404: "No such client or invoice in the organisation.",
        409: "A concurrent request with the same Idempotency-Key is still running.",
        503: "No database connection came free in time; nothing changed. Retry after `Retry-After`.",
    }
    schema = Envelope[None].model_json_schema()
    return {
        status: {"description": descriptions[status], "content": {"application/json": {"schema": schema}}}
        for status in statuses
    }
