"""Issue 10, acceptance 2: recursive JSON of every kind in every free-form field of every
dialect. Never a 5xx, never an answer much larger than the request, and whatever is accepted
renders in every later read, list and send.

FlowPayroll's dialect takes no JSON body; the primary API's bodies have no free-form field, so
there the same values go into a field that refuses them (the parser's bounds come first).
"""

import json

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.highlevel.schemas import ContactDetails, CreateInvoice, RecordPayment, UpdateInvoice
from tests.conftest import Tenant
from tests.free_form_support import CREATE_FIELDS, JSON, create_raw, nested, raw_body
from tests.highlevel_support import Location, create_body, item, new_location, payment_body, send_body

# An answer may be this many times its request, plus the invoice object around it.
AMPLIFICATION = 3
OVERHEAD = 8192
EXAMPLES = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

ODD_TEXT = st.sampled_from(
    [
        "\x00",
        "a\x00b",
        "\u202eevil\u202c",
        "e\u0301\u0301\u0301",
        "\U0001f600\U00010348",
        "\ufeff\u200b\u00a0\u3000",
        "\\",
        '"',
        "\n\t\r",
        "x" * 5000,
    ]
)
LONE_SURROGATES = st.sampled_from(["\ud800", "\udfff", "a\udbff", "\udc00z"])


def text_json(value: str) -> str:
    return json.dumps(value)  # ensure_ascii: lone surrogates travel as \\ud800 escapes


NUMBERS = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.integers(0, 10**1100).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.builds(lambda m, e: f"{m}e{e}", st.integers(-99, 99), st.integers(-2_000_000, 2_000_000)),
    st.builds(lambda m, e: f"{m}E+{e}", st.integers(0, 9), st.integers(0, 1500)),
)
LEAVES = st.one_of(
    st.sampled_from(["null", "true", "false"]),
    NUMBERS,
    st.text(max_size=30).map(text_json),
    ODD_TEXT.map(text_json),
)


def as_object(members: list[tuple[str, str]]) -> str:
    return "{" + ", ".join(f"{key}: {value}" for key, value in members) + "}"


KEYS = st.one_of(st.text(max_size=10), ODD_TEXT).map(text_json)
VALUES = st.recursive(
    LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=8).map(lambda items: "[" + ", ".join(items) + "]"),
        st.lists(st.tuples(KEYS, children), max_size=8).map(as_object),
    ),
    max_leaves=40,
)
DEEP = st.builds(nested, st.integers(1, 400), LEAVES)
# Mostly values that may be kept, so that what is kept gets read back; a lone surrogate (as a
# value or as a key) now and then.
SURROGATE = st.builds(
    lambda text, value: as_object([(text, value), ('"k"', text)]), LONE_SURROGATES.map(text_json), VALUES
)
OBJECTS = st.one_of(
    st.lists(st.tuples(KEYS, VALUES), max_size=8).map(as_object),
    st.lists(st.tuples(KEYS, VALUES), max_size=8).map(as_object),
    DEEP,
    SURROGATE,
    st.builds(lambda n: as_object([(f'"k{i}"', "1e16") for i in range(n)]), st.integers(90, 110)),
)
LISTS = st.one_of(
    st.lists(VALUES, max_size=8).map(lambda items: "[" + ", ".join(items) + "]"), DEEP.map(lambda v: f"[{v}]")
)


def value_for(field: str) -> st.SearchStrategy[str]:
    if field == "contactDetails.customFields":
        return LISTS
    if field == "contactDetails.additionalEmails":
        return st.lists(OBJECTS, max_size=3).map(lambda items: "[" + ", ".join(items) + "]")
    return OBJECTS


def assert_bounded(response: httpx.Response, request: bytes) -> None:
    assert response.status_code < 500, response.text[:500]
    assert len(response.content) <= AMPLIFICATION * len(request) + OVERHEAD, (len(response.content), len(request))


async def assert_renders(location: Location, invoice_id: str, request: bytes) -> None:
    got = await location.request("GET", f"/invoices/{invoice_id}", params=location.alt)
    assert got.status_code == 200, got.text[:500]
    assert_bounded(got, request)
    listed = await location.request("GET", "/invoices/", params={**location.alt, "limit": 1, "offset": 0})
    assert listed.status_code == 200, listed.text[:500]
    assert listed.json()["invoices"][0]["_id"] == invoice_id
    assert_bounded(listed, request)
    sent = await location.request("POST", f"/invoices/{invoice_id}/send", json=send_body(location.alt_id))
    assert sent.status_code == 200, sent.text[:500]
    assert_bounded(sent, request)


def test_every_free_form_field_of_the_highlevel_dtos_is_one_these_tests_send() -> None:
    """A new `Any` field in a DTO must join free_form() (bounded in size) and CREATE_FIELDS (fuzzed here)."""
    covered = {
        CreateInvoice: {"businessDetails", "sentTo"},
        UpdateInvoice: {"businessDetails"},
        RecordPayment: {"card", "cheque"},
        ContactDetails: {"additionalEmails", "customFields"},
    }
    for model, names in covered.items():
        free = {info.alias or name for name, info in model.model_fields.items() if "Any" in str(info.annotation)}
        assert free == names, model
    assert {field.split(".")[-1] for field in CREATE_FIELDS} == covered[CreateInvoice] | covered[ContactDetails]


# One location per database (the session's client), made on first use: Hypothesis runs each
# example without fixtures of its own.
_locations: dict[int, Location] = {}


async def location_for(engine: AsyncEngine, client: httpx.AsyncClient) -> Location:
    if id(client) not in _locations:
        _locations[id(client)] = await new_location(engine, client)
    return _locations[id(client)]


@EXAMPLES
@given(field=st.sampled_from(CREATE_FIELDS), data=st.data())
async def test_recursive_json_in_every_create_field_is_bounded_and_renders(
    engine: AsyncEngine, client: httpx.AsyncClient, field: str, data: st.DataObject
) -> None:
    location = await location_for(engine, client)
    body = create_raw(location, field, data.draw(value_for(field)))
    created = await location.request("POST", "/invoices/", content=body, headers=JSON)
    assert_bounded(created, body)
    if created.status_code == 200:
        await assert_renders(location, created.json()["_id"], body)


@EXAMPLES
@given(field=st.sampled_from(["businessDetails", "card", "cheque"]), value=OBJECTS)
async def test_recursive_json_in_the_update_and_payment_fields_is_bounded_and_renders(
    engine: AsyncEngine, client: httpx.AsyncClient, field: str, value: str
) -> None:
    location = await location_for(engine, client)
    invoice_id = (await location.create())["_id"]
    if field == "businessDetails":
        template = {**create_body(location.alt_id), "invoiceItems": [item()]}
        body = raw_body(template, field, value)
        answered = await location.request("PUT", f"/invoices/{invoice_id}", content=body, headers=JSON)
        assert_bounded(answered, body)
        if answered.status_code == 200:
            await assert_renders(location, invoice_id, body)
        return
    await location.send(invoice_id)
    body = raw_body(payment_body(location.alt_id), field, value)
    paid = await location.request("POST", f"/invoices/{invoice_id}/record-payment", content=body, headers=JSON)
    assert_bounded(paid, body)


@EXAMPLES
@given(value=VALUES)
async def test_recursive_json_in_a_primary_api_body_is_a_bounded_4xx(tenant: Tenant, value: str) -> None:
    body = ('{"first_name": "Ada", "last_name": ' + value + "}").encode()
    response = await tenant.request("POST", "/customers", content=body, headers=JSON)
    assert_bounded(response, body)
