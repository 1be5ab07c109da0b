"""Payments against issued invoices: in part or in full, never more than is due."""

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from sqlalchemy import RowMapping

from invoicing.core.clock import utc_now
from invoicing.core.context import TenantContext
from invoicing.core.errors import Unprocessable
from invoicing.core.render import money_text
from invoicing.currencies.catalog import Currency, find_currency
from invoicing.invoices.lifecycle import Action, amount_due
from invoicing.invoices.money import round_money
from invoicing.invoices.repository import InvoiceRepository
from invoicing.invoices.transitions import InvoiceView, Locked, apply, load, lock_for
from invoicing.payments.repository import PaymentRepository
from invoicing.payments.schemas import PaymentCreate


@dataclass(frozen=True, slots=True)
class RecordedPayment:
    payment: RowMapping
    invoice: InvoiceView


def invoice_currency(view_or_row: InvoiceView | RowMapping) -> Currency:
    invoice = view_or_row.invoice if isinstance(view_or_row, InvoiceView) else view_or_row
    currency = find_currency(invoice["currency"])
    assert currency is not None, "stored currencies come from the catalogue"
    return currency


async def record_payment(context: TenantContext, invoice_id: int, data: PaymentCreate) -> RecordedPayment:
    """Records a payment and moves the invoice to partially_paid or paid.

    Pre: issued or partially_paid (else 409 invoice_not_payable); 0 < amount <= amount due, in
    the currency's minor units (else 422 invalid_amount / overpayment). Under the invoice's lock,
    so concurrent payments are checked one after another and can never overpay together.
    """
    if data.amount <= 0:
        raise Unprocessable.field("amount", "The amount must be greater than zero.", code="invalid_amount")
    locked = await lock_for(context, invoice_id, Action.RECORD_PAYMENT)
    currency = invoice_currency(locked.row.invoice)
    if data.amount != round_money(data.amount, currency.quantum):
        message = f"{currency.code} amounts have {currency.minor_units} decimal places at most."
        raise Unprocessable.field("amount", message, code="invalid_amount")
    due = amount_due(locked.facts)
    if data.amount > due:
        message = f"The amount exceeds the amount due ({due} {currency.code})."
        raise Unprocessable("The payment exceeds the amount due.", code="overpayment", errors={"amount": [message]})
    return await _pay(
        context, locked, amount=data.amount, method=data.method, paid_at=data.paid_at, reference=data.reference
    )


async def pay_in_full(
    context: TenantContext, invoice_id: int, *, method: str, paid_at: datetime | None, reference: str | None
) -> RecordedPayment:
    """Records a payment of the whole amount due, as it stands under the invoice's lock.

    Pre: issued or partially_paid (else 409 invoice_not_payable), with something due (else 422
    invalid_amount). A concurrent payment is seen first, so the two can never overpay together.
    """
    locked = await lock_for(context, invoice_id, Action.RECORD_PAYMENT)
    due = amount_due(locked.facts)
    if due <= 0:
        raise Unprocessable.field("amount", "Nothing is due on this invoice.", code="invalid_amount")
    return await _pay(context, locked, amount=due, method=method, paid_at=paid_at, reference=reference)


async def _pay(
    context: TenantContext,
    locked: Locked,
    *,
    amount: Decimal,
    method: str,
    paid_at: datetime | None,
    reference: str | None,
) -> RecordedPayment:
    now = utc_now()
    # Already whole minor units (checked, or the amount due): this writes them as shown, `100.00`
    # where the request said `1e2`, so the row, the event and the answer agree.
    quantum = invoice_currency(locked.row.invoice).quantum
    amount = round_money(amount, quantum)
    paid = locked.facts.amount_paid + amount
    after = replace(locked.facts, amount_paid=paid)
    payment = await PaymentRepository(context.connection, context.tenant_id).insert(
        invoice_id=locked.invoice["id"],
        amount=amount,
        method=method,
        paid_at=paid_at or now,
        reference=reference,
        actor=context.actor,
        created_at=now,
    )
    fully_paid = amount_due(after) <= 0
    view = await apply(
        context,
        locked,
        Action.RECORD_PAYMENT,
        at=now,
        facts_after=after,
        values={"amount_paid": paid, "paid_at": now if fully_paid else None},
        data={"payment_id": payment["id"], "amount": money_text(amount, quantum), "method": method},
    )
    return RecordedPayment(payment=payment, invoice=view)


async def list_payments(context: TenantContext, invoice_id: int) -> tuple[list[RowMapping], Currency]:
    """The invoice's payments, oldest first, and its currency. Raises InvoiceNotFound."""
    current = await load(InvoiceRepository(context.connection, context.tenant_id), invoice_id)
    rows = await PaymentRepository(context.connection, context.tenant_id).for_invoice(invoice_id)
    return rows, invoice_currency(current.invoice)
