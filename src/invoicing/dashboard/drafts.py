"""Creating and editing a draft, with live totals from the server's money code.

The form's inputs are named as the API's fields (`customer_id`, `lines[0].quantity`), so the
values become an `InvoiceCreate` / `InvoiceUpdate` through the API's own schema and a refusal
names the input it belongs to. Lines are added and removed by submit buttons that render the
form again with what was typed (htmx swaps just the form); the totals box is priced by
`invoices.service.price_draft`, the function `create_draft` prices with, so what the box shows
is what the saved draft holds.
"""

import re
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from invoicing.core.errors import Unprocessable
from invoicing.currencies.catalog import Currency, all_currencies
from invoicing.customers.representation import display_name
from invoicing.customers.service import CustomerNotFound, get_customer, list_customers
from invoicing.dashboard.context import Page, signed_in
from invoicing.dashboard.forms import FormRefusal, form_context, optional, refused_fields, text_of
from invoicing.dashboard.security import PAGE_HEADERS
from invoicing.dashboard.templating import base_path, render
from invoicing.documents.model import TaxCategory
from invoicing.invoices.lifecycle import Action, guard
from invoicing.invoices.money import LineAmounts, TaxGroup, tax_breakdown
from invoicing.invoices.representation import invoice_resource
from invoicing.invoices.schemas import MAX_LINES, InvoiceCreate, InvoiceUpdate, LineIn
from invoicing.invoices.service import create_draft, get_invoice, price_draft, update_draft
from invoicing.invoices.tax_codes import DEFAULT_UNIT_CODE
from invoicing.invoices.transitions import facts_of
from invoicing.series.service import list_series
from invoicing.users.roles import Permission

router = APIRouter()

CUSTOMER_CHOICES = 500  # the select lists this many, by newest; a draft's own customer is always there
# The units a person picks from; a line with another UN/ECE code keeps it (it is added to the choices).
UNIT_LABELS = {
    "C62": "piece",
    "HUR": "hour",
    "DAY": "day",
    "WEE": "week",
    "MON": "month",
    "ANN": "year",
    "KGM": "kg",
    "MTR": "metre",
    "MTK": "m²",
    "LTR": "litre",
    "KWH": "kWh",
    "LS": "lump sum",
}
CATEGORY_LABELS = {
    TaxCategory.STANDARD.value: "VAT",
    TaxCategory.ZERO_RATED.value: "Zero-rated",
    TaxCategory.EXEMPT.value: "Exempt",
    TaxCategory.REVERSE_CHARGE.value: "Reverse charge",
    TaxCategory.INTRA_COMMUNITY.value: "Intra-community supply",
    TaxCategory.EXPORT.value: "Export",
    TaxCategory.OUTSIDE_SCOPE.value: "Outside the scope of VAT",
}
FIELD_LABELS = {
    "customer_id": "Customer",
    "currency": "Currency",
    "series_name": "Series",
    "issue_date": "Issue date",
    "due_date": "Due date",
    "notes": "Notes",
    "lines": "Lines",
    "name": "Item",
    "quantity": "Quantity",
    "unit_code": "Unit",
    "unit_price": "Unit price",
    "vat_rate_percent": "VAT %",
    "discount_percent": "Discount %",
    "tax_category": "Tax category",
    "tax_exemption_reason_code": "Exemption reason code",
    "tax_exemption_reason": "Exemption reason",
}
LINE_FIELDS = (
    "name",
    "quantity",
    "unit_code",
    "unit_price",
    "vat_rate_percent",
    "discount_percent",
    # Not shown, carried through edits so a line's exemption survives them.
    "tax_category",
    "tax_exemption_reason_code",
    "tax_exemption_reason",
)
# What a pattern-checked field asks, in words (the API's message quotes the pattern).
SHAPES = {
    "name": "Enter a name with at least one letter or digit.",
    "series_name": "Choose a series from the list.",
}
NUMBERS = frozenset({"quantity", "unit_price", "vat_rate_percent", "discount_percent"})
LINE_INPUT = re.compile(r"^lines\[(\d{1,4})\]\.([a-z_]+)$")
EDITING_BUTTONS = ("add_line", "remove_line", "recalculate")


@dataclass(frozen=True, slots=True)
class DraftForm:
    """What the form holds, as typed: text per field, lines in their order on the page."""

    customer_id: str = ""
    currency: str = ""
    series_name: str = ""
    issue_date: str = ""
    due_date: str = ""
    notes: str = ""
    version: str = ""
    lines: tuple[Mapping[str, str], ...] = field(default_factory=tuple)

    @classmethod
    def from_form(cls, form: FormData) -> "DraftForm":
        by_index: dict[int, dict[str, str]] = {}
        for name, value in form.multi_items():
            found = LINE_INPUT.match(name)
            if found and found.group(2) in LINE_FIELDS and isinstance(value, str):
                by_index.setdefault(int(found.group(1)), {})[found.group(2)] = value
        # One more than the API takes, so a form past the bound is refused by the API's own rule.
        lines = tuple(by_index[index] for index in sorted(by_index)[: MAX_LINES + 1])
        values = {name: text_of(form, name) for name in ("customer_id", "currency", "series_name", "version")}
        dates = {name: text_of(form, name) for name in ("issue_date", "due_date", "notes")}
        return cls(**values, **dates, lines=lines)

    @classmethod
    def from_invoice(cls, resource: Mapping[str, Any]) -> "DraftForm":
        customer = resource["customer"]
        lines = tuple({key: line[key] or "" for key in LINE_FIELDS} for line in resource["lines"])
        return cls(
            customer_id=str(customer["id"]) if customer else "",
            currency=resource["currency"]["code"],
            series_name=resource["series_name"],
            issue_date=resource["issue_date"] or "",
            due_date=resource["due_date"] or "",
            notes=resource["notes"] or "",
            version=str(resource["version"]),
            lines=lines or (new_line(),),
        )

    def edited(self, form: FormData) -> "DraftForm":
        """The form after its add-line or remove-line button (recalculate changes nothing)."""
        if "add_line" in form:
            return replace(self, lines=(*self.lines, new_line(self.lines[-1] if self.lines else None)))
        removed = text_of(form, "remove_line")
        if removed.isdigit():
            kept = tuple(line for index, line in enumerate(self.lines) if index != int(removed))
            return replace(self, lines=kept or (new_line(),))
        return self

    def without_blank_lines(self) -> "DraftForm":
        return replace(self, lines=tuple(line for line in self.lines if not is_blank(line)))

    def request(self, *, update: bool) -> dict[str, Any]:
        """The JSON body an API client would send. An empty input leaves a field out when creating;
        when updating it clears the field (currency and series, which cannot be cleared, are left out)."""
        body: dict[str, Any] = {
            "customer_id": int(self.customer_id) if self.customer_id.isdigit() else optional(self.customer_id),
            "currency": optional(self.currency),
            "series_name": optional(self.series_name),
            "issue_date": optional(self.issue_date.strip()),
            "due_date": optional(self.due_date.strip()),
            "notes": optional(self.notes),
        }
        clearable = ("customer_id", "issue_date", "due_date", "notes") if update else ()
        body = {key: value for key, value in body.items() if value is not None or key in clearable}
        return {**body, "lines": [line_request(line) for line in self.lines]}


def new_line(previous: Mapping[str, str] | None = None) -> dict[str, str]:
    """An empty line; it takes the previous line's VAT rate and unit, the likeliest next ones."""
    line = dict.fromkeys(LINE_FIELDS, "") | {"quantity": "1", "unit_code": DEFAULT_UNIT_CODE}
    if previous is not None:
        line |= {"vat_rate_percent": previous.get("vat_rate_percent", ""), "unit_code": previous.get("unit_code", "")}
    return line


def is_blank(line: Mapping[str, str]) -> bool:
    """Nothing typed beyond what a new line comes with: left out when saving."""
    return not any(line.get(key, "").strip() for key in ("name", "unit_price", "discount_percent"))


def line_request(line: Mapping[str, str]) -> dict[str, Any]:
    return {
        key: value.strip() if key in NUMBERS else value
        for key, value in line.items()
        if key in LINE_FIELDS and value.strip()
    }


# -- the totals box ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PricedLine:
    number: int  # as the form numbers its lines, from 1
    name: str
    amounts: LineAmounts | None  # None: the line is not complete yet


@dataclass(frozen=True, slots=True)
class Totals:
    currency: str
    lines: list[PricedLine]
    groups: list[TaxGroup]
    header: Mapping[str, Decimal]
    problem: str = ""


async def totals_of(page: Page, draft: DraftForm) -> Totals:
    """The draft's amounts as the service prices them; lines that do not validate yet are left out
    (and marked), so the box follows the person's typing."""
    valid: list[tuple[int, LineIn]] = []
    incomplete: list[PricedLine] = []
    for number, line in enumerate(draft.lines, start=1):
        if is_blank(line):
            continue
        try:
            valid.append((number, LineIn.model_validate(line_request(line))))
        except ValidationError:
            incomplete.append(PricedLine(number, line.get("name", ""), None))
    try:
        currency, priced = await price_draft(
            page.context, currency=optional(draft.currency), lines=[line for _, line in valid]
        )
    except Unprocessable as error:
        return Totals(draft.currency or page.tenant["base_currency"], [], [], {}, problem=error.detail)
    amounts = [_amounts(row) for row in priced.rows]
    shown = [
        PricedLine(number, line.name, priced_amounts)
        for (number, line), priced_amounts in zip(valid, amounts, strict=True)
    ]
    groups = tax_breakdown(
        [(row["tax_category"], row["vat_rate_percent"], line) for row, line in zip(priced.rows, amounts, strict=True)],
        currency.quantum,
    )
    return Totals(currency.code, sorted(shown + incomplete, key=lambda line: line.number), groups, priced.header)


def _amounts(row: Mapping[str, Any]) -> LineAmounts:
    return LineAmounts(
        discount=row["amount_discount"], net=row["amount_net"], tax=row["amount_tax"], total=row["amount_total"]
    )


def percent(rate: Decimal) -> str:
    """`20`, `8.5`: a rate without the trailing zeros of its stored scale."""
    return format(rate.normalize(), "f") if rate else "0"


TOTALS_HELPERS: dict[str, Any] = {"percent": percent, "category_labels": CATEGORY_LABELS}


# -- pages -------------------------------------------------------------------------------------


async def _choices(page: Page, draft: DraftForm) -> dict[str, Any]:
    """The selects' options: the tenant's customers, the currency catalogue, its invoice series."""
    connection, tenant_id = page.context.connection, page.context.tenant_id
    customers = list(
        await list_customers(connection, tenant_id=tenant_id, search=None, after_id=None, limit=CUSTOMER_CHOICES)
    )
    if draft.customer_id.isdigit() and all(str(row["id"]) != draft.customer_id for row in customers):
        with suppress(CustomerNotFound):  # the save names a missing customer as the API does
            customers.append(await get_customer(connection, tenant_id=tenant_id, customer_id=int(draft.customer_id)))
    series = [row for row in await list_series(connection, tenant_id=tenant_id) if row["kind"] == "invoice"]
    units = dict(UNIT_LABELS)
    for line in draft.lines:
        units.setdefault(line.get("unit_code", "") or DEFAULT_UNIT_CODE, line.get("unit_code", ""))
    return {"customers": customers, "currencies": _currencies(), "series": series, "units": units}


def _currencies() -> list[Currency]:
    return sorted(all_currencies().values(), key=lambda currency: currency.code)


async def _form_page(
    page: Page,
    draft: DraftForm,
    *,
    invoice: Mapping[str, Any] | None = None,
    errors: Mapping[str, list[str]] | None = None,
    status_code: int = 200,
) -> Response:
    """The whole page, or just the form when htmx asked (adding or removing a line)."""
    request = page.request
    base = base_path(request)
    template = "drafts/form.html" if request.headers.get("HX-Request") else "drafts/page.html"
    return render(
        request,
        template,
        page=page,
        section="invoices",
        status_code=status_code,
        draft=draft,
        invoice=invoice,
        action=f"{base}/invoices/{invoice['id']}/edit" if invoice else f"{base}/invoices/new",
        cancel=f"{base}/invoices/{invoice['id']}" if invoice else f"{base}/invoices",
        totals=await totals_of(page, draft),
        **form_context(errors, FIELD_LABELS),
        display_name=display_name,
        **TOTALS_HELPERS,
        **await _choices(page, draft),
    )


def _to_invoice(request: Request, invoice_id: int) -> Response:
    return RedirectResponse(f"{base_path(request)}/invoices/{invoice_id}", status_code=303, headers=PAGE_HEADERS)


@router.get("/invoices/new")
async def new_draft(request: Request) -> Response:
    async with signed_in(request, permission=Permission.BILL) as page:
        customer = request.query_params.get("customer", "")
        draft = DraftForm(
            customer_id=customer if customer.isdigit() else "",
            currency=page.tenant["base_currency"],
            lines=(new_line(),),
        )
        return await _form_page(page, draft)


@router.post("/invoices/new")
async def new_draft_submitted(request: Request) -> Response:
    form = await request.form()
    draft = DraftForm.from_form(form)
    if any(button in form for button in EDITING_BUTTONS):
        async with signed_in(request, permission=Permission.BILL) as page:
            return await _form_page(page, draft.edited(form))
    draft = draft.without_blank_lines()
    try:
        async with signed_in(request, write=True, permission=Permission.BILL) as page:
            view = await create_draft(page.context, InvoiceCreate.model_validate(draft.request(update=False)))
    except FormRefusal as error:
        # Out of the transaction (it rolled back: nothing saved); the form again, with the messages.
        async with signed_in(request, permission=Permission.BILL) as page:
            return await _form_page(page, draft, errors=refused_fields(error, SHAPES), status_code=422)
    return _to_invoice(request, view.invoice["id"])


@router.post("/invoices/totals")
async def draft_totals(request: Request) -> Response:
    async with signed_in(request, permission=Permission.BILL) as page:
        draft = DraftForm.from_form(page.form or FormData())
        return render(request, "drafts/totals.html", page=page, totals=await totals_of(page, draft), **TOTALS_HELPERS)


async def _editable(page: Page, invoice_id: int) -> dict[str, Any]:
    """The invoice's resource, if it may be edited now; else the lifecycle's refusal (409) or 404."""
    view = await get_invoice(page.context, invoice_id)
    guard(Action.UPDATE, facts_of(view.invoice))
    return invoice_resource(view)


@router.get("/invoices/{invoice_id:int}/edit")
async def edit_draft(request: Request, invoice_id: int) -> Response:
    async with signed_in(request, permission=Permission.BILL) as page:
        resource = await _editable(page, invoice_id)
        return await _form_page(page, DraftForm.from_invoice(resource), invoice=resource)


@router.post("/invoices/{invoice_id:int}/edit")
async def edit_draft_submitted(request: Request, invoice_id: int) -> Response:
    form = await request.form()
    draft = DraftForm.from_form(form)
    if any(button in form for button in EDITING_BUTTONS):
        async with signed_in(request, permission=Permission.BILL) as page:
            return await _form_page(page, draft.edited(form), invoice=await _editable(page, invoice_id))
    draft = draft.without_blank_lines()
    try:
        async with signed_in(request, write=True, permission=Permission.BILL) as page:
            data = InvoiceUpdate.model_validate(draft.request(update=True))
            await update_draft(page.expecting(), invoice_id, data)
    except FormRefusal as error:
        async with signed_in(request, permission=Permission.BILL) as page:
            resource = await _editable(page, invoice_id)
            return await _form_page(
                page, draft, invoice=resource, errors=refused_fields(error, SHAPES), status_code=422
            )
    return _to_invoice(request, invoice_id)
