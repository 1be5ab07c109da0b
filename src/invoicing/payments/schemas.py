from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, Field, StringConstraints, field_validator

from invoicing.core.schemas import Input
from invoicing.core.wire_types import ExactDecimal
from invoicing.invoices.schemas import InvoiceResource

PaymentAmount = Annotated[
    Decimal, ExactDecimal(integer_digits=18, places=4, positive=True, error_code="invalid_amount")
]


def _date_time_text(value: object) -> object:
    # RFC 3339 text only: lax parsing would also read a bare number as a Unix time.
    if not isinstance(value, str):
        raise ValueError("must be a date-time such as 2026-01-31T09:30:00Z")
    return value


PaymentMethod = Literal["cash", "card", "cheque", "bank_transfer", "other"]


class PaymentCreate(Input):
    # The upper bound only keeps arithmetic inside exact precision; the amount due is the real cap,
    # and the invoice currency's minor units the real scale (both checked by the service).
    amount: PaymentAmount = Field(description="Decimal string or number; > 0, at most the amount due.")
    method: PaymentMethod
    paid_at: Annotated[AwareDatetime, BeforeValidator(_date_time_text)] | None = Field(
        default=None, description="With a time zone; default: now."
    )
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
