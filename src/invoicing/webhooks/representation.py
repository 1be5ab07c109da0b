import json
from typing import Any

from invoicing.auth.endpoints import NO_STORE
from invoicing.core.conditional import entity_tag
from invoicing.core.render import timestamp
from invoicing.core.repository import Record
from invoicing.core.responses import JsonResponse, envelope
from invoicing.webhooks.catalog import EVENT_TYPES

MESSAGE_ID_PREFIX = "msg_"


def endpoint_resource(row: Record) -> dict[str, Any]:
    """An endpoint as the API shows it: never its secret, sealed or not."""
    return {
        "id": row["id"],
        "url": row["url"],
        "description": row["description"],
        "event_types": stored_event_types(row),
        "enabled": row["enabled"],
        "disabled_reason": row["disabled_reason"],
        "disabled_detail": row["disabled_detail"],
        "disabled_at": timestamp(row["disabled_at"]),
        "failing_since": timestamp(row["failing_since"]),
        "secret_rotated_until": timestamp(row["previous_secret_expires_at"]),
        "created_at": timestamp(row["created_at"]),
        "updated_at": timestamp(row["updated_at"]),
    }


def stored_event_types(row: Record) -> list[str] | None:
    """The endpoint's filter: the event types it receives, None for every type."""
    return list(json.loads(row["event_types"])) if row["event_types"] is not None else None


def event_types_text(event_types: list[str] | None) -> str | None:
    """The filter as stored: a JSON array of distinct types in catalogue order, or NULL for all."""
    return json.dumps([known for known in EVENT_TYPES if known in event_types]) if event_types is not None else None


def endpoint_response(row: Record, *, secret: str | None = None, status_code: int = 200) -> JsonResponse:
    """One endpoint, with its ETag for If-Match on the next change; `secret` only when just made."""
    body = endpoint_resource(row) if secret is None else {**endpoint_resource(row), "secret": secret}
    headers = {"ETag": entity_tag(row["version"]), **(NO_STORE if secret is not None else {})}
    return JsonResponse(envelope(body), status_code=status_code, headers=headers)


def attempt_resource(row: Record) -> dict[str, Any]:
    return {
        "id": row["id"],
        "message_id": MESSAGE_ID_PREFIX + row["message_public_id"],
        "event_type": row["event_type"],
        "attempt": row["attempt"],
        "attempted_at": timestamp(row["attempted_at"]),
        "outcome": row["outcome"],
        "status_code": row["status_code"],
        "duration_ms": row["duration_ms"],
        "response_excerpt": row["response_excerpt"],
        "error": row["error"],
    }


def event_type_resources() -> list[dict[str, str]]:
    return [{"type": event_type, "description": description} for event_type, description in EVENT_TYPES.items()]
