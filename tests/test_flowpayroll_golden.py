"""Seed 004's void envelope, golden: every key the seed documents, with its JSON type, at every level.

The expected shape is read from the seed's verbatim example (tests/fixtures/flowpayroll/); only the
keys for concepts this service lacks may be null (tests/flowpayroll_support.py).
"""

import re
from typing import Any

import pytest

from tests.conftest import Tenant
from tests.flowpayroll_support import (
    BASE,
    NO_SUCH_CONCEPT_IN_DATA,
    NO_SUCH_CONCEPT_IN_LINE_ITEMS,
    Billed,
    FlowPayroll,
    billed,
    data_shape,
    envelope_shape,
    line_item_shape,
    never_used_id,
    seed_example,
)
from tests.shapes import assert_shape, null_paths

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
FORMATS = {"dateFormat": "yyyy-MM-dd", "dateTimeFormat": "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"}


async def sent_invoice_with_due_date(tenant: Tenant) -> Billed:
    invoice = await billed(tenant, issue_date="2026-03-01", due_date="2026-03-31", notes="Thanks")
    response = await tenant.post(f"/invoices/{invoice.id}/send")
    assert response.status_code == 200, response.text
    return invoice


# -- the fixture and the shape built from it ------------------------------------------------------


def test_the_seed_example_has_the_documented_envelope_and_data_keys() -> None:
    example = seed_example()
    assert set(example) == {"content", "metadata", "errors", "message"}
    assert set(example["content"]) == {"data", "metadata"}
    data = example["content"]["data"]
    for key in ("organisationId", "clientId", "amount", "lineAmountTypes", "subTotal", "totalTax"):
        assert key in data
    for key in ("totalCreditAmount", "balanceDue", "currencyCode", "appliedCredits", "lineItems", "tags"):
        assert key in data
    assert len(data) == 39
    assert len(data["lineItems"][0]) == 26
    assert data["amount"] == 123
    assert data["emailSent"] is True


def test_the_seed_example_passes_its_own_shape() -> None:
    assert_shape(seed_example(), envelope_shape(success=True))
    assert_shape(seed_example(), envelope_shape(success=False))


def test_the_shape_refuses_a_missing_key_or_a_string_amount() -> None:
    example = seed_example()
    del example["content"]["data"]["lineItems"][0]["taxAmount"]
    with pytest.raises(AssertionError, match=r"lineItems\[0\]: missing keys \['taxAmount'\]"):
        assert_shape(example, envelope_shape(success=True))
    example = seed_example()
    example["content"]["data"]["balanceDue"] = "0.00"
    with pytest.raises(AssertionError, match=r"balanceDue: expected number, got string"):
        assert_shape(example, envelope_shape(success=True))


# -- the void envelope ---------------------------------------------------------------------------


async def test_the_void_envelope_has_every_seed_key_with_its_type_at_every_level(tenant: Tenant) -> None:
    invoice = await sent_invoice_with_due_date(tenant)
    response = await FlowPayroll.of(tenant).void(invoice.client_id, invoice.public_id)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert_shape(body, envelope_shape(success=True))
    assert body["errors"] == []
    assert body["message"] == {"text": "Invoice voided.", "textId": "invoice_voided", "textParameters": []}
    data = body["content"]["data"]
    assert len(data["lineItems"]) == 3
    assert len(data["subtotalGroups"]) == 2


async def test_a_voided_invoice_is_null_only_where_the_service_has_no_such_concept(tenant: Tenant) -> None:
    invoice = await sent_invoice_with_due_date(tenant)
    body = (await FlowPayroll.of(tenant).void(invoice.client_id, invoice.public_id)).json()
    data = body["content"]["data"]
    assert sorted(null_paths(data, data_shape())) == sorted(f"$.{key}" for key in NO_SUCH_CONCEPT_IN_DATA)
    for index, item in enumerate(data["lineItems"]):
        expected = sorted(f"$[{index}].{key}" for key in NO_SUCH_CONCEPT_IN_LINE_ITEMS)
        assert sorted(null_paths(item, line_item_shape(), f"$[{index}]")) == expected


async def test_dates_follow_the_formats_the_metadata_documents(tenant: Tenant) -> None:
    invoice = await sent_invoice_with_due_date(tenant)
    body = (await FlowPayroll.of(tenant).void(invoice.client_id, invoice.public_id)).json()
    assert body["metadata"] == FORMATS
    assert body["content"]["metadata"] == FORMATS
    data = body["content"]["data"]
    assert (data["date"], data["dueDate"]) == ("2026-03-01", "2026-03-31")
    assert all(DATE.match(data[key]) for key in ("date", "dueDate"))
    for key in ("emailSentAt", "createdDate", "updatedDate"):
        assert DATE_TIME.match(data[key]), f"{key}: {data[key]}"
    assert all(DATE_TIME.match(item["createdDate"]) for item in data["lineItems"])


# -- reads and refusals share the shapes ----------------------------------------------------------


async def test_reads_have_the_void_envelope_data_shape(tenant: Tenant) -> None:
    invoice = await billed(tenant)
    flowpayroll = FlowPayroll.of(tenant)
    read = (await flowpayroll.get_invoice(invoice.client_id, invoice.public_id)).json()
    assert_shape(read, envelope_shape(success=True))
    listed = (await flowpayroll.client_invoices(invoice.client_id)).json()
    assert len(listed["content"]["data"]) == 1
    assert_shape(listed["content"]["data"][0], data_shape(), "$.content.data[0]")
    items = (await flowpayroll.line_items(invoice.client_id, invoice.public_id)).json()
    assert len(items["content"]["data"]) == 3
    for index, item in enumerate(items["content"]["data"]):
        assert_shape(item, line_item_shape(), f"$.content.data[{index}]")


async def test_a_draft_reads_with_the_seed_shape_and_no_number_or_date(tenant: Tenant) -> None:
    invoice = await billed(tenant, issue=False)
    body = (await FlowPayroll.of(tenant).get_invoice(invoice.client_id, invoice.public_id)).json()
    assert_shape(body, envelope_shape(success=True))
    assert body["content"]["data"]["invoiceNumber"] is None
    assert body["content"]["data"]["status"] == "Draft"


@pytest.mark.parametrize("case", ["rule violation", "bad token", "not found"])
async def test_every_refusal_has_the_seed_errors_and_message_shapes(tenant: Tenant, case: str) -> None:
    invoice = await billed(tenant, issue=False)
    flowpayroll = FlowPayroll.of(tenant)
    calls: dict[str, Any] = {
        "rule violation": (400, lambda: flowpayroll.void(invoice.client_id, invoice.public_id)),
        "bad token": (401, lambda: FlowPayroll(tenant.client, "wrong").void(invoice.client_id, invoice.public_id)),
        "not found": (404, lambda: flowpayroll.void(invoice.client_id, never_used_id())),
    }
    status, call = calls[case]
    response = await call()
    assert response.status_code == status, response.text
    body = response.json()
    assert_shape(body, envelope_shape(success=False))
    assert body["content"] is None
    assert len(body["errors"]) == 1


async def test_the_openapi_document_names_exactly_the_keys_the_responses_carry(tenant: Tenant) -> None:
    invoice = await billed(tenant)
    data = (await FlowPayroll.of(tenant).get_invoice(invoice.client_id, invoice.public_id)).json()["content"]["data"]
    document = (await tenant.client.get(f"{BASE}/openapi.json")).json()
    schemas = document["components"]["schemas"]
    assert set(schemas["Invoice"]["properties"]) == set(data)
    assert set(schemas["LineItem"]["properties"]) == set(data["lineItems"][0])
    assert schemas["Invoice"]["properties"]["amount"]["type"] == "number"
    assert "X-Auth-Token" in str(document["components"]["securitySchemes"])
