"""What the HighLevel dialect's document states beyond its routes' signatures.

The response bodies (`representation` builds them as dicts, so these models only describe them),
HighLevel's error bodies for every status the dialect answers with, the required `Version`
header, the list's configured page size maximum, and links between the operations.
"""

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema
from pydantic.alias_generators import to_camel

from invoicing.core.dialect import Document, add_link, operations
from invoicing.highlevel.schemas import ACCEPTED_VERSIONS

# Written as exact JSON numbers (`1180.00`), never as strings.
Amount = Annotated[Decimal, WithJsonSchema({"type": "number"})]


class Shape(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class ItemOut(Shape):
    id: str = Field(alias="_id")
    name: str
    description: str
    product_id: str
    price_id: str
    currency: str
    amount: Amount
    qty: Amount
    taxes: list[dict[str, Any]]
    tax_inclusive: bool
    type: str


class TotalSummary(Shape):
    sub_total: Amount
    discount: Amount
    tax: Amount


class InvoiceOut(Shape):
    id: str = Field(alias="_id")
    status: Literal["draft", "sent", "partially_paid", "paid", "void"]
    live_mode: bool
    amount_paid: Amount = Field(
        description="Paid towards the invoice, net: the payments + amountCreditApplied - amountRefunded "
        "- amountKeptAsCredit."
    )
    alt_id: str
    alt_type: Literal["location"]
    name: str
    business_details: dict[str, Any]
    invoice_number: int
    document_number: str | None
    currency: str
    contact_details: dict[str, Any] = Field(description="The customer (`id` = its public_id); {} without one.")
    issue_date: str | None
    due_date: str | None
    discount: dict[str, Any]
    invoice_items: list[ItemOut]
    total: Amount = Field(description="The invoice's total less its live credit notes (amountCredited).")
    title: str
    terms_notes: str | None
    amount_due: Amount = Field(description="What is left to pay: total - amountPaid; 0 once void.")
    created_at: str
    updated_at: str
    automatic_taxes_enabled: bool
    automatic_taxes_calculated: bool
    payment_schedule: dict[str, Any]
    reminders_configuration: dict[str, Any]
    total_summary: TotalSummary = Field(
        description="The lines less the credit notes' lines: subTotal - discount + tax = total."
    )
    available_actions: list[str]
    amount_credited: Amount = Field(description="The totals of the invoice's live credit notes.")
    amount_refunded: Amount = Field(description="Of amountCredited, what was refunded to the customer.")
    amount_kept_as_credit: Amount = Field(description="Of amountCredited, what was kept as customer credit.")
    amount_credit_applied: Amount = Field(description="Customer credit from other credit notes applied to it.")


class InvoiceList(Shape):
    invoices: list[InvoiceOut]
    total: int


class SentInvoice(Shape):
    invoice: InvoiceOut
    sms_data: dict[str, Any]
    email_data: dict[str, Any]


class PaymentRecorded(Shape):
    success: bool
    invoice: InvoiceOut


class Refusal(Shape):
    """400: a lifecycle refusal, an unknown invoice, a body that is not JSON."""

    status_code: int
    message: str


class Failure(Shape):
    """401, 403, 404, 409, 503."""

    status_code: int
    message: str
    error: str


class Invalid(Shape):
    """422: one message per problem."""

    status_code: int
    message: list[str]
    error: str


ERRORS: dict[int, tuple[str, type[BaseModel]]] = {
    400: ("Refused by the invoice's lifecycle, an unknown invoice id, or a body that is not JSON.", Refusal),
    401: ("Missing or unknown Version header, or a missing, invalid or under-scoped token.", Failure),
    403: ("altId is not the token's location.", Failure),
    404: ("No such route.", Failure),
    409: ("A request with the same Idempotency-Key is still running, or a concurrent change won.", Failure),
    422: ("Invalid fields; one message each.", Invalid),
    503: ("The service is busy; retry after Retry-After.", Failure),
}


def error_responses() -> dict[int | str, dict[str, Any]]:
    return {status: {"description": description, "model": model} for status, (description, model) in ERRORS.items()}


def _require_version(operation: Document) -> None:
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "header" and parameter["name"] == "Version":
            parameter["required"] = True
            parameter["schema"] = {"type": "string", "enum": sorted(ACCEPTED_VERSIONS)}


def complete_document(document: Document, max_page_size: int) -> None:
    for operation in operations(document):
        _require_version(operation)
        has_path = any(parameter["in"] == "path" for parameter in operation.get("parameters", []))
        if not has_path:
            operation["responses"].pop("404", None)  # only a path's own segments can miss a route
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and parameter["name"] == "limit":
                parameter["schema"]["maximum"] = max_page_size
    one = "/invoices/{invoiceId}"
    listed, created = ("get", "/invoices/"), ("post", "/invoices/")
    by_id = {"invoiceId": "$response.body#/_id"}
    first = {"invoiceId": "$response.body#/invoices/0/_id"}
    located = {"altId": "$response.body#/altId", "altType": "location"}
    readers = [("get", one), ("delete", one)]
    writers = [("put", one), ("post", f"{one}/void"), ("post", f"{one}/send"), ("post", f"{one}/record-payment")]
    for target in readers:
        add_link(
            document, listed, target, {**first, "altId": "$response.body#/invoices/0/altId", "altType": "location"}
        )
        add_link(document, created, target, {**by_id, **located})
    for target in writers:
        add_link(document, listed, target, first)
        add_link(document, created, target, by_id)
    for source in writers[:2]:
        add_link(document, source, ("get", one), {**by_id, **located})
