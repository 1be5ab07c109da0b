"""The webhook endpoints API on SQLite and PostgreSQL: create (the secret shown once), list, get,
patch, delete (with its deliveries), rotate the secret, the event-type catalogue, scopes."""

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks import Webhook

from invoicing.auth.scopes import CLIENTS_MANAGE, INVOICES_READ, INVOICES_WRITE
from invoicing.auth.service import create_token
from invoicing.core.db import transaction
from invoicing.webhooks import secrets
from invoicing.webhooks.catalog import EVENT_TYPES
from invoicing.webhooks.tables import webhook_endpoints
from tests.conftest import Tenant, rows_of
from tests.webhooks.support import (
    PUBLIC_URL,
    add_attempt,
    add_delivery,
    add_message,
    create_endpoint,
    deliveries_of,
)

RESOURCE_FIELDS = {
    "id",
    "url",
    "description",
    "event_types",
    "enabled",
    "disabled_reason",
    "disabled_detail",
    "disabled_at",
    "failing_since",
    "secret_rotated_until",
    "created_at",
    "updated_at",
}


async def stored(engine: AsyncEngine, tenant: Tenant, endpoint_id: int) -> dict[str, object]:
    async with transaction(engine, write=False) as connection:
        statement = select(webhook_endpoints).where(
            webhook_endpoints.c.tenant_id == tenant.id, webhook_endpoints.c.id == endpoint_id
        )
        return dict((await connection.execute(statement)).mappings().one())


async def test_a_new_endpoint_shows_its_secret_once_and_stores_it_only_sealed(
    engine: AsyncEngine, tenant: Tenant
) -> None:
    response = await tenant.post("/webhook-endpoints", json={"url": PUBLIC_URL, "description": "Accounting"})
    assert response.status_code == 201, response.text
    assert response.headers["etag"] == '"v1"'
    assert response.headers["cache-control"] == "no-store"
    created = response.json()["data"]
    assert set(created) == RESOURCE_FIELDS | {"secret"}
    assert created["url"] == PUBLIC_URL
    assert created["description"] == "Accounting"
    assert created["event_types"] is None
    assert created["enabled"] is True
    assert created["secret_rotated_until"] is None
    assert created["disabled_reason"] is None
    secret = created["secret"]
    assert secret.startswith("whsec_")
    Webhook(secret)  # the form the Standard Webhooks library takes as it is

    row = await stored(engine, tenant, created["id"])
    assert secret not in str(row)
    assert secrets.open_sealed(str(row["secret_sealed"])) == secret
    for shown in (await tenant.get(f"/webhook-endpoints/{created['id']}"), await tenant.get("/webhook-endpoints")):
        assert shown.status_code == 200, shown.text
        assert secret not in shown.text
        assert 'secret"' not in shown.text
    assert (await tenant.get(f"/webhook-endpoints/{created['id']}")).json()["data"] == {
        key: value for key, value in created.items() if key != "secret"
    }


async def test_two_endpoints_get_different_secrets(tenant: Tenant) -> None:
    first, second = await create_endpoint(tenant), await create_endpoint(tenant)
    assert first["secret"] != second["secret"]


async def test_the_event_type_filter_is_kept_once_each_in_catalogue_order(tenant: Tenant) -> None:
    created = await create_endpoint(
        tenant, event_types=["invoice.voided", "invoice.issued", "invoice.voided"], enabled=False
    )
    assert created["event_types"] == ["invoice.issued", "invoice.voided"]
    assert created["enabled"] is False
    assert created["disabled_reason"] == "disabled_by_owner"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": PUBLIC_URL, "event_types": ["invoice.issued", "invoice.exploded"]}, "event_types[1]"),
        ({"url": PUBLIC_URL, "event_types": []}, "event_types"),
        ({"url": "ftp://hooks.example.com/"}, "url"),
        ({"url": "https://user:pass@hooks.example.com/"}, "url"),
        ({"url": "https://hooks.example.com:65536/"}, "url"),
        ({"url": "https://hooks.example.com/" + "a" * 2048}, "url"),
        ({"url": PUBLIC_URL, "enabled": "true"}, "enabled"),
        ({"url": PUBLIC_URL, "description": "x" * 501}, "description"),
        ({"url": PUBLIC_URL, "secret": "whsec_mine"}, "secret"),
        ({}, "url"),
    ],
)
async def test_a_bad_create_is_refused_naming_the_field_and_changes_nothing(
    engine: AsyncEngine, tenant: Tenant, body: dict[str, object], field: str
) -> None:
    before = await rows_of(engine, tenant.id)
    response = await tenant.post("/webhook-endpoints", json=body)
    assert response.status_code == 422, response.text
    assert list(response.json()["errors"]) == [field], response.text
    assert await rows_of(engine, tenant.id) == before


async def test_the_list_is_newest_first_in_cursor_pages(tenant: Tenant) -> None:
    made = [await create_endpoint(tenant, description=f"#{number}") for number in range(3)]
    first = await tenant.get("/webhook-endpoints", params={"limit": 2})
    assert first.status_code == 200, first.text
    page = first.json()
    assert [row["id"] for row in page["data"]] == [made[2]["id"], made[1]["id"]]
    assert page["meta"]["has_more"] is True
    rest = (await tenant.get("/webhook-endpoints", params={"limit": 2, "cursor": page["meta"]["next_cursor"]})).json()
    assert [row["id"] for row in rest["data"]] == [made[0]["id"]]
    assert rest["meta"] == {"limit": 2, "next_cursor": None, "has_more": False}
    assert all(set(row) == RESOURCE_FIELDS for row in page["data"] + rest["data"])


async def test_a_patch_changes_only_what_it_sends_and_moves_the_etag(engine: AsyncEngine, tenant: Tenant) -> None:
    created = await create_endpoint(tenant, description="Before", event_types=["invoice.issued"])
    response = await tenant.patch(
        f"/webhook-endpoints/{created['id']}",
        json={"url": "https://hooks.example.com/v2", "event_types": None},
        headers={"If-Match": '"v1"'},
    )
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"v2"'
    changed = response.json()["data"]
    assert changed["url"] == "https://hooks.example.com/v2"
    assert changed["event_types"] is None
    assert changed["description"] == "Before"
    assert "secret" not in changed
    cleared = await tenant.patch(f"/webhook-endpoints/{created['id']}", json={"description": None})
    assert cleared.json()["data"]["description"] is None
    assert (await stored(engine, tenant, created["id"]))["version"] == 3


async def test_a_patch_on_a_stale_etag_is_refused_with_412_and_changes_nothing(
    engine: AsyncEngine, tenant: Tenant
) -> None:
    created = await create_endpoint(tenant)
    await tenant.patch(f"/webhook-endpoints/{created['id']}", json={"description": "Moved on"})
    before = await rows_of(engine, tenant.id)
    response = await tenant.patch(
        f"/webhook-endpoints/{created['id']}", json={"enabled": False}, headers={"If-Match": '"v1"'}
    )
    assert response.status_code == 412, response.text
    assert response.json()["current_etag"] == '"v2"'
    assert await rows_of(engine, tenant.id) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": None}, "url"),
        ({"enabled": None}, "enabled"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"event_types": ["invoice.nope"]}, "event_types[0]"),
        ({"secret_sealed": "x"}, "secret_sealed"),
    ],
)
async def test_a_bad_patch_is_refused_naming_the_field_and_changes_nothing(
    engine: AsyncEngine, tenant: Tenant, body: dict[str, object], field: str
) -> None:
    created = await create_endpoint(tenant)
    before = await rows_of(engine, tenant.id)
    response = await tenant.patch(f"/webhook-endpoints/{created['id']}", json=body)
    assert response.status_code == 422, response.text
    assert list(response.json()["errors"]) == [field], response.text
    assert await rows_of(engine, tenant.id) == before


async def test_enabling_a_disabled_endpoint_forgets_why_and_since_when_it_failed(
    engine: AsyncEngine, tenant: Tenant
) -> None:
    created = await create_endpoint(tenant)
    failing = datetime(2026, 3, 1, tzinfo=UTC)
    async with transaction(engine, write=True) as connection:  # as the worker leaves it after 5 days
        await connection.execute(
            update(webhook_endpoints)
            .where(webhook_endpoints.c.tenant_id == tenant.id, webhook_endpoints.c.id == created["id"])
            .values(
                enabled=False,
                disabled_reason="failing",
                disabled_detail="Every delivery failed for 5 days (last: HTTP 503).",
                disabled_at=failing + timedelta(days=5),
                failing_since=failing,
            )
        )
    shown = (await tenant.get(f"/webhook-endpoints/{created['id']}")).json()["data"]
    assert (shown["enabled"], shown["disabled_reason"]) == (False, "failing")
    assert shown["disabled_detail"].startswith("Every delivery failed")
    assert shown["disabled_at"] == "2026-03-06T00:00:00Z"
    assert shown["failing_since"] == "2026-03-01T00:00:00Z"

    enabled = (await tenant.patch(f"/webhook-endpoints/{created['id']}", json={"enabled": True})).json()["data"]
    assert enabled["enabled"] is True
    assert [enabled[key] for key in ("disabled_reason", "disabled_detail", "disabled_at", "failing_since")] == [
        None
    ] * 4

    disabled = (await tenant.patch(f"/webhook-endpoints/{created['id']}", json={"enabled": False})).json()["data"]
    assert (disabled["enabled"], disabled["disabled_reason"]) == (False, "disabled_by_owner")
    assert disabled["disabled_at"] is not None


async def test_deleting_an_endpoint_takes_its_deliveries_and_attempts_but_not_the_messages(
    engine: AsyncEngine, tenant: Tenant
) -> None:
    doomed, kept = await create_endpoint(tenant), await create_endpoint(tenant)
    message = await add_message(engine, tenant, created_at=datetime(2026, 3, 1, tzinfo=UTC))
    for endpoint in (doomed, kept):
        await add_attempt(engine, tenant, await add_delivery(engine, tenant, message, endpoint["id"]))

    response = await tenant.request("DELETE", f"/webhook-endpoints/{doomed['id']}")
    assert response.status_code == 204, response.text
    assert response.content == b""
    assert (await tenant.get(f"/webhook-endpoints/{doomed['id']}")).status_code == 404
    rows = await rows_of(engine, tenant.id)
    assert len(rows["outbox_messages"]) == 1
    assert len(rows["outbox_deliveries"]) == len(rows["delivery_attempts"]) == 1
    assert await deliveries_of(engine, tenant, doomed["id"]) == []
    assert len(await deliveries_of(engine, tenant, kept["id"])) == 1
    again = await tenant.request("DELETE", f"/webhook-endpoints/{doomed['id']}")
    assert again.status_code == 404
    assert again.json()["code"] == "webhook_endpoint_not_found"


async def test_a_rotation_shows_the_new_secret_once_and_keeps_the_old_one_for_24_hours(
    engine: AsyncEngine, tenant: Tenant
) -> None:
    created = await create_endpoint(tenant)
    before = datetime.now(UTC)
    response = await tenant.post(f"/webhook-endpoints/{created['id']}/rotate-secret")
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"v2"'
    rotated = response.json()["data"]
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != created["secret"]
    until = datetime.fromisoformat(rotated["secret_rotated_until"])
    assert before + timedelta(hours=24) <= until <= datetime.now(UTC) + timedelta(hours=24)

    row = await stored(engine, tenant, created["id"])
    assert secrets.open_sealed(str(row["secret_sealed"])) == rotated["secret"]
    assert secrets.open_sealed(str(row["previous_secret_sealed"])) == created["secret"]
    shown = await tenant.get(f"/webhook-endpoints/{created['id']}")
    assert rotated["secret"] not in shown.text
    assert created["secret"] not in shown.text
    assert shown.json()["data"]["secret_rotated_until"] == rotated["secret_rotated_until"]

    # A second rotation inside the window: the first secret stops, the second overlaps the third.
    third = (await tenant.post(f"/webhook-endpoints/{created['id']}/rotate-secret")).json()["data"]["secret"]
    row = await stored(engine, tenant, created["id"])
    assert secrets.open_sealed(str(row["secret_sealed"])) == third
    assert secrets.open_sealed(str(row["previous_secret_sealed"])) == rotated["secret"]


async def test_the_event_type_catalogue_lists_every_type_with_a_description(tenant: Tenant) -> None:
    response = await tenant.get("/webhook-event-types")
    assert response.status_code == 200, response.text
    listed = response.json()["data"]
    assert [entry["type"] for entry in listed] == sorted(EVENT_TYPES)
    assert all(entry["description"] for entry in listed)
    assert {"invoice.issued", "credit_note.voided", "invoice.email_failed", "credit.applied"} <= set(EVENT_TYPES)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/webhook-endpoints", None),
        ("POST", "/webhook-endpoints", {"url": PUBLIC_URL}),
        ("GET", "/webhook-endpoints/{id}", None),
        ("PATCH", "/webhook-endpoints/{id}", {"description": "x"}),
        ("DELETE", "/webhook-endpoints/{id}", None),
        ("POST", "/webhook-endpoints/{id}/rotate-secret", None),
        ("GET", "/webhook-endpoints/{id}/deliveries", None),
        ("POST", "/webhook-endpoints/{id}/replay", {"since": "2026-01-01T00:00:00Z"}),
        ("GET", "/webhook-event-types", None),
    ],
)
async def test_every_route_needs_the_tenant_manage_scope(
    engine: AsyncEngine, tenant: Tenant, method: str, path: str, body: dict[str, object] | None
) -> None:
    endpoint = await create_endpoint(tenant)
    # The same tenant's token with every scope but tenant:manage.
    async with transaction(engine, write=True) as connection:
        token = await create_token(
            connection, tenant_id=tenant.id, scopes=(INVOICES_READ, INVOICES_WRITE, CLIENTS_MANAGE), expires_in=None
        )
    limited = dataclasses.replace(tenant, token=token.token)
    before = await rows_of(engine, tenant.id)
    refused = await limited.request(method, path.format(id=endpoint["id"]), json=body)
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "insufficient_scope"
    assert await rows_of(engine, tenant.id) == before
