"""Credit-note requests and answers (issue 12's contract; more fields are additive)."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, WithJsonSchema

from invoicing.core.schemas import Input
from invoicing.core.wire_types import BodyId, BusinessMoment, ExactDecimal, Flag, VisibleName
from invoicing.invoices.schemas import (
    MAX_LINES,
    SERIES_NAME_SCHEMA,
    InvoiceResource,
    Percent,
    Quantity,
    SeriesName,
    TaxCategoryCode,
    UnitCode,
    UnitPrice,
    VatexCode,
)
from invoicing.payments.schemas import PaymentAmount, PaymentMethod

CreditAmount = Annotated[Decimal, ExactDecimal(integer_digits=18, places=4, positive=True, error_code="invalid_amount")]
Reason = Annotated[str, VisibleName(1000)]


class CreditByQuantity(Input):
    """Credits `quantity` units of an invoice line, at its price, discount and VAT rate."""

    invoice_line_id: BodyId
    quantity: Quantity = Field(description="At most what is left uncredited of the line's quantity.")


class CreditByAmount(Input):
    """Credits a tax-exclusive amount of an invoice line, at its VAT rate."""

    invoice_line_id: BodyId
    amount: CreditAmount = Field(
        description="Tax-exclusive, in the currency's minor units; at most what is left of the line's net amount."
    )


class FreeCreditLine(Input):
    """A line of its own (a goodwill credit, a fee refunded), with its own VAT rate."""

    name: Annotated[str, VisibleName(500)]
    quantity: Quantity
    unit_price: UnitPrice
    vat_rate_percent: Percent
    tax_category: TaxCategoryCode | None = None
    tax_exemption_reason_code: VatexCode | None = None
    tax_exemption_reason: Annotated[str, StringConstraints(min_length=1, max_length=1000)] | None = None
    unit_code: UnitCode | None = None


CreditLineIn = CreditByQuantity | CreditByAmount | FreeCreditLine


class RefundIn(Input):
    amount: PaymentAmount = Field(description="At most the credit beyond the amount due, and at most what was paid.")
    method: PaymentMethod
    reference: Annotated[str, StringConstraints(max_length=200)] | None = None
    refunded_at: BusinessMoment | None = Field(default=None, description="Default: when the credit note is issued.")


class CreditNoteCreate(Input):
    lines: list[CreditLineIn] = Field(min_length=1, max_length=MAX_LINES)
    reason: Reason = Field(description="Why the invoice is corrected; printed on the credit note.")
    refund: RefundIn | None = Field(
        default=None, description="The part of the credit beyond the amount due paid back; the rest is kept as credit."
    )
    issue: Flag = Field(default=False, description="Issue at once (number, effect on the invoice), or keep a draft.")
    series_name: Annotated[SeriesName | None, WithJsonSchema(SERIES_NAME_SCHEMA)] = Field(
        default=None, description="A credit-note series (kind `credit_note`); default: the tenant's default one."
    )


class AllocationCreate(Input):
    credit_note_id: BodyId
    amount: CreditAmount = Field(description="At most the note's unapplied credit and the invoice's amount due.")


class CreditNoteLineResource(BaseModel):
    id: int
    position: int
    invoice_line_id: int | None
    credited_by: str
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


class RefundResource(BaseModel):
    amount: str
    method: str
    reference: str | None
    refunded_at: datetime | None


class CreditNoteResource(BaseModel):
    id: int
    public_id: str
    document_number: str | None
    invoice_id: int
    invoice_document_number: str
    invoice_issue_date: str
    customer_id: int | None
    series_name: str
    currency: str
    status: str
    reason: str
    issue_date: str | None
    amount_tax_exclusive: str
    amount_tax_total: str
    amount_total: str
    amount_reducing_due: str = Field(description="What the credit took off the invoice's amount due.")
    amount_refunded: str
    amount_kept_as_credit: str
    amount_allocated: str = Field(description="Of the kept credit, what was applied to other invoices.")
    amount_available: str = Field(description="Kept credit not yet applied: amount_kept_as_credit - amount_allocated.")
    refund: RefundResource | None
    lines: list[CreditNoteLineResource]
    available_actions: list[str]
    issued_at: datetime | None
    voided_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int
    uuid: str


class CreditNoteEventResource(BaseModel):
    id: int
    public_id: str
    credit_note_id: int
    sequence: int
    type: str
    from_status: str | None
    to_status: str | None
    actor: str
    request_id: str | None
    data: dict[str, Any] | None
    created_at: datetime


class CreditNoteCreated(BaseModel):
    message: str
    credit_note: CreditNoteResource
    invoice: InvoiceResource


class CreditNoteActionResult(BaseModel):
    message: str
    credit_note: CreditNoteResource
    invoice: InvoiceResource | None


class AllocationResource(BaseModel):
    id: int
    public_id: str
    credit_note_id: int
    credit_note_public_id: str
    credit_note_number: str | None
    invoice_id: int
    amount: str
    created_at: datetime


class AllocationResult(BaseModel):
    message: str
    allocation: AllocationResource
    credit_note: CreditNoteResource
    invoice: InvoiceResource


class CreditBalanceEntry(BaseModel):
    currency: str
    amount_kept_as_credit: str
    amount_allocated: str
    balance: str


class CreditBalance(BaseModel):
    customer_id: int
    balances: list[CreditBalanceEntry]
