"""ACCEPTANCE 2: cancel, revert-cancel and unarchive answer with every key of seeds 000-002.

The expected shapes live as fixtures: tests/fixtures/seed_000_invoice_shape.json (the invoice,
customer and currency included) wrapped in each seed's envelope. The seeds' documented responses,
copied verbatim into tests/fixtures/seed_00{0,1,2}_*_response_example.json, keep the shape fixture
honest: each example must list exactly the shape's keys with the shape's types, recursively. Then
real responses of the three actions are held to the same shapes, with `success` the string "true".
"""

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import FIXTURES, Tenant
from tests.shapes import (
    assert_shape,
    cancel_envelope_shape,
    field,
    invoice_shape,
    json_type_of,
    null_paths,
    object_shape,
)
from tests.test_shapes import FULL_CUSTOMER

EXAMPLES = {
    "000": "seed_000_cancel_response_example.json",
    "001": "seed_001_revert_cancel_response_example.json",
    "002": "seed_002_unarchive_response_example.json",
}


def seed_example(seed: str) -> dict[str, Any]:
    """The verbatim documented response of one seed (a fresh copy)."""
    return dict(json.loads((FIXTURES / EXAMPLES[seed]).read_text(encoding="utf-8"))["example"])


def action_envelope_shape() -> dict[str, Any]:
    """Seeds 000 (cancel) and 001 (revert-cancel): `{"success", "data": {"message", "invoice"}}`."""
    return cancel_envelope_shape()


def unarchive_envelope_shape() -> dict[str, Any]:
    """Seed 002 (DELETE .../archive): `{"success", "data": <invoice>}`, no message."""
    return object_shape(success=field("string"), data=field("object", keys=invoice_shape()))


ENVELOPES: dict[str, Callable[[], dict[str, Any]]] = {
    "000": action_envelope_shape,
    "001": action_envelope_shape,
    "002": unarchive_envelope_shape,
}

NEVER_NULL_WHEN_FULL = ["$.sent_at", "$.customer.deleted_at", "$.currency.deleted_at"]


def _walk_exactly(example: dict[str, Any], shape: dict[str, Any], path: str) -> None:
    """The example documents exactly the shape's keys, each with the shape's type, recursively."""
    documented = set(example)
    listed = {key for key in shape if not key.startswith("_")}
    assert listed == documented, f"{path}: shape has extra {listed - documented}, lacks {documented - listed}"
    for key, value in example.items():
        spec = shape[key]
        assert spec["type"] == json_type_of(value), f"{path}.{key}: seed documents {json_type_of(value)}"
        if isinstance(value, dict):
            assert "keys" in spec, f"{path}.{key}: the shape does not describe the object's keys"
            _walk_exactly(value, spec["keys"], f"{path}.{key}")


def _ok(response: Any, shape: dict[str, Any], status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = dict(response.json())
    assert_shape(body, shape)
    assert body["success"] == "true"  # a string, as the seeds document `success`
    return body


async def _issued(tenant: Tenant, **customer: Any) -> dict[str, Any]:
    created = await tenant.create_customer(**customer)
    draft = await tenant.create_draft(customer_id=created["id"], notes="Thanks")
    return await tenant.issue(draft["id"])


async def _cancel(tenant: Tenant, invoice_id: int) -> dict[str, Any]:
    response = await tenant.post(f"/invoices/{invoice_id}/cancel", json={"id": invoice_id})
    return _ok(response, action_envelope_shape())


async def _revert(tenant: Tenant, invoice_id: int) -> dict[str, Any]:
    response = await tenant.post(f"/invoices/{invoice_id}/revert-cancel", json={"id": invoice_id})
    return _ok(response, action_envelope_shape())


async def _unarchive(tenant: Tenant, invoice_id: int, *, with_query_id: bool = False) -> dict[str, Any]:
    params = {"id": invoice_id} if with_query_id else None
    response = await tenant.request("DELETE", f"/invoices/{invoice_id}/archive", params=params)
    return _ok(response, unarchive_envelope_shape())


# -- the fixtures against the seeds --------------------------------------------------------------


@pytest.mark.parametrize("seed", sorted(EXAMPLES))
def test_each_seed_example_lists_exactly_the_shape_fixture_keys_and_types(seed: str) -> None:
    _walk_exactly(seed_example(seed), ENVELOPES[seed](), "$")


@pytest.mark.parametrize("seed", sorted(EXAMPLES))
def test_each_seed_example_passes_its_envelope_shape(seed: str) -> None:
    example = seed_example(seed)
    assert_shape(example, ENVELOPES[seed]())
    assert example["success"] == "<string>"


def test_the_three_seeds_document_one_invoice_object() -> None:
    cancel, revert, unarchive = (seed_example(seed) for seed in ("000", "001", "002"))
    assert revert == cancel
    assert unarchive["data"] == cancel["data"]["invoice"]
    assert set(unarchive) == {"success", "data"}
    assert "message" not in unarchive["data"]


@pytest.mark.parametrize("seed", sorted(EXAMPLES))
def test_the_shapes_refuse_a_seed_example_missing_a_nested_key(seed: str) -> None:
    example = seed_example(seed)
    invoice = example["data"] if seed == "002" else example["data"]["invoice"]
    del invoice["customer"]["is_intake_completed"]
    with pytest.raises(AssertionError, match=r"customer: missing keys \['is_intake_completed'\]"):
        assert_shape(example, ENVELOPES[seed]())


# -- real responses ------------------------------------------------------------------------------


async def test_cancel_answers_with_seed_000s_shape_and_only_legitimate_nulls(tenant: Tenant) -> None:
    issued = await _issued(tenant, **FULL_CUSTOMER)
    body = await _cancel(tenant, issued["id"])
    invoice = body["data"]["invoice"]
    assert body["data"]["message"]
    assert (invoice["id"], invoice["status"], invoice["is_cancelled"]) == (issued["id"], "cancelled", True)
    assert null_paths(invoice, invoice_shape()) == NEVER_NULL_WHEN_FULL


async def test_revert_cancel_answers_with_seed_001s_shape_and_only_legitimate_nulls(tenant: Tenant) -> None:
    issued = await _issued(tenant, **FULL_CUSTOMER)
    await _cancel(tenant, issued["id"])
    body = await _revert(tenant, issued["id"])
    invoice = body["data"]["invoice"]
    assert body["data"]["message"]
    assert (invoice["id"], invoice["status"], invoice["is_cancelled"]) == (issued["id"], "issued", False)
    assert null_paths(invoice, invoice_shape()) == NEVER_NULL_WHEN_FULL


@pytest.mark.parametrize("with_query_id", [False, True], ids=["no-query-id", "query-id"])
async def test_unarchive_answers_with_seed_002s_shape_and_only_legitimate_nulls(
    tenant: Tenant, with_query_id: bool
) -> None:
    issued = await _issued(tenant, **FULL_CUSTOMER)
    archived = await tenant.post(f"/invoices/{issued['id']}/archive")
    assert archived.status_code == 200, archived.text
    assert archived.json()["data"]["is_archived"] is True
    body = await _unarchive(tenant, issued["id"], with_query_id=with_query_id)
    invoice = body["data"]
    assert (invoice["id"], invoice["status"], invoice["is_archived"]) == (issued["id"], "issued", False)
    assert null_paths(invoice, invoice_shape()) == NEVER_NULL_WHEN_FULL


async def test_a_minimal_customer_keeps_every_key_through_cancel_revert_and_unarchive(tenant: Tenant) -> None:
    issued = await _issued(tenant)  # first and last name only: the optional customer keys are null
    cancelled = (await _cancel(tenant, issued["id"]))["data"]["invoice"]
    reverted = (await _revert(tenant, issued["id"]))["data"]["invoice"]
    await tenant.post(f"/invoices/{issued['id']}/archive")
    unarchived = (await _unarchive(tenant, issued["id"]))["data"]
    assert [cancelled["status"], reverted["status"], unarchived["status"]] == ["cancelled", "issued", "issued"]
    for invoice in (cancelled, reverted, unarchived):
        assert invoice["customer"]["email"] is None
        assert isinstance(invoice["customer"]["is_intake_completed"], bool)
        assert invoice["currency"]["is_active"] == "true"  # a string, as the seed documents


async def test_a_partially_paid_invoice_keeps_the_shapes_through_cancel_and_revert(tenant: Tenant) -> None:
    issued = await _issued(tenant, **FULL_CUSTOMER)
    paid = await tenant.post(f"/invoices/{issued['id']}/payments", json={"amount": "10.00", "method": "cash"})
    assert paid.status_code == 201, paid.text
    cancelled = (await _cancel(tenant, issued["id"]))["data"]["invoice"]
    reverted = (await _revert(tenant, issued["id"]))["data"]["invoice"]
    assert (cancelled["status"], reverted["status"]) == ("cancelled", "partially_paid")
    assert reverted["is_cancelled"] is False


async def test_unarchive_keeps_the_shape_when_nothing_changes_and_for_a_cancelled_invoice(tenant: Tenant) -> None:
    issued = await _issued(tenant, **FULL_CUSTOMER)
    unchanged = (await _unarchive(tenant, issued["id"]))["data"]  # idempotent: not archived
    assert unchanged["is_archived"] is False
    await _cancel(tenant, issued["id"])
    await tenant.post(f"/invoices/{issued['id']}/archive")
    unarchived = (await _unarchive(tenant, issued["id"], with_query_id=True))["data"]
    assert (unarchived["status"], unarchived["is_cancelled"], unarchived["is_archived"]) == ("cancelled", True, False)


async def test_unarchive_of_a_draft_without_customer_has_the_seed_shape(tenant: Tenant) -> None:
    created = await tenant.post("/invoices", json={})
    assert created.status_code == 201, created.text
    invoice_id = created.json()["data"]["id"]
    await tenant.post(f"/invoices/{invoice_id}/archive")
    invoice = (await _unarchive(tenant, invoice_id))["data"]
    assert (invoice["customer"], invoice["is_draft"], invoice["is_archived"]) == (None, True, False)
