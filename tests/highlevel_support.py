"""Helpers for the HighLevel dialect's tests (no tests here): a location, request bodies, shapes, events.

The DTO shapes and messages come from tests/fixtures/highlevel/dto_shapes.json, copied from the
reference (shared/reference/highlevel-*.json) so the tests need nothing outside the project.
"""

import json
import secrets
from dataclasses import dataclass
from functools import cache
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import FIXTURES, Tenant, new_tenant

VERSION = "2021-07-28"


@cache
def dto_shapes() -> dict[str, Any]:
    return dict(json.loads((FIXTURES / "highlevel" / "dto_shapes.json").read_text(encoding="utf-8")))


def message(name: str) -> str:
    return str(dto_shapes()["messages"][name])


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", dict: "object", list: "array"}[type(value)]


def shape_problems(body: dict[str, Any], dto: str) -> list[str]:
    """Every property of the DTO present with its JSON type (and enum); [] when the body conforms."""
    shape = dto_shapes()[dto]
    problems = []
    for key, rule in shape["properties"].items():
        if key not in body:
            problems.append(f"{dto}.{key} is missing")
            continue
        if json_type(body[key]) != rule["type"]:
            problems.append(f"{dto}.{key} is {json_type(body[key])}, not {rule['type']}")
        if "enum" in rule and body[key] not in rule["enum"]:
            problems.append(f"{dto}.{key} = {body[key]!r} is not one of {rule['enum']}")
    return problems


def item_problems(body: dict[str, Any]) -> list[str]:
    """The DTOs type items as strings, but their example (HighLevel's real answer) has objects."""
    keys = dto_shapes()["InvoiceItemExampleKeys"]
    return [
        f"invoiceItems[{index}].{key} is missing"
        for index, item in enumerate(body["invoiceItems"])
        for key in keys
        if key not in item
    ]


@dataclass(frozen=True)
class Location:
    """A tenant seen from HighLevel: its public_id is the altId."""

    tenant: Tenant
    client: httpx.AsyncClient

    @property
    def alt_id(self) -> str:
        return self.tenant.public_id

    @property
    def alt(self) -> dict[str, str]:
        return {"altId": self.alt_id, "altType": "location"}

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tenant.token}", "Version": VERSION}

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return await self.client.request(method, f"/highlevel{path}", headers=headers, **kwargs)

    async def create(self, **overrides: Any) -> dict[str, Any]:
        response = await self.request("POST", "/invoices/", json=create_body(self.alt_id, **overrides))
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def send(self, invoice_id: str) -> dict[str, Any]:
        response = await self.request("POST", f"/invoices/{invoice_id}/send", json=send_body(self.alt_id))
        assert response.status_code == 200, response.text
        return dict(response.json()["invoice"])


async def new_location(engine: AsyncEngine, client: httpx.AsyncClient, *, currency: str = "USD") -> Location:
    return Location(await new_tenant(engine, client, name="HighLevel location", currency=currency), client)


def contact(contact_id: str | None = None, **overrides: Any) -> dict[str, Any]:
    return {
        "id": contact_id or secrets.token_hex(12),
        "name": "Alex Doe",
        "phoneNo": "+1-214-559-6993",
        "email": "alex@example.com",
        "customFields": [],
        "address": {"countryCode": "US", "city": "Houston"},
        **overrides,
    }


def item(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Macbook Pro",
        "description": "14 inch",
        "productId": "6578278e879ad2646715ba9c",
        "priceId": "6578278e879ad2646715ba9d",
        "currency": "USD",
        "amount": 999.99,
        "qty": 2,
        "taxes": [{"_id": "t1", "name": "Sales tax", "rate": 10, "calculation": "exclusive"}],
        **overrides,
    }


def create_body(alt_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "altId": alt_id,
        "altType": "location",
        "name": "New Invoice",
        "title": "INVOICE",
        "businessDetails": {"name": "ABC Corp.", "address": {"addressLine1": "9931 Beechwood"}},
        "currency": "USD",
        "items": [item()],
        "discount": {"type": "percentage", "value": 0},
        "termsNotes": "<p>Net 14</p>",
        "contactDetails": contact(),
        "issueDate": "2026-01-05",
        "dueDate": "2026-01-19",
        "sentTo": {"email": ["alex@example.com"]},
        "liveMode": False,
        **overrides,
    }


def send_body(alt_id: str) -> dict[str, Any]:
    return {"altId": alt_id, "altType": "location", "userId": "u1", "action": "send_manually", "liveMode": False}


def payment_body(alt_id: str, **overrides: Any) -> dict[str, Any]:
    return {"altId": alt_id, "altType": "location", "mode": "cash", "notes": "paid at the desk", **overrides}


async def event_types(engine: AsyncEngine, public_id: str) -> list[str]:
    """The invoice's events, oldest first, read straight from the database."""
    statement = text(
        "SELECT e.type FROM invoice_events e JOIN invoices i ON i.tenant_id = e.tenant_id AND i.id = e.invoice_id"
        " WHERE i.public_id = :public_id ORDER BY e.sequence"
    )
    async with engine.connect() as connection:
        return [row[0] for row in await connection.execute(statement, {"public_id": public_id})]
