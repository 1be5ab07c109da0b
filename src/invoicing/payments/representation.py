from invoicing.core.render import money_text, timestamp
from invoicing.core.repository import Record
from invoicing.currencies.catalog import Currency


def payment_resource(row: Record, currency: Currency) -> dict[str, object]:
    return {
        "id": row["id"],
        "public_id": row["public_id"],
        "invoice_id": row["invoice_id"],
        "amount": money_text(row["amount"], currency.quantum),
        "method": row["method"],
        "paid_at": timestamp(row["paid_at"]),
        "reference": row["reference"],
        "created_at": timestamp(row["created_at"]),
    }
