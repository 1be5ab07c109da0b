"""Webhook endpoints: list, create, edit, disable and enable, rotate the secret, delete; each
endpoint's delivery log and replay. The same services and schemas as `/api/v1/webhook-endpoints`.

A secret (new endpoint, rotation) is in the answer to the POST that makes it, never in a URL.
Changes carry the version the page showed (`page.expecting()`): a stale one is 412, as If-Match.
"""

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from sqlalchemy import RowMapping
from starlette.responses import Response

from invoicing.core.errors import Conflict, Unprocessable
from invoicing.core.pagination import cut_page, decode_cursor
from invoicing.dashboard.context import Page, settings_of, signed_in
from invoicing.dashboard.forms import validated
from invoicing.dashboard.settings_pages import (
    FormRefused,
    blank_to_none,
    refusing,
    render_settings,
    see_other,
    submitted,
)
from invoicing.users.roles import Permission
from invoicing.webhooks import service
from invoicing.webhooks.catalog import EVENT_TYPES
from invoicing.webhooks.representation import attempt_resource, endpoint_resource
from invoicing.webhooks.schemas import ReplayRequest, WebhookEndpointCreate, WebhookEndpointUpdate

router = APIRouter()

ENDPOINTS_SHOWN = 100
DELIVERIES_PAGE = 50
EVERY_TYPE, CHOSEN_TYPES = "all", "chosen"


def _allow_private(request: Request) -> bool:
    return bool(settings_of(request).webhook_allow_private_networks)


def _event_types(page: Page) -> list[str] | None:
    """None: every event type (the API's null)."""
    if page.field("events", EVERY_TYPE) != CHOSEN_TYPES:
        return None
    assert page.form is not None
    chosen = [value for value in page.form.getlist("event_types") if isinstance(value, str)]
    if not chosen:
        raise Unprocessable.field("event_types", "Choose at least one event type, or every type.")
    return chosen


def _endpoint_fields(page: Page) -> dict[str, object]:
    return {
        "url": page.field("url").strip(),
        "description": blank_to_none(page.field("description")),
        "event_types": _event_types(page),
    }


def _form_values(row: RowMapping) -> dict[str, str]:
    resource = endpoint_resource(row)
    return {
        "url": resource["url"],
        "description": resource["description"] or "",
        "events": EVERY_TYPE if resource["event_types"] is None else CHOSEN_TYPES,
        "version": str(row["version"]),
    }


def _chosen(page: Page, refused: FormRefused | None, row: RowMapping | None) -> list[str]:
    if refused and page.form is not None:
        return [value for value in page.form.getlist("event_types") if isinstance(value, str)]
    resource = endpoint_resource(row) if row is not None else None
    return list(resource["event_types"] or []) if resource else []


@router.get("/settings/webhooks")
async def webhooks_page(request: Request) -> Response:
    async with signed_in(request, permission=Permission.ADMINISTER) as page:
        rows = await service.list_endpoints(
            page.context.connection, tenant_id=page.context.tenant_id, after_id=None, limit=ENDPOINTS_SHOWN
        )
        shown, meta = cut_page(rows, ENDPOINTS_SHOWN, lambda row: int(row["id"]))
        return render_settings(
            page,
            "settings/webhooks.html",
            endpoints=[endpoint_resource(row) for row in shown],
            more=meta["has_more"],
        )


async def _new_page(request: Request, *, refused: FormRefused | None = None) -> Response:
    async with signed_in(request, permission=Permission.ADMINISTER) as page:
        return render_settings(
            page,
            "settings/webhook_form.html",
            refused=refused,
            endpoint=None,
            values=submitted(page) if refused else {"events": EVERY_TYPE},
            chosen=_chosen(page, refused, None),
            event_types=EVENT_TYPES,
        )


@router.get("/settings/webhooks/new")
async def new_webhook(request: Request) -> Response:
    return await _new_page(request)


@router.post("/settings/webhooks")
async def create_webhook(request: Request) -> Response:
    try:
        async with signed_in(request, write=True, permission=Permission.ADMINISTER) as page, refusing():
            data = validated(WebhookEndpointCreate, _endpoint_fields(page))
            created = await service.create_endpoint(page.context, data=data, allow_private=_allow_private(request))
            # 200, not a redirect: the secret is in this page only.
            return render_settings(
                page, "settings/webhook_secret.html", endpoint=endpoint_resource(created.row), secret=created.secret
            )
    except FormRefused as refused:
        return await _new_page(request, refused=refused)


async def _endpoint_page(request: Request, endpoint_id: int, *, refused: FormRefused | None = None) -> Response:
    async with signed_in(request, permission=Permission.ADMINISTER) as page:
        row = await service.get_endpoint(
            page.context.connection, tenant_id=page.context.tenant_id, endpoint_id=endpoint_id
        )
        values = {**submitted(page), "version": str(row["version"])} if refused else _form_values(row)
        return render_settings(
            page,
            "settings/webhook_form.html",
            refused=refused,
            endpoint=endpoint_resource(row),
            version=row["version"],
            values=values,
            chosen=_chosen(page, refused, row),
            event_types=EVENT_TYPES,
        )


@router.get("/settings/webhooks/{endpoint_id}")
async def webhook_page(request: Request, endpoint_id: int) -> Response:
    return await _endpoint_page(request, endpoint_id)


@router.post("/settings/webhooks/{endpoint_id}")
async def update_webhook(request: Request, endpoint_id: int) -> Response:
    try:
        async with signed_in(request, write=True, permission=Permission.ADMINISTER) as page, refusing():
            data = validated(WebhookEndpointUpdate, _endpoint_fields(page))
            await service.update_endpoint(
                page.expecting(), endpoint_id=endpoint_id, data=data, allow_private=_allow_private(request)
            )
    except FormRefused as refused:
        return await _endpoint_page(request, endpoint_id, refused=refused)
    return see_other(request, f"/settings/webhooks/{endpoint_id}", notice="webhook-saved")


@router.post("/settings/webhooks/{endpoint_id}/enabled")
async def enable_or_disable_webhook(request: Request, endpoint_id: int) -> Response:
    async with signed_in(request, write=True, permission=Permission.ADMINISTER) as page:
        enabled = page.field("enabled") == "yes"
        data = WebhookEndpointUpdate(enabled=enabled)
        await service.update_endpoint(
            page.expecting(), endpoint_id=endpoint_id, data=data, allow_private=_allow_private(request)
        )
    notice = "webhook-enabled" if enabled else "webhook-disabled"
    return see_other(request, f"/settings/webhooks/{endpoint_id}", notice=notice)


@router.post("/settings/webhooks/{endpoint_id}/rotate-secret")
async def rotate_webhook_secret(request: Request, endpoint_id: int) -> Response:
    async with signed_in(request, write=True, permission=Permission.ADMINISTER) as page:
        rotated = await service.rotate_secret(page.expecting(), endpoint_id=endpoint_id)
        return render_settings(
            page,
            "settings/webhook_secret.html",
            endpoint=endpoint_resource(rotated.row),
            secret=rotated.secret,
            rotated=True,
        )


@router.get("/settings/webhooks/{endpoint_id}/delete")
async def confirm_delete_webhook(request: Request, endpoint_id: int) -> Response:
    async with signed_in(request, permission=Permission.ADMINISTER) as page:
        row = await service.get_endpoint(
            page.context.connection, tenant_id=page.context.tenant_id, endpoint_id=endpoint_id
        )
        return render_settings(
            page, "settings/webhook_delete.html", endpoint=endpoint_resource(row), version=row["version"]
        )


@router.post("/settings/webhooks/{endpoint_id}/delete")
async def delete_webhook(request: Request, endpoint_id: int) -> Response:
    async with signed_in(request, write=True, permission=Permission.ADMINISTER) as page:
        await service.delete_endpoint(page.expecting(), endpoint_id=endpoint_id)
    return see_other(request, "/settings/webhooks", notice="webhook-deleted")


async def _deliveries_page(request: Request, endpoint_id: int, *, refused: FormRefused | None = None) -> Response:
    async with signed_in(request, permission=Permission.ADMINISTER) as page:
        connection, tenant_id = page.context.connection, page.context.tenant_id
        row = await service.get_endpoint(connection, tenant_id=tenant_id, endpoint_id=endpoint_id)
        cursor = request.query_params.get("cursor", "")
        rows = await service.list_deliveries(
            connection,
            tenant_id=tenant_id,
            endpoint_id=endpoint_id,
            after_id=decode_cursor(cursor or None),
            limit=DELIVERIES_PAGE,
        )
        shown, meta = cut_page(rows, DELIVERIES_PAGE, lambda attempt: int(attempt["id"]))
        return render_settings(
            page,
            "settings/webhook_deliveries.html",
            refused=refused,
            endpoint=endpoint_resource(row),
            version=row["version"],
            attempts=[attempt_resource(attempt) for attempt in shown],
            next_cursor=meta["next_cursor"],
            first_page=bool(cursor),
            values=submitted(page) if refused else {},
        )


@router.get("/settings/webhooks/{endpoint_id}/deliveries")
async def webhook_deliveries(request: Request, endpoint_id: int) -> Response:
    return await _deliveries_page(request, endpoint_id)


@router.post("/settings/webhooks/{endpoint_id}/replay")
async def replay_webhook(request: Request, endpoint_id: int) -> Response:
    try:
        async with signed_in(request, write=True, permission=Permission.ADMINISTER) as page, refusing(Conflict):
            message_id, since = page.field("message_id").strip(), page.field("since").strip()
            if message_id:
                replay = validated(ReplayRequest, {"message_id": message_id})
            else:
                replay = validated(ReplayRequest, {"since": _moment(since)})
            queued = await service.replay(page.context, endpoint_id=endpoint_id, request=replay)
    except FormRefused as refused:
        return await _deliveries_page(request, endpoint_id, refused=refused)
    return see_other(request, f"/settings/webhooks/{endpoint_id}/deliveries", notice="replayed", count=queued)


def _moment(text: str) -> str:
    """A `datetime-local` field's value (no zone) as an RFC 3339 moment in UTC."""
    if not text:
        raise Unprocessable.field("since", "Enter the time to replay from (UTC), or replay one message.")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Unprocessable.field("since", "Enter a date and time such as 2026-03-01T09:00.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat().replace("+00:00", "Z")
