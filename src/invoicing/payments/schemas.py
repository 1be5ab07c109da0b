from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from invoicing.core.schemas import Input
from invoicing.core.wire_types import BusinessMoment, ExactDecimal
from invoicing.invoices.schemas import InvoiceResource

PaymentAmount = Annotated[
    Decimal, ExactDecimal(integer_digits=18, places=4, positive=True, error_code="invalid_amount")
]


PaymentMethod = Literal["cash", "card", "cheque", "bank_transfer", "other"]


class PaymentCreate(Input):
    # The upper bound only keeps arithmetic inside exact precision; the amount due is the real cap,
    # and the invoice currency's minor units the real scale (both checked by the service).
    amount: PaymentAmount = Field(description="Decimal string or number; > 0, at most the amount due.")
    method: PaymentMethod
    paid_at: BusinessMoment | None = Field(
        default=None, description="With a time zone, its date from 1900 to 2199; default: now."
    )
    reference: Annotated[str, StringConstraints(max_length=200)] | None = None


class PaymentResource(BaseModel):
    id: int
    public_id: str
    invoice_id: int
    amount: str
    method: str
    paid_at: datetime
    reference: str | None
    created_at: datetime


class PaymentRecorded(BaseModel):
    message: str
    invoice: InvoiceResource
    payment: PaymentResource
