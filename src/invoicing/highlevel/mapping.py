"""HighLevel requests onto the services' inputs, and the HighLevel-only fields kept beside the invoice.

Pure field mapping: a percentage discount becomes each line's discount, an item's exclusive
taxes add up to its tax rate. What the service cannot represent (tax-inclusive prices, fixed
discounts, automatic taxes, items in another currency) is refused with 422 rather than
silently computed differently.
"""

import json
import logging
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from invoicing.core.errors import Unprocessable
from invoicing.core.json_input import json_problem
from invoicing.core.repository import Record
from invoicing.highlevel.responses import exact_number
from invoicing.highlevel.schemas import ContactDetails, CreateInvoice, Discount, InvoiceItem, UpdateInvoice
from invoicing.invoices.schemas import LineIn

logger = logging.getLogger("invoicing.highlevel")

NO_DISCOUNT = Discount()
# The largest values the settings allow (config.Settings): nothing stored since those bounds
# came in goes past them, so a stored field beyond them predates the bounds.
FREE_FORM_BYTES_CEILING = 65_536
FREE_FORM_DEPTH_CEILING = 64
# Where the stored fields keep the clients' free-form JSON.
STORED_FREE_FORM = (("businessDetails",), ("sentTo",), ("contact", "additionalEmails"), ("contact", "customFields"))
Model = TypeVar("Model", bound=BaseModel)


def service_input(model: type[Model], where: str, **values: Any) -> Model:
    """A service's input built from mapped values; the service's own rules refuse with 422, never a 500.

    The DTOs mirror those rules, so this refuses only what they let through (e.g. a blank name).
    """
    try:
        return model(**values)
    except ValidationError as error:
        messages = [f"{where}.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()]
        raise Unprocessable("The request has invalid fields.", errors={where: messages}) from None


def details_of(invoice: Record) -> dict[str, Any]:
    """The stored HighLevel-only fields ({} for an invoice made through another API).

    Numbers read as Decimal, integers too: clients' free-form objects (`businessDetails`, ...) may
    hold integers beyond 64 bits, which orjson cannot write but a Decimal is written digit for digit.
    """
    text = invoice.get("highlevel_details")
    if not text:
        return {}
    details = dict(json.loads(text, parse_float=Decimal, parse_int=Decimal))
    # Deeper than the brackets it holds it cannot be: only a long or bracket-heavy text needs a look.
    if len(text) > FREE_FORM_BYTES_CEILING or text.count("{") + text.count("[") > FREE_FORM_DEPTH_CEILING:
        _drop_unrenderable(details, invoice.get("public_id"))
    return details


def _drop_unrenderable(details: dict[str, Any], public_id: object) -> None:
    """Free-form fields stored before the bounds (core.json_input, `max_free_form_bytes`) were
    enforced, too deep for orjson to write or amplified to megabytes, are shown as absent rather
    than failing every read and list that includes the invoice."""
    for *parents, key in STORED_FREE_FORM:
        holder: Any = details
        for parent in parents:
            holder = holder.get(parent) if isinstance(holder, dict) else None
        if not isinstance(holder, dict) or key not in holder:
            continue
        value = holder[key]
        too_deep = json_problem(value, max_depth=FREE_FORM_DEPTH_CEILING, check_text=False) is not None
        if too_deep or len(json_text(value)) > FREE_FORM_BYTES_CEILING:
            del holder[key]
            logger.warning("stored free-form field not shown", extra={"invoice": public_id, "field": key})


def details_text(details: dict[str, Any]) -> str:
    return json_text(details)


def json_text(value: Any) -> str:
    """`value` as stored and answered: exact decimals, integers beyond 64 bits, no number expanded."""
    return orjson.dumps(_wide_ints_as_decimals(value), default=exact_number).decode()


def refuse_oversized(free_form: Mapping[str, Any], max_bytes: int) -> None:
    """Each free-form field at most `max_bytes` of JSON as stored (and so as answered), or 422 naming it."""
    for field, value in free_form.items():
        if value is not None and len(json_text(value).encode()) > max_bytes:
            raise Unprocessable.field(field, f"{field} must be at most {max_bytes} bytes as JSON")


def _wide_ints_as_decimals(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _wide_ints_as_decimals(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_wide_ints_as_decimals(item) for item in value]
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**64:
        return Decimal(value)
    return value


def lines_of(items: Sequence[InvoiceItem], *, currency: str, discount: Discount) -> list[LineIn]:
    lines = []
    for index, item in enumerate(items):
        _refuse_unsupported_item(index, item, currency)
        lines.append(
            service_input(
                LineIn,
                f"items[{index}]",
                name=item.name,
                quantity=item.qty,
                unit_price=item.amount,
                vat_rate_percent=_tax_rate(index, item),
                discount_percent=_discount_percent(item, discount),
            )
        )
    return lines


def created_details(body: CreateInvoice) -> dict[str, Any]:
    return {
        "name": body.name,
        "title": body.title,
        "businessDetails": body.business_details,
        "sentTo": body.sent_to,
        "liveMode": body.live_mode,
        "discount": body.discount.model_dump(by_alias=True, exclude_none=True),
        "contact": contact_extras(body.contact_details),
        "items": item_extras(body.items),
    }


def updated_details(current: dict[str, Any], body: UpdateInvoice) -> dict[str, Any]:
    """The stored fields with what the update sent; fields it left out stay as they were."""
    details = {**current, "name": body.name, "items": item_extras(body.invoice_items)}
    optional = {
        "title": body.title,
        "description": body.description,
        "businessDetails": body.business_details,
        "liveMode": body.live_mode,
        "discount": body.discount.model_dump(by_alias=True, exclude_none=True) if body.discount else None,
        "contact": contact_extras(body.contact_details) if body.contact_details else None,
    }
    details.update({key: value for key, value in optional.items() if value is not None})
    return details


def stored_discount(details: dict[str, Any]) -> Discount:
    return Discount.model_validate(details["discount"]) if details.get("discount") else NO_DISCOUNT


def contact_extras(contact: ContactDetails) -> dict[str, Any]:
    """What the customer record has no place for, kept for the contact it was sent with."""
    return {
        "id": contact.id,
        "address": contact.address.model_dump(by_alias=True, exclude_none=True) if contact.address else {},
        "additionalEmails": contact.additional_emails or [],
        "customFields": contact.custom_fields or [],
    }


def item_extras(items: Sequence[InvoiceItem]) -> list[dict[str, Any]]:
    # Kept by position with the item's name, so they are shown only while the lines are still these.
    return [
        {
            "name": item.name,
            "description": item.description,
            "productId": item.product_id,
            "priceId": item.price_id,
            "type": item.type or "one_time",
            "taxes": [tax.model_dump(by_alias=True, exclude_none=True) for tax in item.taxes or []],
        }
        for item in items
    ]


def _tax_rate(index: int, item: InvoiceItem) -> Decimal:
    # HighLevel's exclusive taxes are each a percentage of the net: together, their sum.
    rate = sum((tax.rate for tax in item.taxes or []), Decimal(0))
    if rate > 100:
        raise Unprocessable.field(f"items[{index}].taxes", f"items[{index}].taxes: the rates add up to more than 100.")
    return rate


def _discount_percent(item: InvoiceItem, discount: Discount) -> Decimal:
    if discount.type != "percentage":
        return Decimal(0)
    if discount.valid_on_product_ids and item.product_id not in discount.valid_on_product_ids:
        return Decimal(0)
    return discount.value


def _refuse_unsupported_item(index: int, item: InvoiceItem, currency: str) -> None:
    if item.currency != currency:
        message = f"items[{index}].currency must be the invoice's currency ({currency.upper()})."
        raise Unprocessable.field(f"items[{index}].currency", message)
