"""The dashboard's Jinja2 environment and its one way to answer with a page.

Autoescaped: every value from a tenant's data is text, never markup. Money is formatted from the
API's own decimal strings (never through a float), in the tenant's locale.
"""

from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from invoicing.dashboard.context import Page
from invoicing.dashboard.security import CSRF_FIELD, PAGE_HEADERS
from invoicing.documents.formatting import format_date, format_money
from invoicing.users.roles import Permission

STATUS_LABELS = {
    "draft": "Draft",
    "issued": "Issued",
    "sent": "Sent",
    "overdue": "Overdue",
    "partially_paid": "Partly paid",
    "paid": "Paid",
    "cancelled": "Cancelled",
    "void": "Void",
}


def money(amount: str | Decimal | None, currency: str, locale: str | None = "en") -> str:
    if amount is None or amount == "":
        return ""
    return format_money(Decimal(str(amount)), currency, locale)


def positive(amount: str | Decimal | None) -> bool:
    """Whether a decimal string the API gives is above zero (compared as a Decimal, never a float)."""
    return amount not in (None, "") and Decimal(str(amount)) > 0


def day(value: str | date | datetime | None, locale: str | None = "en") -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return format_date(value, locale)


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("invoicing.dashboard", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = money
    env.filters["day"] = day
    env.tests["positive"] = positive
    env.globals["STATUS_LABELS"] = STATUS_LABELS
    env.globals["CSRF_FIELD"] = CSRF_FIELD
    env.globals["Permission"] = Permission
    return env


def base_path(request: Request) -> str:
    """Where the dashboard is mounted (`/app`, behind any prefix the server was given)."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def render(
    request: Request, template: str, *, page: Page | None = None, status_code: int = 200, **values: Any
) -> HTMLResponse:
    context: dict[str, Any] = {
        "request": request,
        "base": base_path(request),
        "page": page,
        "user": page.user if page else None,
        "tenant": page.tenant if page else None,
        "csrf": page.csrf if page else values.pop("csrf", ""),
        "locale": "en",
        **values,
    }
    body = environment().get_template(template).render(context)
    return HTMLResponse(body, status_code=status_code, headers=PAGE_HEADERS)
