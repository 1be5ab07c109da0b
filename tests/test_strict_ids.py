"""Every id and integer in a path or query, in all three dialects, is read only in its one
spelling: plain ASCII digits for integers, the 24 lowercase hex characters for public ids.

The parameters come from the published OpenAPI documents, so a new route is covered as soon
as it is published. Each is sent in the spellings a lax parser reads as the real value (`38.0`,
` 38`, `38\\n`, `3_8`, `+38`, Arabic-Indic digits, ...), with a real invoice behind the value,
so that a lax parse would find it: the answer must be a 4xx that shows nothing of the tenant's,
and nothing may change.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.core.ids import PUBLIC_ID_PATTERN
from invoicing.core.pagination import CURSOR_PATTERN
from invoicing.core.wire_types import MAX_ID, PlainInteger
from tests.conftest import Tenant, rows_of
from tests.documents.test_document_endpoints import complete_invoice
from tests.flowpayroll_support import BASE as FLOWPAYROLL
from tests.flowpayroll_support import FlowPayroll, billed
from tests.highlevel_support import contact, create_body, item, new_location, payment_body, send_body

CANARY = "Found by a lax parse"
HTTP_METHODS = ("get", "put", "post", "delete", "patch")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def integer_spellings(digits: str) -> dict[str, str]:
    """Other spellings of the integer `digits`, each one Python's or Pydantic's `int` reads as it."""
    return {
        "a zero fraction": f"{digits}.0",
        "zero decimals": f"{digits}.000",
        "a leading blank": f" {digits}",
        "a trailing blank": f"{digits} ",
        "a leading newline": f"\n{digits}",
        "a trailing newline": f"{digits}\n",
        "a tab": f"\t{digits}",
        "an underscore": f"{digits[:-1]}_{digits[-1]}" if len(digits) > 1 else f"0_{digits}",
        "a plus sign": f"+{digits}",
        "a leading zero": f"0{digits}",
        "Arabic-Indic digits": digits.translate(ARABIC_INDIC),
        "fullwidth digits": digits.translate(FULLWIDTH),
        "hexadecimal": f"0x{int(digits):x}",
        "an exponent": f"{digits}e0",
    }


def public_id_spellings(public_id: str) -> dict[str, str]:
    return {
        "upper case": public_id.upper(),
        "a leading blank": f" {public_id}",
        "a trailing blank": f"{public_id} ",
        "a leading newline": f"\n{public_id}",
        "a trailing newline": f"{public_id}\n",
        "a trailing CRLF": f"{public_id}\r\n",
    }


@dataclass(frozen=True)
class Parameter:
    method: str
    path: str
    location: str  # "path" or "query"
    name: str
    schema: dict[str, Any]
    required: bool

    @property
    def variants(self) -> list[dict[str, Any]]:
        return [self.schema, *self.schema.get("anyOf", ())]

    @property
    def is_integer(self) -> bool:
        """An integer, or text published as digits only (a cursor)."""
        if any(variant.get("type") == "integer" for variant in self.variants):
            return True
        patterns = [re.compile(variant["pattern"]) for variant in self.variants if "pattern" in variant]
        return bool(patterns) and all(p.search("1") and not p.search("a") for p in patterns)

    @property
    def is_named_id(self) -> bool:
        return re.search(r"(^id|Id|_id)$", self.name) is not None


def parameters(document: dict[str, Any]) -> Iterator[Parameter]:
    for path, item_ in document["paths"].items():
        for method, operation in item_.items():
            if method not in HTTP_METHODS:
                continue
            for parameter in [*item_.get("parameters", ()), *operation.get("parameters", ())]:
                if parameter["in"] in ("path", "query"):
                    yield Parameter(
                        method.upper(),
                        path,
                        parameter["in"],
                        parameter["name"],
                        parameter["schema"],
                        parameter.get("required", False),
                    )


def probed(document: dict[str, Any]) -> list[Parameter]:
    """The parameters that name or count something: every path parameter, every integer, every query id."""
    return [p for p in parameters(document) if p.location == "path" or p.is_integer or p.is_named_id]


@dataclass(frozen=True)
class Dialect:
    """One API's document and how to call it for one tenant with a real invoice."""

    prefix: str
    headers: dict[str, str]
    base_values: dict[str, str]  # parameter name -> a value naming the real invoice (or its customer)
    # Sent with every request that takes one. The dialects' refusals cannot name the parameter, so
    # theirs is valid for every operation: only the id can be wrong.
    body: Any
    tenant: Tenant
    shown: tuple[str, ...]  # what the invoice shows and no request sends: it is in an answer only if found
    refusal: Callable[[Parameter, httpx.Response], None]

    async def send(self, parameter: Parameter, value: str, operation: list[Parameter]) -> httpx.Response:
        path, params = parameter.path, {}
        for other in operation:
            if other.location == "path" or other.required or other == parameter:
                try:
                    text = value if other == parameter else self.base_values[other.name]
                except KeyError:
                    pytest.fail(f"{other.name} of {other.method} {other.path} is new: give it a base value")
                if other.location == "path":
                    path = path.replace(f"{{{other.name}}}", quote(text, safe=""))
                else:
                    params[other.name] = text
        request: dict[str, Any] = {"params": params, "headers": self.headers}
        if parameter.method in ("POST", "PUT", "PATCH") and self.body is not None:
            request["json"] = self.body
        return await self.tenant.client.request(parameter.method, f"{self.prefix}{path}", **request)


async def document(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    response = await client.get(url)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def check_every_parameter(engine: AsyncEngine, dialect: Dialect, spec: dict[str, Any]) -> None:
    found = probed(spec)
    assert any(parameter.is_integer for parameter in found)
    assert any(parameter.location == "path" for parameter in found)
    by_operation: dict[tuple[str, str], list[Parameter]] = {}
    for parameter in parameters(spec):
        by_operation.setdefault((parameter.method, parameter.path), []).append(parameter)
    for parameter in found:
        operation = by_operation[(parameter.method, parameter.path)]
        base = dialect.base_values.get(parameter.name)
        assert base is not None, f"{parameter.name} of {parameter.method} {parameter.path} is new: give it a base value"
        if parameter.method == "GET":  # the base value is real: the plain spelling finds the invoice
            control = await dialect.send(parameter, base, operation)
            assert control.status_code == 200, (parameter, control.text)
        spellings = integer_spellings(base) if parameter.is_integer else public_id_spellings(base)
        before = await rows_of(engine, dialect.tenant.id)
        for spelling, value in spellings.items():
            answer = await dialect.send(parameter, value, operation)
            where = f"{parameter.method} {parameter.path} {parameter.name} with {spelling} ({value!r})"
            assert not any(secret in answer.text for secret in dialect.shown), f"{where} showed {answer.text[:300]}"
            if parameter.location == "path" or parameter.is_integer:
                assert 400 <= answer.status_code < 500, f"{where} answered {answer.status_code} {answer.text[:300]}"
                dialect.refusal(parameter, answer)
        assert await rows_of(engine, dialect.tenant.id) == before, f"{parameter.method} {parameter.path} changed rows"


def primary_refusal(parameter: Parameter, answer: httpx.Response) -> None:
    # The primary API's promise: 422 naming the parameter (docs/api.md).
    assert answer.status_code == 422, answer.text
    assert parameter.name in answer.json()["errors"], answer.text


def dialect_refusal(*, missing: int, invalid: int) -> Callable[[Parameter, httpx.Response], None]:
    """A dialect answers a malformed id as a missing one (docs/highlevel.md, docs/flowpayroll.md),
    and a malformed count as its invalid input. A newline in a path matches no route at all (404)."""

    def refusal(parameter: Parameter, answer: httpx.Response) -> None:
        if parameter.is_integer:
            expected = {invalid}
        else:
            expected = {missing, 404} if "%0A" in answer.request.url.raw_path.decode() else {missing}
        assert answer.status_code in expected, (parameter.name, str(answer.request.url), answer.text)
        if parameter.is_integer:
            assert parameter.name in answer.text, answer.text

    return refusal


async def test_every_id_and_integer_of_the_primary_api_takes_plain_digits_only(
    engine: AsyncEngine, tenant: Tenant
) -> None:
    # Complete for an e-invoice, so that its /cii and /ubl answer 200 to the plain spelling.
    invoice, customer = await complete_invoice(tenant)
    invoice_id = str(invoice["id"])
    created = await tenant.post("/clients", json={"name": "Probe"})
    assert created.status_code == 201, created.text
    line = {"name": "Goodwill", "quantity": "1", "unit_price": "1.00", "vat_rate_percent": "0"}
    credited = await tenant.post(
        f"/invoices/{invoice_id}/credit-notes", json={"lines": [line], "reason": "Probe", "issue": True}
    )
    assert credited.status_code == 201, credited.text
    webhook = await tenant.post("/webhook-endpoints", json={"url": "https://93.184.215.14/hook"})
    assert webhook.status_code == 201, webhook.text
    dialect = Dialect(
        prefix="",
        headers=tenant.headers,
        base_values={
            "invoice_id": invoice_id,
            "id": invoice_id,
            "customer_id": str(customer["id"]),
            "api_client_id": str(created.json()["data"]["id"]),
            "credit_note_id": str(credited.json()["data"]["credit_note"]["id"]),
            "webhook_endpoint_id": str(webhook.json()["data"]["id"]),
            "limit": "1",
            "cursor": str(invoice["id"] + 1),  # the page after it starts with the invoice
        },
        body={},
        tenant=tenant,
        shown=(invoice["public_id"], customer["public_id"], invoice["document_number"]),
        refusal=primary_refusal,
    )
    await check_every_parameter(engine, dialect, await document(tenant.client, "/api/openapi.json"))


async def test_every_id_and_integer_of_highlevel_takes_its_one_spelling_only(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    location = await new_location(engine, client)
    contact_id = contact()["id"]
    invoice = await location.create(name=CANARY, contactDetails=contact(contact_id))
    # Extra fields are ignored by HighLevel's bodies, so one body suits every action.
    every_body = {**create_body(location.alt_id), "invoiceItems": [item()], **send_body(location.alt_id)}
    dialect = Dialect(
        prefix="/highlevel",
        headers=location.headers,
        base_values={
            "invoiceId": invoice["_id"],
            "altId": location.alt_id,
            "altType": "location",
            "contactId": contact_id,
            "limit": "1",
            "offset": "0",
        },
        body={**every_body, **payment_body(location.alt_id)},
        tenant=location.tenant,
        shown=(CANARY,),
        refusal=dialect_refusal(missing=400, invalid=422),
    )
    await check_every_parameter(engine, dialect, await document(client, "/highlevel/openapi.json"))


async def test_every_id_and_integer_of_flowpayroll_takes_its_one_spelling_only(
    engine: AsyncEngine, tenant: Tenant
) -> None:
    invoice = await billed(tenant)
    dialect = Dialect(
        prefix=FLOWPAYROLL,
        headers=FlowPayroll.of(tenant).headers(),
        base_values={
            "clientId": invoice.client_id,
            "invoiceId": invoice.public_id,
            "pageSize": "1",
            "paginationToken": str(invoice.id + 1),
        },
        body=None,
        tenant=tenant,
        shown=(str(invoice.number),),
        refusal=dialect_refusal(missing=404, invalid=400),
    )
    await check_every_parameter(engine, dialect, await document(tenant.client, f"{FLOWPAYROLL}/openapi.json"))


@pytest.mark.parametrize(
    "pattern",
    [
        PlainInteger(minimum=1, maximum=MAX_ID).text_pattern,
        PlainInteger(minimum=0, maximum=10**9).text_pattern,
        CURSOR_PATTERN,
        PUBLIC_ID_PATTERN,
    ],
)
def test_a_published_id_pattern_refuses_the_final_newline_that_dollar_admits(pattern: str) -> None:
    plain = "1" if "0-9a-f" not in pattern else "0123456789abcdef01234567"
    assert re.search(pattern, plain)
    assert not re.search(pattern, f"{plain}\n")


async def test_a_contact_id_with_a_final_newline_is_refused_not_trimmed(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    location = await new_location(engine, client)
    contact_id = contact()["id"]
    await location.create(contactDetails=contact(contact_id))
    before = await rows_of(engine, location.tenant.id)
    body = create_body(location.alt_id, contactDetails=contact(f"{contact_id}\n"))
    refused = await location.request("POST", "/invoices/", json=body)
    assert refused.status_code == 422, refused.text
    assert "contactDetails.id" in refused.text
    assert await rows_of(engine, location.tenant.id) == before
