"""Customers: the list (search, cursor pages), creating and editing one, and its page with what
it owes (per currency), its credit balance and its invoices.

The form's inputs are named as the API's fields (`postal_address.city`), so the API's own
`CustomerCreate` / `CustomerUpdate` validate them and a refusal names the input it belongs to.
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from invoicing.core.pagination import decode_cursor, encode_cursor
from invoicing.core.repository import Record
from invoicing.credit_notes.representation import credit_balance_resource
from invoicing.credit_notes.service import credit_balance
from invoicing.customers.representation import customer_resource, display_name
from invoicing.customers.schemas import CustomerCreate, CustomerUpdate
from invoicing.customers.service import create_customer, get_customer, list_customers, update_customer
from invoicing.dashboard.context import Page, signed_in
from invoicing.dashboard.forms import FormRefusal, form_context, optional, refused_fields, text_of
from invoicing.dashboard.invoice_list import listed
from invoicing.dashboard.security import PAGE_HEADERS
from invoicing.dashboard.templating import base_path, render
from invoicing.invoices.repository import InvoiceFilter
from invoicing.invoices.service import list_invoices, open_balance_by_currency, today_in
from invoicing.parties.codes import ADDRESS_KEYS
from invoicing.users.roles import Permission

router = APIRouter()

PAGE_SIZE = 50
RECENT_INVOICES = 10  # the customer's page shows its newest; the rest are in the invoice list, filtered
TEXT_FIELDS = ("first_name", "last_name", "company_name", "email", "phone_number", "tax_number", "locale")
ADDRESS_FIELDS = tuple(f"postal_address.{key}" for key in ADDRESS_KEYS)
FIELD_LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "company_name": "Company",
    "email": "E-mail",
    "phone_number": "Phone",
    "tax_number": "Tax number",
    "locale": "Language of its invoices",
    "postal_address": "Address",
    "postal_address.line1": "Street and number",
    "postal_address.line2": "Address line 2",
    "postal_address.city": "City",
    "postal_address.postal_code": "Postal code",
    "postal_address.subdivision": "State or province",
    "postal_address.country_code": "Country code",
}

# What a pattern-checked field asks, in words (the API's message quotes the pattern).
SHAPES = {
    "email": "Enter an e-mail address, such as name@example.com.",
    "locale": "Enter a language tag, such as de, en-GB or tr.",
    "first_name": "Enter a name with at least one letter or digit.",
    "last_name": "Enter a name with at least one letter or digit, or leave it empty.",
    "company_name": "Enter a name with at least one letter or digit, or leave it empty.",
}


def form_values(form: FormData) -> dict[str, str]:
    return {name: text_of(form, name) for name in (*TEXT_FIELDS, *ADDRESS_FIELDS)}


def customer_values(row: Record) -> dict[str, str]:
    resource = customer_resource(row)
    address = resource["postal_address"] or {}
    values = {name: resource[name] or "" for name in TEXT_FIELDS}
    return values | {f"postal_address.{key}": address.get(key) or "" for key in ADDRESS_KEYS}


def customer_request(values: Mapping[str, str], *, update: bool) -> dict[str, Any]:
    """The JSON body an API client would send: empty inputs left out when creating, cleared
    when updating (the service refuses to clear the first name, as for the API)."""
    body: dict[str, Any] = {name: optional(values[name].strip()) for name in TEXT_FIELDS}
    address = {key: optional(values[f"postal_address.{key}"].strip()) for key in ADDRESS_KEYS}
    if any(address.values()):
        body["postal_address"] = {key: value for key, value in address.items() if value is not None}
    elif update:
        body["postal_address"] = None
    return body if update else {name: value for name, value in body.items() if value is not None}


def _form_page(
    page: Page,
    values: Mapping[str, str],
    *,
    customer: Record | None = None,
    errors: Mapping[str, list[str]] | None = None,
    status_code: int = 200,
) -> Response:
    base = base_path(page.request)
    return render(
        page.request,
        "customers/form.html",
        page=page,
        section="customers",
        status_code=status_code,
        values=values,
        customer=customer,
        action=f"{base}/customers/{customer['id']}/edit" if customer else f"{base}/customers/new",
        cancel=f"{base}/customers/{customer['id']}" if customer else f"{base}/customers",
        **form_context(errors, FIELD_LABELS),
        labels=FIELD_LABELS,
        display_name=display_name,
    )


def _to_customer(request: Request, customer_id: int) -> Response:
    return RedirectResponse(f"{base_path(request)}/customers/{customer_id}", status_code=303, headers=PAGE_HEADERS)


@router.get("/customers")
async def customers_page(request: Request) -> Response:
    async with signed_in(request) as page:
        search = request.query_params.get("q", "").strip()[:200]
        cursor = request.query_params.get("cursor", "")
        rows = await list_customers(
            page.context.connection,
            tenant_id=page.context.tenant_id,
            search=search or None,
            after_id=decode_cursor(cursor),
            limit=PAGE_SIZE,
        )
        shown = rows[:PAGE_SIZE]
        next_cursor = encode_cursor(shown[-1]["id"]) if len(rows) > PAGE_SIZE else None
        return render(
            request,
            "customers/list.html",
            page=page,
            section="customers",
            search=search,
            customers=shown,
            next_cursor=next_cursor,
            first_page=bool(cursor),
            display_name=display_name,
        )


@router.get("/customers/new")
async def new_customer(request: Request) -> Response:
    async with signed_in(request, permission=Permission.BILL) as page:
        return _form_page(page, dict.fromkeys((*TEXT_FIELDS, *ADDRESS_FIELDS), ""))


@router.post("/customers/new")
async def new_customer_submitted(request: Request) -> Response:
    values = form_values(await request.form())
    try:
        async with signed_in(request, write=True, permission=Permission.BILL) as page:
            data = CustomerCreate.model_validate(customer_request(values, update=False))
            row = await create_customer(page.context.connection, tenant_id=page.context.tenant_id, data=data)
    except FormRefusal as error:
        # Out of the transaction (it rolled back: nothing saved); the form again, with the messages.
        async with signed_in(request, permission=Permission.BILL) as page:
            return _form_page(page, values, errors=refused_fields(error, SHAPES), status_code=422)
    return _to_customer(request, row["id"])


@router.get("/customers/{customer_id:int}")
async def customer_page(request: Request, customer_id: int) -> Response:
    async with signed_in(request) as page:
        context = page.context
        row = await get_customer(context.connection, tenant_id=context.tenant_id, customer_id=customer_id)
        credit = credit_balance_resource(customer_id, await credit_balance(context, customer_id))
        open_balance = await open_balance_by_currency(context, customer_id)
        views, _size = await list_invoices(
            context, InvoiceFilter(customer_id=customer_id, archived=None), after_id=None, limit=RECENT_INVOICES
        )
        invoices = listed(views[:RECENT_INVOICES], today_in(page.tenant["timezone"]))
        return render(
            request,
            "customers/detail.html",
            page=page,
            section="customers",
            customer=customer_resource(row),
            name=display_name(row),
            open_balance=open_balance,
            credit=[entry for entry in credit["balances"] if Decimal(entry["balance"])],
            invoices=invoices,
            totals=[],
            next_link=None,
            first_link=None,
        )


@router.get("/customers/{customer_id:int}/edit")
async def edit_customer(request: Request, customer_id: int) -> Response:
    async with signed_in(request, permission=Permission.BILL) as page:
        context = page.context
        row = await get_customer(context.connection, tenant_id=context.tenant_id, customer_id=customer_id)
        return _form_page(page, customer_values(row), customer=row)


@router.post("/customers/{customer_id:int}/edit")
async def edit_customer_submitted(request: Request, customer_id: int) -> Response:
    values = form_values(await request.form())
    try:
        async with signed_in(request, write=True, permission=Permission.BILL) as page:
            data = CustomerUpdate.model_validate(customer_request(values, update=True))
            context = page.context
            await update_customer(context.connection, tenant_id=context.tenant_id, customer_id=customer_id, data=data)
    except FormRefusal as error:
        async with signed_in(request, permission=Permission.BILL) as page:
            context = page.context
            row = await get_customer(context.connection, tenant_id=context.tenant_id, customer_id=customer_id)
            return _form_page(page, values, customer=row, errors=refused_fields(error, SHAPES), status_code=422)
    return _to_customer(request, customer_id)
