"""The FlowPayroll tests' shared pieces: a client as a FlowPayroll integrator calls the dialect,
invoices set up through the primary API, and seed 004's shapes read from its verbatim example.

The shapes come from `seed_004_void_response_example.json` (the seed's documented response,
copied unchanged): every key with the JSON type its placeholder shows, at every level, array
items from the first element. Keys the seed shows as strings but that name something this
service does not have are marked nullable in NO_SUCH_CONCEPT, and only those.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import Tenant
from tests.shapes import field, json_type_of

HERE = Path(__file__).parent / "fixtures" / "flowpayroll"
BASE = "/flowpayroll/v1/billing"

# Text keys of the seed for things this service has no notion of: always null here. Dates of what
# may not have happened yet (dueDate, emailSentAt) are nullable too, but not listed: the golden
# test's invoice has them, so a null there would be a bug.
NO_SUCH_CONCEPT_IN_DATA = (
    "groupingKey",
    "invoiceFormatTagGroup",
    "invoiceFormatTagName",
    "reference",
    "externalId",
    "externalProvider",
    "lastSyncedAt",
    "syncStatus",
    "syncErrorMessage",
    "syncErrorCode",
    "externalProviderStatus",
    "emailSentBy",
    "createdBy",
    "updatedBy",
)
NO_SUCH_CONCEPT_IN_LINE_ITEMS = (
    "employeeId",
    "employeeName",
    "payElementId",
    "date",
    "createdBy",
    "payElementDescription",
    "accountCode",
    "taxType",
    "poNumber",
)
# The PDF attachment's keys for what the service does not keep (no S3, no uploader, no
# description) or does not know without rendering (the size: docs/decisions.md).
NO_SUCH_CONCEPT_IN_ATTACHMENTS = ("description", "s3Key", "fileSize", "uploadedBy")
# What may not have happened yet, or is absent on a draft.
NOT_YET_IN_DATA = ("date", "dueDate", "invoiceNumber", "emailSentAt")

LINES = [
    {"name": "Consulting", "quantity": "3", "unit_price": "100.00", "vat_rate_percent": "20"},
    {"name": "Books", "quantity": "2", "unit_price": "12.50", "vat_rate_percent": "10"},
    {"name": "Travel", "quantity": "1", "unit_price": "40.00", "vat_rate_percent": "20"},
]


@cache
def _seed_example() -> str:
    return (HERE / "seed_004_void_response_example.json").read_text(encoding="utf-8")


def seed_example() -> dict[str, Any]:
    """Seed 004's documented void response, placeholders and all (a fresh copy each call)."""
    return dict(json.loads(_seed_example())["example"])


def shape_of(example: Any, nullable: Mapping[str, tuple[str, ...]] | None = None, path: str = "$") -> dict[str, Any]:
    """A shape for tests.shapes.assert_field from a documented example; `nullable` maps an
    object's path to its keys that may be null."""
    json_type = "number" if json_type_of(example) == "integer" else json_type_of(example)
    allowed_null = (nullable or {}).get(path, ())
    spec = field(json_type)
    if isinstance(example, dict):
        spec["keys"] = {}
        for key, value in example.items():
            spec["keys"][key] = shape_of(value, nullable, f"{path}.{key}")
            spec["keys"][key]["nullable"] = key in allowed_null
    if isinstance(example, list) and example:
        spec["items"] = shape_of(example[0], nullable, f"{path}[]")
    return spec


def envelope_shape(*, success: bool) -> dict[str, Any]:
    """The whole void envelope. A success has `content` and an empty `errors`; a refusal has no
    `content` (null) and says why in `errors`. `errors` is `object[] | null` in the docs."""
    data_nulls = NO_SUCH_CONCEPT_IN_DATA + NOT_YET_IN_DATA
    nullable = {
        "$": ("errors",) if success else ("content", "errors"),
        "$.content.data": data_nulls,
        "$.content.data.lineItems[]": NO_SUCH_CONCEPT_IN_LINE_ITEMS,
        "$.content.data.attachments[]": NO_SUCH_CONCEPT_IN_ATTACHMENTS,
    }
    return dict(shape_of(seed_example(), nullable)["keys"])


def data_shape() -> dict[str, Any]:
    return dict(envelope_shape(success=True)["content"]["keys"]["data"]["keys"])


def line_item_shape() -> dict[str, Any]:
    return dict(envelope_shape(success=True)["content"]["keys"]["data"]["keys"]["lineItems"]["items"]["keys"])


def exact_json(response: httpx.Response) -> Any:
    """The body with numbers as Decimal, to see exactly the digits the service wrote."""
    return json.loads(response.text, parse_float=Decimal)


@dataclass(frozen=True)
class FlowPayroll:
    """What a FlowPayroll integrator sends: its base URL swapped, a token in X-Auth-Token."""

    http: httpx.AsyncClient
    token: str | None

    @classmethod
    def of(cls, tenant: Tenant) -> "FlowPayroll":
        return cls(tenant.client, tenant.token)

    def headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        auth = {"X-Auth-Token": self.token} if self.token is not None else {}
        return {**auth, **(extra or {})}

    async def void(self, client_id: str, invoice_id: str, **headers: str) -> httpx.Response:
        url = f"{BASE}/invoices/{client_id}/{invoice_id}/void"
        return await self.http.post(url, headers=self.headers(headers))

    async def get_invoice(self, client_id: str, invoice_id: str) -> httpx.Response:
        return await self.http.get(f"{BASE}/invoices/{client_id}/{invoice_id}", headers=self.headers())

    async def line_items(self, client_id: str, invoice_id: str) -> httpx.Response:
        return await self.http.get(f"{BASE}/invoices/{client_id}/{invoice_id}/line-items", headers=self.headers())

    async def client_invoices(self, client_id: str, **params: str | int) -> httpx.Response:
        return await self.http.get(f"{BASE}/clients/{client_id}/invoices", params=params, headers=self.headers())


@dataclass(frozen=True)
class Billed:
    """An invoice as both dialects name it."""

    id: int
    public_id: str
    client_id: str  # the customer's public_id
    number: str | None


async def billed(
    tenant: Tenant, *, issue: bool = True, customer: dict[str, Any] | None = None, **fields: Any
) -> Billed:
    """An invoice (issued unless told otherwise) for `customer`, or for a new one."""
    customer = customer or await tenant.create_customer()
    draft = await tenant.create_draft(customer_id=customer["id"], **{"lines": LINES, **fields})
    number = (await tenant.issue(draft["id"]))["document_number"] if issue else None
    return Billed(id=draft["id"], public_id=draft["public_id"], client_id=customer["public_id"], number=number)


async def pay(tenant: Tenant, invoice: Billed, amount: str) -> None:
    response = await tenant.post(f"/invoices/{invoice.id}/payments", json={"amount": amount, "method": "card"})
    assert response.status_code == 201, response.text


async def events_of(tenant: Tenant, invoice: Billed) -> list[dict[str, Any]]:
    response = await tenant.get(f"/invoices/{invoice.id}/events")
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


def never_used_id() -> str:
    """A well-formed public id no row has (they are random; this one is not hex-random)."""
    return "0" * 24
