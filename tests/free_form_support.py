"""Helpers for the free-form JSON tests (no tests here): raw bodies, and what a request left in the database."""

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.highlevel_support import Location, create_body

JSON = {"Content-Type": "application/json"}
PLACEHOLDER = "__FREE_FORM__"
# Every free-form field of the HighLevel DTOs, by request: where the placeholder goes.
CREATE_FIELDS = ("businessDetails", "sentTo", "contactDetails.additionalEmails", "contactDetails.customFields")


def raw_body(template: dict[str, Any], field: str, raw_value: str) -> bytes:
    """`template` as JSON, `field` (dotted) holding `raw_value` verbatim: numbers and escapes arrive as written."""
    body = json.loads(json.dumps(template))
    holder = body
    *parents, last = field.split(".")
    for parent in parents:
        holder = holder[parent]
    holder[last] = PLACEHOLDER
    return json.dumps(body).replace(f'"{PLACEHOLDER}"', raw_value).encode()


def create_raw(location: Location, field: str, raw_value: str) -> bytes:
    if field == "contactDetails.additionalEmails" and not raw_value.startswith("["):
        raw_value = f"[{raw_value}]"
    if field == "contactDetails.customFields" and not raw_value.startswith("["):
        raw_value = f"[{raw_value}]"
    return raw_body(create_body(location.alt_id), field, raw_value)


def nested(depth: int, leaf: str = "1") -> str:
    """An object `depth` levels deep: {"x": {"x": ... leaf}}."""
    return '{"x": ' * depth + leaf + "}" * depth


async def stored_state(engine: AsyncEngine, tenant_id: int) -> list[tuple[Any, ...]]:
    """Every invoice of the tenant with its HighLevel fields and status: what a refused request must not change."""
    statement = text(
        "SELECT id, status, highlevel_details, updated_at FROM invoices WHERE tenant_id = :tenant ORDER BY id"
    )
    async with engine.connect() as connection:
        return [tuple(row) for row in await connection.execute(statement, {"tenant": tenant_id})]
