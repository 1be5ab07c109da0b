"""Shared input conventions and response envelopes for the OpenAPI document."""

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from invoicing.core.wire_types import NO_NUL, PositiveId

T = TypeVar("T")

__all__ = ["PositiveId"]


def _publish_no_nul(schema: dict[str, Any], model: type) -> None:
    """Every free-text property says what `refuse_nul` enforces (patterned ones exclude NUL themselves)."""
    for prop in schema.get("properties", {}).values():
        for variant in [prop, *prop.get("anyOf", ())]:
            if variant.get("type") == "string" and not {"pattern", "format", "enum", "const"} & set(variant):
                variant["pattern"] = NO_NUL


class Input(BaseModel):
    """Request bodies: unknown fields are refused, so a typo never passes silently.

    Text is kept as sent (no stripping, which would accept more than the published lengths and
    patterns say), and patterns match as JSON Schema tools match them (Python's `re.search`).
    """

    model_config = ConfigDict(extra="forbid", regex_engine="python-re", json_schema_extra=_publish_no_nul)

    @model_validator(mode="before")
    @classmethod
    def an_object(cls, value: Any) -> Any:
        # FastAPI validates bodies with from_attributes=True, so any Python object whose
        # attributes are read counts as input: a JSON number parsed to a Decimal (`1.5`) would
        # pass as an object with every field absent. Only a JSON object (or a model) is one.
        if isinstance(value, dict | BaseModel):
            return value
        raise PydanticCustomError("model_type", "Input should be an object")

    @field_validator("*", mode="after")
    @classmethod
    def refuse_nul(cls, value: Any) -> Any:
        # PostgreSQL text cannot hold NUL; SQLite could, so refuse it on both for one behaviour.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("text must not contain the NUL character")
        return value


class Envelope(BaseModel, Generic[T]):
    success: Literal["true"] = "true"
    data: T


class PageMeta(BaseModel):
    limit: int
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
    has_more: bool


class PageEnvelope(BaseModel, Generic[T]):
    success: Literal["true"] = "true"
    data: list[T]
    meta: PageMeta


class Problem(BaseModel):
    """RFC 9457 problem details, with the service's stable `code`."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    success: Literal["false"] = "false"
    request_id: str
    errors: dict[str, list[str]] | None = Field(default=None, description="Field -> messages (422 only).")


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {
        400: "Malformed request (e.g. body is not JSON).",
        401: "Missing, malformed, unknown, expired or revoked bearer token.",
        403: "The token may not act for this tenant, or lacks the scope.",
        404: "No such resource in this tenant.",
        409: "Refused by the invoice lifecycle or a uniqueness rule.",
        412: "If-Match no longer matches the invoice's ETag.",
        413: "The request body is too large.",
        422: "Invalid fields (`errors` names them) or a missing/invalid X-Tenant header.",
        429: "Too many requests for this credential, or failed authentications from this address; see Retry-After.",
        431: "The request headers are too many or too large.",
    }
    return {
        status: {
            "description": descriptions[status],
            "content": {"application/problem+json": {"schema": Problem.model_json_schema()}},
        }
        for status in statuses
    }


AUTHENTICATED = (401, 403, 413, 422, 429, 431)
# Unsafe requests add a bad Idempotency-Key or If-Match (400) and a key still in flight (409).
UNSAFE = (*AUTHENTICATED, 400, 409)
# ... and, when they change an invoice, a stale If-Match (412) and a missing invoice (404).
CHANGES_INVOICE = (*UNSAFE, 404, 412)
