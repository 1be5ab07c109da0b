"""Webhook endpoints of a tenant: create, read, change, delete, rotate the secret, read the
delivery log, replay.

A secret is returned once, by the call that makes it, and stored only sealed (webhooks.secrets).
A URL is checked when it is saved (webhooks.targets; the worker checks again at delivery, since
DNS can change). Changes to one endpoint take turns on its row lock (PostgreSQL) or the write
transaction (SQLite); edits, deletes and replays honour If-Match against its version.
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.core.clock import utc_now
from invoicing.core.conditional import PreconditionFailed, entity_tag
from invoicing.core.context import TenantContext
from invoicing.core.errors import Conflict, NotFound, Unprocessable
from invoicing.webhooks import secrets
from invoicing.webhooks.repository import DeliveryLogRepository, ReplayRepository, WebhookEndpointRepository
from invoicing.webhooks.representation import MESSAGE_ID_PREFIX, event_types_text, stored_event_types
from invoicing.webhooks.schemas import MAX_REPLAY, ReplayRequest, WebhookEndpointCreate, WebhookEndpointUpdate
from invoicing.webhooks.targets import TargetRefused, check_url_form, resolve_target

# How long the previous secret still signs beside the new one after a rotation.
ROTATION_OVERLAP = timedelta(hours=24)
DISABLED_BY_OWNER = "disabled_by_owner"


class WebhookEndpointNotFound(NotFound):
    code = "webhook_endpoint_not_found"


class WebhookMessageNotFound(NotFound):
    code = "webhook_message_not_found"


class WebhookEndpointDisabled(Conflict):
    code = "webhook_endpoint_disabled"


@dataclass(frozen=True, slots=True)
class EndpointWithSecret:
    row: RowMapping
    secret: str


async def list_endpoints(
    connection: AsyncConnection, *, tenant_id: int, after_id: int | None, limit: int
) -> list[RowMapping]:
    return await WebhookEndpointRepository(connection, tenant_id).page(after_id=after_id, limit=limit)


async def get_endpoint(connection: AsyncConnection, *, tenant_id: int, endpoint_id: int) -> RowMapping:
    row = await WebhookEndpointRepository(connection, tenant_id).get(endpoint_id)
    if row is None:
        raise WebhookEndpointNotFound("Webhook endpoint not found.")
    return row


async def create_endpoint(
    context: TenantContext, *, data: WebhookEndpointCreate, allow_private: bool
) -> EndpointWithSecret:
    """A new endpoint with a new secret (in the answer, and sealed in the row). Raises
    Unprocessable naming `url` when the URL may not be a target."""
    await check_target(data.url, allow_private=allow_private)
    secret = secrets.new_secret()
    now = utc_now()
    row = await WebhookEndpointRepository(context.connection, context.tenant_id).insert(
        url=data.url,
        description=data.description,
        event_types=event_types_text(data.event_types),
        enabled=data.enabled,
        disabled_reason=None if data.enabled else DISABLED_BY_OWNER,
        disabled_at=None if data.enabled else now,
        secret_sealed=secrets.seal(secret),
        created_at=now,
        updated_at=now,
    )
    return EndpointWithSecret(row=row, secret=secret)


async def update_endpoint(
    context: TenantContext, *, endpoint_id: int, data: WebhookEndpointUpdate, allow_private: bool
) -> RowMapping:
    """Changes only the fields sent. Enabling a disabled endpoint forgets why it was disabled and
    since when it failed; disabling one records that its owner did."""
    current = await _locked(context, endpoint_id)
    changes = data.model_dump(exclude_unset=True)
    for field in ("url", "enabled"):
        if field in changes and changes[field] is None:
            raise Unprocessable.field(field, f"{field} cannot be null.")
    if not changes:
        return current
    if "url" in changes:
        await check_target(changes["url"], allow_private=allow_private)
    if "event_types" in changes:
        changes["event_types"] = event_types_text(changes["event_types"])
    now = utc_now()
    if changes.get("enabled") is True and not current["enabled"]:
        changes.update(disabled_reason=None, disabled_detail=None, disabled_at=None, failing_since=None)
    if changes.get("enabled") is False and current["enabled"]:
        changes.update(disabled_reason=DISABLED_BY_OWNER, disabled_detail=None, disabled_at=now)
    return await _change(context, current, **changes, updated_at=now)


async def delete_endpoint(context: TenantContext, *, endpoint_id: int) -> None:
    """Deletes the endpoint, its deliveries and their attempts; its messages stay (other
    endpoints may still be delivering them)."""
    await _locked(context, endpoint_id)
    await WebhookEndpointRepository(context.connection, context.tenant_id).delete(endpoint_id)


async def rotate_secret(context: TenantContext, *, endpoint_id: int) -> EndpointWithSecret:
    """A new secret; the one it replaces keeps signing beside it for ROTATION_OVERLAP (a secret
    replaced earlier, still in its overlap, stops at once: two signatures at most)."""
    current = await _locked(context, endpoint_id)
    secret = secrets.new_secret()
    now = utc_now()
    row = await _change(
        context,
        current,
        secret_sealed=secrets.seal(secret),
        previous_secret_sealed=current["secret_sealed"],
        previous_secret_expires_at=now + ROTATION_OVERLAP,
        updated_at=now,
    )
    return EndpointWithSecret(row=row, secret=secret)


async def list_deliveries(
    connection: AsyncConnection, *, tenant_id: int, endpoint_id: int, after_id: int | None, limit: int
) -> list[RowMapping]:
    """The endpoint's delivery attempts, newest first. Pre: the endpoint exists in the tenant."""
    await get_endpoint(connection, tenant_id=tenant_id, endpoint_id=endpoint_id)
    return await DeliveryLogRepository(connection, tenant_id).page(endpoint_id, after_id=after_id, limit=limit)


async def replay(context: TenantContext, *, endpoint_id: int, request: ReplayRequest) -> int:
    """Makes the endpoint's delivery of one message, or of every message since a time (oldest
    first, at most MAX_REPLAY), pending again and due now; how many. Only messages the
    endpoint's filter takes count; one not yet fanned out gets its delivery from the worker.
    Pre: the endpoint exists and is enabled (409 `webhook_endpoint_disabled` otherwise)."""
    sent = [field for field in ("message_id", "since") if field in request.model_fields_set]
    if len(sent) != 1:
        message = "Send exactly one of message_id and since."
        raise Unprocessable(message, errors={"message_id": [message], "since": [message]})
    if getattr(request, sent[0]) is None:
        raise Unprocessable.field(sent[0], f"{sent[0]} cannot be null.")
    endpoint = await _locked(context, endpoint_id)
    if not endpoint["enabled"]:
        raise WebhookEndpointDisabled("The endpoint is disabled; enable it (PATCH enabled: true) before a replay.")
    repository = ReplayRepository(context.connection, context.tenant_id)
    messages = await _chosen_messages(repository, request, event_types=stored_event_types(endpoint))
    fanned_out = [message for message in messages if message["fanned_out_at"] is not None]
    await repository.requeue(endpoint_id, fanned_out, at=utc_now())
    return len(messages)


async def _chosen_messages(
    repository: ReplayRepository, request: ReplayRequest, *, event_types: list[str] | None
) -> list[RowMapping]:
    if request.message_id is not None:
        message = await repository.message(request.message_id.removeprefix(MESSAGE_ID_PREFIX))
        if message is None:
            raise WebhookMessageNotFound(f"No webhook message {request.message_id}.")
        if event_types is not None and message["event_type"] not in event_types:
            raise Unprocessable.field(
                "message_id",
                f"The endpoint does not receive {message['event_type']} events (see its event_types).",
                code="event_type_not_subscribed",
            )
        return [message]
    if request.since is not None:
        return await repository.messages_since(request.since, event_types=event_types, limit=MAX_REPLAY)
    return []


async def check_target(url: str, *, allow_private: bool) -> None:
    """Raises Unprocessable naming `url` (code `webhook_url_refused`, `reason` the refusal's
    code) unless the URL's form and every address its host resolves to may be a target."""
    problem = check_url_form(url)
    if problem is not None:
        raise Unprocessable.field("url", f"url {problem}.", code="webhook_url_refused")
    try:
        await resolve_target(url, allow_private=allow_private)
    except TargetRefused as refused:
        message = f"url {refused.detail}."
        raise Unprocessable(
            message, code="webhook_url_refused", errors={"url": [message]}, extra={"reason": refused.reason_code}
        ) from None


async def _locked(context: TenantContext, endpoint_id: int) -> RowMapping:
    """The endpoint's row, locked for this transaction's change; If-Match is judged here."""
    row = await WebhookEndpointRepository(context.connection, context.tenant_id).get(endpoint_id, for_update=True)
    if row is None:
        raise WebhookEndpointNotFound("Webhook endpoint not found.")
    current_tag = entity_tag(row["version"])
    if context.if_match is not None and not context.if_match.matches(current_tag):
        raise PreconditionFailed(
            "The webhook endpoint has changed since the ETag in If-Match was read.",
            extra={"current_etag": current_tag},
        )
    return row


async def _change(context: TenantContext, current: RowMapping, **values: object) -> RowMapping:
    repository = WebhookEndpointRepository(context.connection, context.tenant_id)
    row = await repository.update(current["id"], expected_version=current["version"], **values)
    if row is None:  # the row is locked since _locked read it: only a broken lock gets here
        raise Conflict("The webhook endpoint changed concurrently; retry.")
    return row
