"""Finding 9 of issue 10: customers can be deleted (soft), and a deleted customer stops an issue."""

import secrets

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import Tenant
from tests.highlevel_support import contact, create_body, item, new_location


async def _delete(tenant: Tenant, customer_id: int, **kwargs: object) -> httpx.Response:
    return await tenant.request("DELETE", f"/customers/{customer_id}", **kwargs)


async def test_deleting_a_customer_answers_it_once_with_deleted_at_then_it_is_missing_everywhere(
    tenant: Tenant,
) -> None:
    customer = await tenant.create_customer(company_name="Gone Ltd")
    kept = await tenant.create_customer(company_name="Kept Ltd")

    deleted = await _delete(tenant, customer["id"])
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["data"]["id"] == customer["id"]
    assert deleted.json()["data"]["deleted_at"] is not None

    again = await _delete(tenant, customer["id"])
    assert again.status_code == 404
    assert again.json()["code"] == "customer_not_found"
    assert (await tenant.get(f"/customers/{customer['id']}")).status_code == 404
    patched = await tenant.patch(f"/customers/{customer['id']}", json={"job": "x"})
    assert patched.status_code == 404
    listed = [item["id"] for item in (await tenant.get("/customers")).json()["data"]]
    assert listed == [kept["id"]]
    searched = (await tenant.get("/customers", params={"q": "gone"})).json()["data"]
    assert searched == []


async def test_a_retried_delete_with_the_same_idempotency_key_replays_the_first_answer(tenant: Tenant) -> None:
    customer = await tenant.create_customer()
    headers = {"Idempotency-Key": secrets.token_hex(8)}
    first = await _delete(tenant, customer["id"], headers=headers)
    retried = await _delete(tenant, customer["id"], headers=headers)
    assert first.status_code == retried.status_code == 200
    assert retried.json() == first.json()
    assert retried.headers.get("Idempotent-Replayed") == "true"


async def test_issued_invoices_keep_their_frozen_customer_details_after_the_customer_is_deleted(
    tenant: Tenant,
) -> None:
    customer = await tenant.create_customer(company_name="Frozen AŞ", tax_number="1111111111")
    issued = await tenant.issue((await tenant.create_draft(customer_id=customer["id"]))["id"])
    assert (await _delete(tenant, customer["id"])).status_code == 200

    after = await tenant.get(f"/invoices/{issued['id']}")
    assert after.status_code == 200, after.text
    invoice = after.json()["data"]
    for key in ("receiver_name", "receiver_tax_number", "document_number", "amount_payable"):
        assert invoice[key] == issued[key]
    assert invoice["customer"]["deleted_at"] is not None
    listed = (await tenant.get("/invoices", params={"customer_id": customer["id"]})).json()["data"]
    assert [item["id"] for item in listed] == [issued["id"]]


async def test_issuing_or_sending_a_draft_whose_customer_was_deleted_is_refused_naming_customer_id(
    tenant: Tenant,
) -> None:
    customer = await tenant.create_customer()
    draft = await tenant.create_draft(customer_id=customer["id"])
    assert (await _delete(tenant, customer["id"])).status_code == 200

    for action in ("issue", "send"):
        refused = await tenant.post(f"/invoices/{draft['id']}/{action}")
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "customer_deleted"
        assert list(refused.json()["errors"]) == ["customer_id"]
    still = (await tenant.get(f"/invoices/{draft['id']}")).json()["data"]
    assert still["status"] == "draft"
    assert still["document_number"] in (None, "")

    other = await tenant.create_customer()
    repointed = await tenant.patch(f"/invoices/{draft['id']}", json={"customer_id": other["id"]})
    assert repointed.status_code == 200, repointed.text
    assert (await tenant.post(f"/invoices/{draft['id']}/issue")).status_code == 200


async def test_a_deleted_customer_is_unknown_to_new_and_edited_drafts(tenant: Tenant) -> None:
    customer = await tenant.create_customer()
    draft = await tenant.create_draft()
    assert (await _delete(tenant, customer["id"])).status_code == 200

    created = await tenant.post("/invoices", json={"customer_id": customer["id"]})
    edited = await tenant.patch(f"/invoices/{draft['id']}", json={"customer_id": customer["id"]})
    for refused in (created, edited):
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "unknown_customer"
        assert list(refused.json()["errors"]) == ["customer_id"]


async def test_highlevel_neither_resurrects_nor_reuses_a_deleted_contacts_id(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    location = await new_location(engine, client)
    first = await location.create()
    contact_id = first["contactDetails"]["id"]
    customers = (await location.tenant.get("/customers")).json()["data"]
    (customer,) = [item for item in customers if item["public_id"] == contact_id]
    assert (await _delete(location.tenant, customer["id"])).status_code == 200

    again = await location.request(
        "POST", "/invoices/", json=create_body(location.alt_id, contactDetails=contact(contact_id))
    )
    assert again.status_code == 422, again.text
    assert any("contactDetails.id" in message for message in again.json()["message"])
    assert (await location.tenant.get("/customers")).json()["data"] == []

    update = {
        **location.alt,
        "name": "Edited",
        "currency": "USD",
        "issueDate": "2026-01-05",
        "dueDate": "2026-01-19",
        "invoiceItems": [item()],
        "contactId": contact_id,
    }
    edited = await location.request("PUT", f"/invoices/{first['_id']}", json=update)
    assert edited.status_code == 422, edited.text
