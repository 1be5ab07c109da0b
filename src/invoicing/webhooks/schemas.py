from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema

from invoicing.core.schemas import Input
from invoicing.core.wire_types import MOMENT_PATTERN, SERVER_URL, BusinessMoment, CodeOf, Flag, ServerUrl
from invoicing.webhooks.catalog import EVENT_TYPES

MESSAGE_ID_PATTERN = r"^msg_[0-9a-f]{24}(?!\n)$"
MAX_REPLAY = 10_000

EventType = Annotated[str, CodeOf(tuple(EVENT_TYPES), "an event type of GET /api/v1/webhook-event-types")]
EventTypes = Annotated[list[EventType], Field(min_length=1, max_length=len(EVENT_TYPES))]
MessageId = Annotated[str, StringConstraints(pattern=MESSAGE_ID_PATTERN)]
Description = Annotated[str, StringConstraints(max_length=500)]
URL_SCHEMA = {"type": "string", "maxLength": 2048, "pattern": SERVER_URL}

URL_DESCRIPTION = (
    "Where the events go: http or https, no user info. Its host must resolve to public addresses only "
    "(private, loopback and the like only with WEBHOOK_ALLOW_PRIVATE_NETWORKS=true; link-local never)."
)
EVENT_TYPES_DESCRIPTION = "The event types to receive (GET /api/v1/webhook-event-types); null: every type."


class WebhookEndpointCreate(Input):
    url: ServerUrl = Field(description=URL_DESCRIPTION, examples=["https://hooks.example.com/invoicing"])
    description: Description | None = None
    event_types: EventTypes | None = Field(default=None, description=EVENT_TYPES_DESCRIPTION)
    enabled: Flag = True


class WebhookEndpointUpdate(Input):
    """Only the fields sent change; `description` and `event_types` may be cleared with null,
    `url` and `enabled` may not (the service refuses null, so the schema does not offer it)."""

    url: Annotated[ServerUrl | None, WithJsonSchema(URL_SCHEMA)] = Field(default=None, description=URL_DESCRIPTION)
    description: Description | None = None
    event_types: EventTypes | None = Field(default=None, description=EVENT_TYPES_DESCRIPTION)
    enabled: Annotated[Flag | None, WithJsonSchema({"type": "boolean"})] = Field(
        default=None, description="true: deliver again (clears why it was disabled); false: stop delivering."
    )


def _exactly_one_of(schema: dict[str, Any]) -> None:
    schema["oneOf"] = [{"required": ["message_id"]}, {"required": ["since"]}]


class ReplayRequest(Input):
    """Exactly one of `message_id` and `since`."""

    model_config = ConfigDict(extra="forbid", regex_engine="python-re", json_schema_extra=_exactly_one_of)

    # Neither may be null: the schema says so, and the service refuses it (naming the field).
    message_id: Annotated[MessageId | None, WithJsonSchema({"type": "string", "pattern": MESSAGE_ID_PATTERN})] = Field(
        default=None, description="One message (its `webhook-id`, `msg_...`) to deliver again."
    )
    since: Annotated[
        BusinessMoment | None, WithJsonSchema({"type": "string", "format": "date-time", "pattern": MOMENT_PATTERN})
    ] = Field(
        default=None,
        description=f"Deliver again every message created at or after this time (RFC 3339), oldest first, "
        f"at most {MAX_REPLAY}.",
    )


class WebhookEndpointResource(BaseModel):
    id: int
    url: str
    description: str | None
    event_types: list[str] | None = Field(description="null: every event type.")
    enabled: bool
    disabled_reason: str | None = Field(description="Why delivery stopped, e.g. `gone` (410) or `failing`.")
    disabled_detail: str | None
    disabled_at: datetime | None
    failing_since: datetime | None = Field(description="Since when every delivery has failed; null when healthy.")
    secret_rotated_until: datetime | None = Field(
        description="Until when the previous secret still signs beside the new one (24 h after a rotation)."
    )
    created_at: datetime
    updated_at: datetime


class WebhookEndpointWithSecretResource(WebhookEndpointResource):
    secret: str = Field(description="The signing secret (`whsec_...`), shown in this answer only.")


class DeliveryAttemptResource(BaseModel):
    id: int
    message_id: str = Field(description="The message's `webhook-id` (`msg_...`).")
    event_type: str
    attempt: int = Field(description="1 for the first attempt of the delivery, then 2, 3...")
    attempted_at: datetime
    outcome: str = Field(description="`delivered` or `failed`.")
    status_code: int | None = Field(description="The receiver's HTTP status; null when none came back.")
    duration_ms: int
    response_excerpt: str | None
    error: str | None


class ReplayResult(BaseModel):
    queued: int = Field(description="How many deliveries to this endpoint are pending again (or made).")


class EventTypeResource(BaseModel):
    type: str
    description: str
