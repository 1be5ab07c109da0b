"""Settings: the index of its sections, the numbering series, and what every settings form shares.

Everyone may read the profile and the series; every change, and every page about the tenant's
integrations and people (tokens, webhooks, users), is the owner's (`Permission.ADMINISTER`).
A form with bad input is answered 422 with the form again, each message beside its field, after
the transaction that refused it rolled back (`refusing`); a change that succeeds answers 303.
"""

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from invoicing.core.errors import Conflict, DomainError, Unprocessable
from invoicing.dashboard.context import Page, signed_in
from invoicing.dashboard.security import PAGE_HEADERS
from invoicing.dashboard.templating import base_path, render
from invoicing.series import service as series_service
from invoicing.series.endpoints import series_resource
from invoicing.series.service import SeriesKind
from invoicing.users.roles import Permission

router = APIRouter()

SECTION = "settings"
# What a redirect after a change may say: keys in the URL, fixed words on the page (a link
# cannot make the page say anything else).
NOTICES = {
    "profile": "The profile is saved. Invoices issued from now on show it.",
    "logo": "The logo is saved.",
    "logo-removed": "The logo is removed. Invoices already issued keep theirs.",
    "series": "The series is created.",
    "token-revoked": "The token is revoked: it stops working now.",
    "webhook-saved": "The endpoint is saved.",
    "webhook-enabled": "The endpoint is enabled; deliveries resume.",
    "webhook-disabled": "The endpoint is disabled; nothing is delivered to it.",
    "webhook-deleted": "The endpoint is deleted.",
    "replayed": "Messages queued for delivery again: {count}.",
    "user-created": "The account is created. Its owner can sign in now.",
    "role-changed": "The role is changed.",
    "user-disabled": "The account is disabled and signed out everywhere.",
    "user-enabled": "The account is enabled: it can sign in again with its password.",
}
KIND_LABELS = {SeriesKind.INVOICE.value: "Invoices", SeriesKind.CREDIT_NOTE.value: "Credit notes"}


class FormRefused(Exception):
    """A settings form the services refused: the page shows it again with `error`'s messages."""

    def __init__(self, error: DomainError) -> None:
        super().__init__(error.detail)
        self.error = error

    @property
    def status(self) -> int:
        return self.error.status

    @property
    def errors(self) -> dict[str, list[str]]:
        return {name: list(messages) for name, messages in (self.error.errors or {}).items()}

    @property
    def detail(self) -> str:
        return self.error.detail


@asynccontextmanager
async def refusing(*kinds: type[DomainError]) -> AsyncIterator[None]:
    """Turns the services' refusals of input (422, and `kinds` such as a 409) into FormRefused,
    raised after the page's transaction has rolled back: a refused form changes nothing."""
    refused: tuple[type[DomainError], ...] = (Unprocessable, *kinds)
    try:
        yield
    except refused as error:
        raise FormRefused(error) from None


def blank_to_none(text: str) -> str | None:
    stripped = text.strip()
    return stripped or None


def see_other(request: Request, path: str, *, notice: str | None = None, count: int | None = None) -> RedirectResponse:
    assert notice is None or notice in NOTICES
    query = f"?notice={notice}" if notice else ""
    query += f"&count={count}" if notice and count is not None else ""
    return RedirectResponse(f"{base_path(request)}{path}{query}", status_code=303, headers=PAGE_HEADERS)


def notice_of(request: Request) -> str | None:
    notice = NOTICES.get(request.query_params.get("notice", ""))
    count = request.query_params.get("count", "")
    return notice.format(count=int(count) if count.isdigit() else "some") if notice else None


def render_settings(
    page: Page, template: str, *, refused: FormRefused | None = None, status_code: int = 200, **values: Any
) -> Response:
    """A settings page; after a refused form, its messages (and the form's own values)."""
    return render(
        page.request,
        template,
        page=page,
        section=SECTION,
        status_code=refused.status if refused else status_code,
        notice=None if refused else notice_of(page.request),
        refused=refused,
        errors=refused.errors if refused else {},
        error_labels={name: field_label(name) for name in refused.errors} if refused else {},
        **values,
    )


# Words of a field's path that are not plain English once its underscores are spaces.
_WORDS = {"iban": "IBAN", "bic": "BIC", "url": "URL", "id": "id", "email": "E-mail", "since": "From"}
_INDEXED = re.compile(r"\[(\d+)\]")


def field_label(path: str) -> str:
    """`bank_accounts[0].iban` -> `Bank accounts 1: IBAN`, for the list above a refused form."""
    counted = _INDEXED.sub(lambda found: f" {int(found.group(1)) + 1}", path)
    parts = [_WORDS.get(part, part.replace("_", " ")) for part in counted.split(".")]
    text = ": ".join(parts)
    return text[:1].upper() + text[1:]


def submitted(page: Page) -> dict[str, str]:
    """The form as sent (text fields), to show it again as the person left it."""
    if page.form is None:
        return {}
    return {name: value for name, value in page.form.multi_items() if isinstance(value, str)}


@router.get("/settings")
async def settings_index(request: Request) -> Response:
    async with signed_in(request) as page:
        return render_settings(page, "settings/index.html")


async def _series_page(request: Request, *, refused: FormRefused | None = None) -> Response:
    async with signed_in(request) as page:
        rows = await series_service.list_series(page.context.connection, tenant_id=page.context.tenant_id)
        values = submitted(page) if refused else {"kind": SeriesKind.INVOICE.value}
        return render_settings(
            page,
            "settings/series.html",
            refused=refused,
            series=[series_resource(row) for row in rows],
            values=values,
            kind_labels=KIND_LABELS,
        )


@router.get("/settings/series")
async def series_page(request: Request) -> Response:
    return await _series_page(request)


@router.post("/settings/series")
async def create_series(request: Request) -> Response:
    try:
        async with signed_in(request, write=True, permission=Permission.ADMINISTER) as page, refusing(Conflict):
            kind = page.field("kind", SeriesKind.INVOICE.value)
            if kind not in KIND_LABELS:
                raise Unprocessable.field("kind", "Choose what the series numbers: invoices or credit notes.")
            await series_service.create_series(
                page.context.connection,
                tenant_id=page.context.tenant_id,
                name=page.field("name").strip().upper(),
                is_default=page.field("is_default") == "yes",
                kind=SeriesKind(kind),
            )
    except FormRefused as refused:
        if refused.status == 409:  # the name is taken: the name field says so
            refused.error.errors = {"name": [refused.detail]}
        return await _series_page(request, refused=refused)
    return see_other(request, "/settings/series", notice="series")
