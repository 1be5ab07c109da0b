"""Every key seed 000 documents is present with its documented JSON type (SPEC 5), at every level.

The expected shape lives in tests/fixtures/seed_000_invoice_shape.json; the seed's verbatim example
(tests/fixtures/seed_000_cancel_response_example.json) keeps that fixture honest.
"""

from typing import Any

import pytest

from tests.conftest import Tenant
from tests.shapes import (
    assert_shape,
    cancel_envelope_shape,
    currency_shape,
    customer_shape,
    field,
    invoice_shape,
    json_type_of,
    null_paths,
    seed_000_example,
)

FULL_CUSTOMER = {
    "first_name": "Grace",
    "last_name": "Hopper",
    "company_name": "Hopper Ltd",
    "email": "grace@example.com",
    "phone_number": "+905551112233",
    "tax_number": "9876543210",
    "identity_number": "12345678901",
    "passport_number": "U1234567",
    "date_of_birth": "1906-12-09",
    "country_id": 90,
    "city_id": 34,
    "district_id": 7,
    "job": "Admiral",
    "address": "1 Navy Way",
    "avatar_url": "https://example.com/grace.png",
    "user_id": 11,
    "import_source_id": 3,
    "is_intake_completed": True,
    "default_channel_id": 5,
}


# -- the fixture and the helper -------------------------------------------------------------------


def _walk_example(example: dict[str, Any], shape: dict[str, Any], path: str) -> None:
    documented = set(example)
    listed = {key for key in shape if not key.startswith("_")}
    assert listed == documented, f"{path}: shape has extra {listed - documented}, lacks {documented - listed}"
    for key, value in example.items():
        assert shape[key]["type"] == json_type_of(value), f"{path}.{key}: seed documents {json_type_of(value)}"
        if isinstance(value, dict):
            _walk_example(value, shape[key]["keys"], f"{path}.{key}")


def test_the_shape_fixture_lists_exactly_the_seed_keys_with_their_documented_types() -> None:
    example = seed_000_example()
    _walk_example(example["data"]["invoice"], invoice_shape(), "$.data.invoice")
    assert example["data"]["invoice"]["currency"]["is_active"] == "<string>"
    assert example["success"] == "<string>"


def test_the_seed_example_itself_has_the_seed_shape() -> None:
    assert_shape(seed_000_example(), cancel_envelope_shape())


def test_the_nullable_markers_follow_the_documented_rule() -> None:
    shape = invoice_shape()
    never_null = {"id", "status", "status_label", "amount_payable", "amount_tax_total", "amount_tax_exclusive"}
    never_null |= {"invoice_amount", "exchange_rate", "series_name", "created_at", "updated_at", "currency"}
    never_null |= {key for key in shape if key.startswith("is_")}
    assert all(shape[key]["nullable"] is False for key in never_null)
    assert [key for key, spec in currency_shape().items() if spec["nullable"]] == ["deleted_at"]
    customer = customer_shape()
    assert not any(customer[key]["nullable"] for key in ("id", "tenant_id", "first_name", "created_at", "updated_at"))


def test_assert_shape_names_the_path_of_a_missing_key() -> None:
    example = seed_000_example()
    del example["data"]["invoice"]["currency"]["code"]
    with pytest.raises(AssertionError, match=r"\$\.data\.invoice\.currency: missing keys \['code'\]"):
        assert_shape(example, cancel_envelope_shape())


def test_assert_shape_names_the_path_of_a_wrong_type() -> None:
    example = seed_000_example()
    example["data"]["invoice"]["customer"]["country_id"] = "90"
    with pytest.raises(AssertionError, match=r"\$\.data\.invoice\.customer\.country_id: expected integer, got string"):
        assert_shape(example, cancel_envelope_shape())
    example["data"]["invoice"]["customer"]["country_id"] = True
    with pytest.raises(AssertionError, match=r"country_id: expected integer, got boolean"):
        assert_shape(example, cancel_envelope_shape())


def test_assert_shape_refuses_null_where_the_shape_does_not_allow_it() -> None:
    example = seed_000_example()
    example["data"]["invoice"]["currency"] = None
    with pytest.raises(AssertionError, match=r"\$\.data\.invoice\.currency: expected object, got null"):
        assert_shape(example, cancel_envelope_shape())
    example = seed_000_example()
    example["data"]["invoice"]["customer"] = None  # nullable: a draft need not have a customer
    assert_shape(example, cancel_envelope_shape())


def test_assert_shape_allows_additional_keys() -> None:
    example = seed_000_example()
    example["data"]["invoice"]["available_actions"] = ["cancel"]
    assert_shape(example, cancel_envelope_shape())
    assert_shape({"a": 1.5}, {"a": field("number")})


# -- invoices ------------------------------------------------------------------------------------


async def test_a_draft_read_back_has_every_seed_key_with_its_type(tenant: Tenant) -> None:
    draft = await tenant.create_draft(notes="n")
    response = await tenant.get(f"/invoices/{draft['id']}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] == "true"
    assert_shape(body["data"], invoice_shape(), "$.data")
    assert body["data"]["document_number"] is None


async def test_a_draft_without_customer_or_issue_date_still_has_the_seed_shape(tenant: Tenant) -> None:
    response = await tenant.post("/invoices", json={})
    assert response.status_code == 201, response.text
    invoice = (await tenant.get(f"/invoices/{response.json()['data']['id']}")).json()["data"]
    assert_shape(invoice, invoice_shape(), "$.data")
    assert invoice["customer"] is None
    assert invoice["issue_date"] is None


async def test_an_issued_invoice_has_every_seed_key_and_only_legitimate_nulls(tenant: Tenant) -> None:
    customer = await tenant.create_customer(**FULL_CUSTOMER)
    draft = await tenant.create_draft(customer_id=customer["id"], notes="Thanks")
    await tenant.issue(draft["id"])
    invoice = (await tenant.get(f"/invoices/{draft['id']}")).json()["data"]
    assert_shape(invoice, invoice_shape(), "$.data")
    # Issued, for a fully described customer: only what has not happened yet is null.
    assert null_paths(invoice, invoice_shape()) == ["$.sent_at", "$.customer.deleted_at", "$.currency.deleted_at"]


async def test_list_items_have_every_seed_key_with_its_type(tenant: Tenant) -> None:
    await tenant.create_draft()
    await tenant.issue((await tenant.create_draft())["id"])
    await tenant.post("/invoices", json={})
    body = (await tenant.get("/invoices")).json()
    assert body["success"] == "true"
    assert len(body["data"]) == 3
    for index, item in enumerate(body["data"]):
        assert_shape(item, invoice_shape(), f"$.data[{index}]")


# -- customers and currencies --------------------------------------------------------------------


async def test_a_minimal_customer_has_every_seed_customer_key(tenant: Tenant) -> None:
    created = await tenant.create_customer()
    body = (await tenant.get(f"/customers/{created['id']}")).json()
    assert body["success"] == "true"
    assert_shape(body["data"], customer_shape(), "$.data")


async def test_a_fully_described_customer_has_no_null_but_deleted_at(tenant: Tenant) -> None:
    created = await tenant.create_customer(**FULL_CUSTOMER)
    customer = (await tenant.get(f"/customers/{created['id']}")).json()["data"]
    assert_shape(customer, customer_shape(), "$.data")
    assert null_paths(customer, customer_shape()) == ["$.deleted_at"]


async def test_customer_list_items_have_every_seed_customer_key(tenant: Tenant) -> None:
    await tenant.create_customer()
    await tenant.create_customer(**FULL_CUSTOMER)
    body = (await tenant.get("/customers")).json()
    assert body["success"] == "true"
    assert len(body["data"]) == 2
    for index, item in enumerate(body["data"]):
        assert_shape(item, customer_shape(), f"$.data[{index}]")


async def test_every_currency_has_every_seed_currency_key(tenant: Tenant) -> None:
    body = (await tenant.get("/currencies")).json()
    assert body["success"] == "true"
    assert body["data"]
    for index, item in enumerate(body["data"]):
        assert_shape(item, currency_shape(), f"$.data[{index}]")
        assert item["is_active"] == "true"  # a string, as the seed documents
