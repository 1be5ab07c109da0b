from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, ValidationInfo, WithJsonSchema, field_validator

from invoicing.core.schemas import Input
from invoicing.core.wire_types import BodyId, CalendarDate, CodeOf, ExactDecimal, VisibleName
from invoicing.currencies.schemas import CURRENCY_CODE_SCHEMA, CurrencyCode, CurrencyResource
from invoicing.customers.schemas import CustomerResource
from invoicing.invoices.catalogs import DocumentClass, DocumentType, ProfileId
from invoicing.invoices.tax_codes import UNIT_CODES, VATEX_CODES
from invoicing.series.service import SERIES_NAME_PATTERN

MAX_LINES = 500

# Bounds keep every product exact within Decimal's working precision and within NUMERIC.
Quantity = Annotated[Decimal, ExactDecimal(integer_digits=9, places=6, positive=True)]
UnitPrice = Annotated[Decimal, ExactDecimal(integer_digits=12, places=4, positive=False)]
Percent = Annotated[Decimal, ExactDecimal(integer_digits=2, places=4, positive=False)]  # 0 to 100
ExchangeRate = Annotated[Decimal, ExactDecimal(integer_digits=6, places=6, positive=True)]
SERIES_NAME_SCHEMA = {"type": "string", "pattern": SERIES_NAME_PATTERN}
SeriesName = Annotated[str, StringConstraints(pattern=SERIES_NAME_PATTERN)]
Notes = Annotated[str, StringConstraints(max_length=5000)]
TaxCategoryCode = Literal["S", "Z", "E", "AE", "K", "G", "O"]
VatexCode = Annotated[str, CodeOf(VATEX_CODES, "a VATEX exemption reason code, such as VATEX-EU-AE")]
UnitCode = Annotated[str, CodeOf(UNIT_CODES, "a UN/ECE Recommendation 20 unit code, such as C62, HUR or KGM")]


class LineIn(Input):
    name: Annotated[str, VisibleName(500)]
    quantity: Quantity = Field(description="Decimal string or number, > 0, up to 6 decimals.")
    unit_price: UnitPrice = Field(description="Decimal string or number, >= 0, up to 4 decimals.")
    vat_rate_percent: Percent = Field(description="0 to 100.")
    discount_percent: Percent = Field(default=Decimal(0), description="0 to 100.")
    tax_category: TaxCategoryCode | None = Field(
        default=None,
        description="UNCL 5305: S standard, Z zero-rated, E exempt, AE reverse charge, K intra-community "
        "supply, G export, O outside the scope of VAT. Default: S above 0 %, Z at 0 %. S needs a rate "
        "above 0, every other category a rate of 0.",
    )
    tax_exemption_reason_code: VatexCode | None = Field(
        default=None, description="Why no VAT (E, AE, K, G, O need this or tax_exemption_reason; S and Z take neither)."
    )
    tax_exemption_reason: Annotated[str, StringConstraints(min_length=1, max_length=1000)] | None = None
    unit_code: UnitCode | None = Field(default=None, description="UN/ECE Recommendation 20; default C62 (one).")


class InvoiceFields(Input):
    customer_id: BodyId | None = None
    # Not clearable: the service refuses null (422), so the schema does not offer it.
    currency: Annotated[CurrencyCode | None, WithJsonSchema(CURRENCY_CODE_SCHEMA)] = Field(
        default=None, description="ISO 4217 code; default: the tenant's."
    )
    series_name: Annotated[SeriesName | None, WithJsonSchema(SERIES_NAME_SCHEMA)] = Field(
        default=None, description="Default: the tenant's default series."
    )
    issue_date: CalendarDate | None = Field(
        default=None, description="Default: the day of issue, in the tenant's zone."
    )
    due_date: CalendarDate | None = None
    notes: Notes | None = None
    delivery_date: CalendarDate | None = Field(
        default=None, description="When goods or services were supplied (BT-72)."
    )
    document_class: DocumentClass | None = None
    document_type: DocumentType | None = None
    profile_id: ProfileId | None = None
    exchange_rate: ExchangeRate | None = Field(default=None, description="To the tenant's currency; default 1.")
    lines: list[LineIn] | None = Field(default=None, max_length=MAX_LINES)

    @field_validator("due_date")
    @classmethod
    def due_after_issue(cls, due_date: date | None, info: ValidationInfo) -> date | None:
        issue_date = info.data.get("issue_date")
        if issue_date and due_date and due_date < issue_date:
            raise ValueError("due_date cannot be before issue_date")
        return due_date


class InvoiceCreate(InvoiceFields):
    pass


class InvoiceUpdate(InvoiceFields):
    """Only the fields sent change; `lines`, when sent, replace all lines."""


class LineResource(BaseModel):
    id: int
    position: int
    name: str
    quantity: str
    unit_price: str
    vat_rate_percent: str
    discount_percent: str
    amount_discount: str
    amount_net: str
    amount_tax: str
    amount_total: str
    tax_category: str
    tax_exemption_reason_code: str | None
    tax_exemption_reason: str | None
    unit_code: str


class InvoiceResource(BaseModel):
    """Seed 000's `invoice` object, amounts as decimal strings, plus additive keys."""

    id: int
    public_id: str
    document_number: str | None
    document_class: str
    document_type: str
    profile_id: str
    issue_date: str | None
    due_date: str | None
    sent_at: str | None
    sender_tax_number: str | None
    receiver_name: str | None
    receiver_tax_number: str | None
    receiver_email: str | None
    exchange_rate: str
    amount_tax_exclusive: str
    amount_tax_total: str
    amount_payable: str
    invoice_amount: str
    amount_paid: str
    amount_due: str = Field(
        description="amount_payable - amount_paid - (amount_credited - amount_refunded - amount_kept_as_credit) "
        "- amount_credit_applied; 0 when cancelled or void; never negative."
    )
    amount_credited: str = Field(description="The totals of the live credit notes issued against this invoice.")
    amount_refunded: str = Field(description="Of amount_credited, what was refunded to the customer.")
    amount_kept_as_credit: str = Field(description="Of amount_credited, what was kept as customer credit.")
    amount_credit_applied: str = Field(
        description="Customer credit from other credit notes applied to this invoice (credit allocations)."
    )
    status: str
    status_label: str
    is_printed: bool
    is_cancelled: bool
    is_read: bool
    is_draft: bool
    is_archived: bool
    series_name: str
    notes: str | None
    issued_at: str | None
    paid_at: str | None
    cancelled_at: str | None
    voided_at: str | None
    archived_at: str | None
    deleted_at: str | None
    created_at: str
    updated_at: str
    version: int
    locale: str | None = Field(
        description="The documents' language: frozen at issue (customer's, else tenant's, else en)."
    )
    delivery_date: str | None
    uuid: str | None
    available_actions: list[str]
    customer: CustomerResource | None
    currency: CurrencyResource
    hosted_url: str | None = Field(
        description="The invoice's public page (no login; PDF and UBL downloads), null for a draft. "
        "POST /invoices/{id}/rotate-link replaces it."
    )
    lines: list[LineResource]


class InvoiceListItem(InvoiceResource):
    """An invoice in a list page: `lines` only with `expand=lines`."""

    lines: list[LineResource] = Field(
        default_factory=list, description="Only with `expand=lines`; GET /invoices/{id} always has them."
    )


class EventResource(BaseModel):
    id: int
    public_id: str
    invoice_id: int
    sequence: int
    type: str
    from_status: str | None
    to_status: str | None
    actor: str
    request_id: str | None
    data: dict[str, Any] | None
    created_at: str


class InvoiceIdBody(Input):
    """Seed quirk: cancel and revert-cancel repeat the path's invoice id in the body."""

    id: BodyId = Field(description="The invoice id; must equal the id in the path.")


class ActionResult(BaseModel):
    message: str
    invoice: InvoiceResource
