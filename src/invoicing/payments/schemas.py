from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, Field, StringConstraints, field_validator

from invoicing.core.schemas import Input
from invoicing.invoices.schemas import InvoiceResource

PaymentMethod = Literal["cash", "card", "cheque", "bank_transfer", "other"]


class PaymentCreate(Input):
    # The upper bound only keeps arithmetic inside exact precision; the amount due is the real cap.
    amount: Annotated[
        Decimal, Field(le=Decimal(10) ** 18, description="Decimal string or number; > 0, at most the amount due.")
    ]
    method: PaymentMethod
    paid_at: AwareDatetime | None = Field(default=None, description="With a time zone; default: now.")
    reference: Annotated[str, StringConstraints(max_length=200)] | None = None

    @field_validator("paid_at")
    @classmethod
    def representable_in_utc(cls, paid_at: datetime | None) -> datetime | None:
        """Stored in UTC: a moment that falls outside years 1-9999 there cannot be kept."""
        if paid_at is None:
            return None
        try:
            return paid_at.astimezone(UTC)
        except OverflowError:
            raise ValueError("paid_at is out of range once converted to UTC") from None


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
