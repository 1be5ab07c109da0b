"""The HighLevel dialect's refusals: HighLevel's statuses, shapes and messages (SPEC 6), cross-tenant probes,
auth and Version, validation, and one event per action."""

import secrets

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import new_tenant
from tests.highlevel_support import (
    contact,
    create_body,
    event_types,
    item,
    message,
    new_location,
    payment_body,
    send_body,
)

UNKNOWN = {"statusCode": 400, "message": message("unknown_invoice")}


async def test_unknown_malformed_and_deleted_invoices_answer_the_same_400(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    location = await new_location(engine, client)
    deleted = await location.create()
    assert (await location.request("DELETE", f"/invoices/{deleted['_id']}", params=location.alt)).status_code == 200
    for invoice_id in (secrets.token_hex(12), "not-an-id", deleted["_id"]):
        got = await location.request("GET", f"/invoices/{invoice_id}", params=location.alt)
        assert (got.status_code, got.json()) == (400, UNKNOWN)
        voided = await location.request("POST", f"/invoices/{invoice_id}/void", json=location.alt)
        assert (voided.status_code, voided.json()) == (400, UNKNOWN)


async def test_another_tenants_invoice_answers_exactly_as_a_missing_one(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    mine, theirs = await new_location(engine, client), await new_location(engine, client)
    their_invoice = await theirs.create()
    missing = await mine.request("GET", f"/invoices/{secrets.token_hex(12)}", params=mine.alt)
    for method, path, kwargs in (
        ("GET", "", {"params": mine.alt}),
        ("DELETE", "", {"params": mine.alt}),
        ("PUT", "", {"json": {**create_body(mine.alt_id), "invoiceItems": [item()]}}),
        ("POST", "/void", {"json": mine.alt}),
        ("POST", "/send", {"json": send_body(mine.alt_id)}),
        ("POST", "/record-payment", {"json": payment_body(mine.alt_id)}),
    ):
        probe = await mine.request(method, f"/invoices/{their_invoice['_id']}{path}", **kwargs)
        assert (probe.status_code, probe.json()) == (missing.status_code, missing.json()), (method, path)
    untouched = await theirs.request("GET", f"/invoices/{their_invoice['_id']}", params=theirs.alt)
    assert untouched.json()["status"] == "draft"


async def test_a_wrong_alt_id_is_refused_as_highlevel_refuses_another_location(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    mine, theirs = await new_location(engine, client), await new_location(engine, client)
    invoice = await mine.create()
    forbidden = {"statusCode": 403, "message": "The token does not have access to this location.", "error": "Forbidden"}
    for alt_id in (theirs.alt_id, secrets.token_hex(12)):
        alt = {"altId": alt_id, "altType": "location"}
        got = await mine.request("GET", f"/invoices/{invoice['_id']}", params=alt)
        assert (got.status_code, got.json()) == (403, forbidden)
        created = await mine.request("POST", "/invoices/", json=create_body(alt_id))
        assert (created.status_code, created.json()) == (403, forbidden)
        listed = await mine.request("GET", "/invoices/", params={**alt, "limit": "5", "offset": "0"})
        assert (listed.status_code, listed.json()) == (403, forbidden)


async def test_deleting_a_non_draft_and_voiding_a_draft_use_highlevels_messages(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    location = await new_location(engine, client)
    draft = await location.create()
    voided = await location.request("POST", f"/invoices/{draft['_id']}/void", json=location.alt)
    assert (voided.status_code, voided.json()) == (400, {"statusCode": 400, "message": message("void_draft")})
    await location.send(draft["_id"])
    deleted = await location.request("DELETE", f"/invoices/{draft['_id']}", params=location.alt)
    assert (deleted.status_code, deleted.json()) == (400, {"statusCode": 400, "message": message("delete_not_draft")})


@pytest.mark.parametrize(
    ("version", "expected"),
    [(None, "version_missing"), ("2099-01-01", "version_invalid"), ("", "version_invalid")],
)
async def test_the_version_header_is_required(
    engine: AsyncEngine, client: httpx.AsyncClient, version: str | None, expected: str
) -> None:
    location = await new_location(engine, client)
    headers = {"Authorization": f"Bearer {location.tenant.token}"}
    if version is not None:
        headers["Version"] = version
    response = await client.get(
        "/highlevel/invoices/", params={**location.alt, "limit": "1", "offset": "0"}, headers=headers
    )
    assert (response.status_code, response.json()) == (
        401,
        {"statusCode": 401, "message": message(expected), "error": "Unauthorized"},
    )


@pytest.mark.parametrize("version", ["2021-04-15", "2021-07-28", "2023-02-21", "v3"])
async def test_every_accepted_version_is_accepted(engine: AsyncEngine, client: httpx.AsyncClient, version: str) -> None:
    location = await new_location(engine, client)
    response = await location.request(
        "GET", "/invoices/", params={**location.alt, "limit": "1", "offset": "0"}, headers={"Version": version}
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic abc"])
async def test_a_bad_token_is_highlevels_401(
    engine: AsyncEngine, client: httpx.AsyncClient, authorization: str | None
) -> None:
    location = await new_location(engine, client)
    headers = {"Version": "v3", **({"Authorization": authorization} if authorization else {})}
    response = await client.get(f"/highlevel/invoices/{secrets.token_hex(12)}", params=location.alt, headers=headers)
    assert (response.status_code, response.json()) == (
        401,
        {"statusCode": 401, "message": message("invalid_token"), "error": "Unauthorized"},
    )


async def test_invalid_fields_are_422_with_a_list_of_messages(engine: AsyncEngine, client: httpx.AsyncClient) -> None:
    location = await new_location(engine, client)
    body = create_body(location.alt_id, altType="agency", items=[item(qty=0)])
    del body["name"]
    response = await location.request("POST", "/invoices/", json=body)
    assert response.status_code == 422
    payload = response.json()
    assert (payload["statusCode"], payload["error"]) == (422, "Unprocessable Entity")
    assert all(isinstance(text, str) for text in payload["message"])
    joined = " | ".join(payload["message"])
    assert "name should not be empty" in joined
    assert "altType" in joined
    assert "items[0].qty" in joined


@pytest.mark.parametrize(
    ("contact_id", "field"),
    [("c6tZZU0rJBf30ZXx9Gli", "contactDetails.id"), ("", "contactDetails.id")],
)
async def test_a_contact_id_not_of_the_public_id_form_is_422(
    engine: AsyncEngine, client: httpx.AsyncClient, contact_id: str, field: str
) -> None:
    location = await new_location(engine, client)
    response = await location.request(
        "POST", "/invoices/", json=create_body(location.alt_id, contactDetails={**contact(), "id": contact_id})
    )
    assert response.status_code == 422, response.text
    assert any(field in text for text in response.json()["message"])


async def test_an_unknown_contact_id_creates_the_customer_once(engine: AsyncEngine, client: httpx.AsyncClient) -> None:
    location = await new_location(engine, client)
    contact_id = secrets.token_hex(12)
    first = await location.create(contactDetails=contact(contact_id, name="Grace Hopper"))
    second = await location.create(contactDetails=contact(contact_id, name="Someone Else"))
    assert first["contactDetails"]["id"] == second["contactDetails"]["id"] == contact_id
    assert second["contactDetails"]["name"] == "Grace Hopper"  # the stored customer, not the new details
    customers = (await location.tenant.get("/customers")).json()["data"]
    assert [customer["public_id"] for customer in customers] == [contact_id]
    listed = await location.request(
        "GET", "/invoices/", params={**location.alt, "limit": "10", "offset": "0", "contactId": contact_id}
    )
    assert listed.json()["total"] == 2


async def test_unsupported_money_features_are_refused_not_ignored(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    location = await new_location(engine, client)
    for overrides in (
        {"discount": {"type": "fixed", "value": 5}},
        {"items": [item(taxInclusive=True)]},
        {"items": [item(currency="EUR")]},
        {"automaticTaxesEnabled": True},
    ):
        response = await location.request("POST", "/invoices/", json=create_body(location.alt_id, **overrides))
        assert response.status_code == 422, (overrides, response.text)


async def test_each_action_writes_exactly_one_event(engine: AsyncEngine, client: httpx.AsyncClient) -> None:
    location = await new_location(engine, client)
    invoice = await location.create()
    update = {**create_body(location.alt_id), "invoiceItems": [item(qty=1)]}
    updated = await location.request("PUT", f"/invoices/{invoice['_id']}", json=update)
    assert updated.status_code == 200, updated.text
    await location.send(invoice["_id"])
    paid = await location.request(
        "POST", f"/invoices/{invoice['_id']}/record-payment", json=payment_body(location.alt_id)
    )
    assert paid.status_code == 200, paid.text
    assert await event_types(engine, invoice["_id"]) == [
        "invoice.created",
        "invoice.updated",
        "invoice.sent",
        "invoice.payment_recorded",
    ]
    voided = await location.create()
    await location.send(voided["_id"])
    assert (await location.request("POST", f"/invoices/{voided['_id']}/void", json=location.alt)).status_code == 200
    deleted = await location.create()
    assert (await location.request("DELETE", f"/invoices/{deleted['_id']}", params=location.alt)).status_code == 200
    assert await event_types(engine, voided["_id"]) == ["invoice.created", "invoice.sent", "invoice.voided"]
    assert await event_types(engine, deleted["_id"]) == ["invoice.created", "invoice.deleted"]


async def test_a_refused_action_changes_nothing_and_writes_no_event(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    location = await new_location(engine, client)
    invoice = await location.create()
    await location.send(invoice["_id"])
    update = {**create_body(location.alt_id), "invoiceItems": [item(qty=5)]}
    refused = await location.request("PUT", f"/invoices/{invoice['_id']}", json=update)
    assert refused.status_code == 400, refused.text
    assert await event_types(engine, invoice["_id"]) == ["invoice.created", "invoice.sent"]
    got = await location.request("GET", f"/invoices/{invoice['_id']}", params=location.alt)
    assert got.json()["invoiceItems"][0]["qty"] == 2


async def test_list_filters_sorts_and_counts(engine: AsyncEngine, client: httpx.AsyncClient) -> None:
    location = await new_location(engine, client)
    early = await location.create(issueDate="2026-01-01", dueDate="2026-01-02")
    late = await location.create(issueDate="2026-03-01", dueDate="2026-03-02")
    await location.send(late["_id"])

    async def listed(**params: str) -> dict[str, object]:
        response = await location.request(
            "GET", "/invoices/", params={**location.alt, "limit": "10", "offset": "0", **params}
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    ascending = await listed(sortField="issueDate", sortOrder="ascend")
    assert [invoice["_id"] for invoice in ascending["invoices"]] == [early["_id"], late["_id"]]  # type: ignore[index, union-attr]
    assert ascending["total"] == 2
    assert [invoice["_id"] for invoice in (await listed(status="sent"))["invoices"]] == [late["_id"]]  # type: ignore[union-attr]
    assert (await listed(startAt="2026-02-01"))["total"] == 1
    second_page = await listed(limit="1", offset="1", sortField="issueDate", sortOrder="descend")
    assert [invoice["_id"] for invoice in second_page["invoices"]] == [early["_id"]]  # type: ignore[union-attr]
    assert second_page["total"] == 2
    assert (await listed(status="payment_processing"))["total"] == 0
    bad = await location.request(
        "GET", "/invoices/", params={**location.alt, "limit": "10", "offset": "0", "status": "x"}
    )
    assert bad.status_code == 422


async def test_a_token_without_the_scope_gets_highlevels_scope_401(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    reader = await new_tenant(engine, client, name="Read-only location", scopes=("invoices:read",))
    headers = {"Authorization": f"Bearer {reader.token}", "Version": "v3"}
    response = await client.post("/highlevel/invoices/", json=create_body(reader.public_id), headers=headers)
    assert (response.status_code, response.json()) == (
        401,
        {"statusCode": 401, "message": "The token is not authorized for this scope.", "error": "Unauthorized"},
    )


async def test_malformed_json_unknown_routes_and_the_slashless_path(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    location = await new_location(engine, client)
    malformed = await location.request(
        "POST", "/invoices/", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert (malformed.status_code, malformed.json()) == (
        400,
        {"statusCode": 400, "message": "The request body is not valid JSON"},
    )
    unknown = await location.request("GET", "/nothing-here")
    assert (unknown.status_code, unknown.json()["message"]) == (404, "Cannot GET /highlevel/nothing-here")
    slashless = await location.request("POST", "/invoices", json=create_body(location.alt_id))
    assert slashless.status_code == 200, slashless.text


async def test_a_payment_without_an_amount_pays_what_is_due_and_then_nothing_more(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    location = await new_location(engine, client)
    invoice = await location.create()
    await location.send(invoice["_id"])
    path = f"/invoices/{invoice['_id']}/record-payment"
    part = await location.request("POST", path, json=payment_body(location.alt_id, amount=100))
    assert part.status_code == 200, part.text
    rest = await location.request("POST", path, json=payment_body(location.alt_id))
    assert rest.status_code == 200, rest.text
    paid = rest.json()["invoice"]
    assert (paid["status"], paid["amountDue"], paid["amountPaid"]) == ("paid", 0, paid["total"])
    again = await location.request("POST", path, json=payment_body(location.alt_id))
    assert again.status_code == 400, again.text  # a paid invoice takes no payment: the lifecycle refuses
    events = await event_types(engine, invoice["_id"])
    assert events.count("invoice.payment_recorded") == 2


async def test_a_snake_case_spelling_of_a_field_is_an_unknown_field_and_ignored(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    """Found by schemathesis: `contactDetails.company_name` (the document names only
    `companyName`) was validated as that field and refused with 422."""
    location = await new_location(engine, client)
    details = {**contact(secrets.token_hex(12), name="Grace Hopper"), "company_name": 5, "phone_no": []}
    created = await location.create(contactDetails=details)
    assert created["contactDetails"]["name"] == "Grace Hopper"
    assert created["contactDetails"].get("companyName") in (None, "")
