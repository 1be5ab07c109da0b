"""An endpoint's delivery log and manual replay, on SQLite and PostgreSQL, over outbox rows
written as the worker writes them."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.webhooks import service
from invoicing.webhooks.schemas import MAX_REPLAY
from tests.conftest import Tenant, rows_of
from tests.webhooks.support import add_attempt, add_delivery, add_message, create_endpoint, deliveries_of

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


async def test_the_delivery_log_shows_every_attempt_newest_first_in_cursor_pages(
    engine: AsyncEngine, tenant: Tenant
) -> None:
    endpoint, other = await create_endpoint(tenant), await create_endpoint(tenant)
    issued = await add_message(engine, tenant, event_type="invoice.issued", created_at=T0)
    paid = await add_message(engine, tenant, event_type="invoice.payment_recorded", created_at=T0 + timedelta(hours=1))
    first = await add_delivery(engine, tenant, issued, endpoint["id"], attempts=2)
    failed = await add_attempt(
        engine,
        tenant,
        first,
        attempt=1,
        attempted_at=T0,
        outcome="failed",
        status_code=503,
        duration_ms=1200,
        response_excerpt="Service Unavailable",
        error="HTTP 503",
    )
    retried = await add_attempt(engine, tenant, first, attempt=2, attempted_at=T0 + timedelta(seconds=5))
    refused = await add_attempt(
        engine,
        tenant,
        await add_delivery(engine, tenant, paid, endpoint["id"], state="pending"),
        attempted_at=T0 + timedelta(hours=1),
        outcome="failed",
        status_code=None,
        duration_ms=10_000,
        response_excerpt=None,
        error="timed out after 10 s",
    )
    await add_attempt(engine, tenant, await add_delivery(engine, tenant, issued, other["id"]))  # not this endpoint's

    response = await tenant.get(f"/webhook-endpoints/{endpoint['id']}/deliveries", params={"limit": 2})
    assert response.status_code == 200, response.text
    page = response.json()
    assert [row["id"] for row in page["data"]] == [refused["id"], retried["id"]]
    assert page["data"][0] == {
        "id": refused["id"],
        "message_id": f"msg_{paid['public_id']}",
        "event_type": "invoice.payment_recorded",
        "attempt": 1,
        "attempted_at": "2026-03-01T10:00:00Z",
        "outcome": "failed",
        "status_code": None,
        "duration_ms": 10_000,
        "response_excerpt": None,
        "error": "timed out after 10 s",
    }
    assert page["meta"]["has_more"] is True
    rest = await tenant.get(
        f"/webhook-endpoints/{endpoint['id']}/deliveries", params={"limit": 2, "cursor": page["meta"]["next_cursor"]}
    )
    assert [row["id"] for row in rest.json()["data"]] == [failed["id"]]
    assert rest.json()["data"][0]["message_id"] == f"msg_{issued['public_id']}"
    assert rest.json()["data"][0]["status_code"] == 503
    assert rest.json()["meta"]["has_more"] is False


async def test_the_log_of_a_missing_endpoint_is_404(tenant: Tenant) -> None:
    response = await tenant.get("/webhook-endpoints/999999999/deliveries")
    assert response.status_code == 404
    assert response.json()["code"] == "webhook_endpoint_not_found"


async def test_replaying_one_message_makes_its_delivery_pending_due_now_with_no_attempts_or_lease(
    engine: AsyncEngine, tenant: Tenant
) -> None:
    endpoint = await create_endpoint(tenant)
    message = await add_message(engine, tenant, created_at=T0)
    delivered = await add_delivery(engine, tenant, message, endpoint["id"], attempts=3)
    before = datetime.now(UTC)
    response = await tenant.post(
        f"/webhook-endpoints/{endpoint['id']}/replay", json={"message_id": f"msg_{message['public_id']}"}
    )
    assert response.status_code == 202, response.text
    assert response.json()["data"] == {"queued": 1}
    [delivery] = await deliveries_of(engine, tenant, endpoint["id"])
    assert delivery["id"] == delivered["id"]
    assert (delivery["state"], delivery["attempts"], delivery["leased_by"], delivery["leased_until"]) == (
        "pending",
        0,
        None,
        None,
    )
    assert delivery["completed_at"] is None
    assert before <= delivery["next_attempt_at"] <= datetime.now(UTC)


async def test_replaying_a_message_the_endpoint_never_had_makes_its_delivery(
    engine: AsyncEngine, tenant: Tenant
) -> None:
    endpoint = await create_endpoint(tenant)
    message = await add_message(engine, tenant, created_at=T0)  # fanned out before the endpoint existed
    response = await tenant.post(
        f"/webhook-endpoints/{endpoint['id']}/replay", json={"message_id": f"msg_{message['public_id']}"}
    )
    assert response.json()["data"] == {"queued": 1}
    [delivery] = await deliveries_of(engine, tenant, endpoint["id"])
    assert (delivery["message_id"], delivery["state"], delivery["attempts"]) == (message["id"], "pending", 0)
    assert delivery["message_created_at"] == T0
    assert len(delivery["public_id"]) == 24


async def test_replaying_since_a_time_takes_every_matching_message_from_then_oldest_first(
    engine: AsyncEngine, tenant: Tenant
) -> None:
    endpoint = await create_endpoint(tenant, event_types=["invoice.issued", "invoice.voided"])
    before_since = await add_message(engine, tenant, created_at=T0 - timedelta(seconds=1))
    at_since = await add_message(engine, tenant, created_at=T0)
    unwanted = await add_message(engine, tenant, event_type="invoice.sent", created_at=T0 + timedelta(minutes=1))
    later = await add_message(engine, tenant, event_type="invoice.voided", created_at=T0 + timedelta(minutes=2))
    await add_message(engine, tenant, kind="email", event_type="invoice.issued", created_at=T0 + timedelta(minutes=3))
    not_fanned = await add_message(engine, tenant, created_at=T0 + timedelta(minutes=4), fanned_out=False)
    await add_delivery(engine, tenant, later, endpoint["id"], state="failed", attempts=10)

    response = await tenant.post(
        f"/webhook-endpoints/{endpoint['id']}/replay", json={"since": "2026-03-01T10:00:00+01:00"}
    )
    assert response.status_code == 202, response.text
    # at_since, later, and not_fanned (whose delivery the worker's fan-out still makes).
    assert response.json()["data"] == {"queued": 3}
    deliveries = await deliveries_of(engine, tenant, endpoint["id"])
    assert [row["message_id"] for row in deliveries] == [at_since["id"], later["id"]]
    assert {(row["state"], row["attempts"]) for row in deliveries} == {("pending", 0)}
    assert before_since["id"] not in {row["message_id"] for row in deliveries}
    assert unwanted["id"] not in {row["message_id"] for row in deliveries}
    assert not_fanned["id"] not in {row["message_id"] for row in deliveries}


async def test_replays_take_at_most_the_cap(
    engine: AsyncEngine, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "MAX_REPLAY", 2)
    endpoint = await create_endpoint(tenant)
    made = [await add_message(engine, tenant, created_at=T0 + timedelta(seconds=second)) for second in range(3)]
    response = await tenant.post(f"/webhook-endpoints/{endpoint['id']}/replay", json={"since": "2026-03-01T09:00:00Z"})
    assert response.json()["data"] == {"queued": 2}
    assert [row["message_id"] for row in await deliveries_of(engine, tenant, endpoint["id"])] == [
        made[0]["id"],
        made[1]["id"],
    ]
    assert MAX_REPLAY == 10_000


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, ["message_id", "since"]),
        ({"message_id": "msg_0123456789abcdef01234567", "since": "2026-03-01T09:00:00Z"}, ["message_id", "since"]),
        ({"message_id": None}, ["message_id"]),
        ({"since": None}, ["since"]),
        ({"message_id": "0123456789abcdef01234567"}, ["message_id"]),
        ({"message_id": "msg_0123456789ABCDEF01234567"}, ["message_id"]),
        ({"since": "2026-03-01"}, ["since"]),
        ({"since": "1700000000"}, ["since"]),
        ({"since": "2026-03-01T09:00:00"}, ["since"]),  # no time zone
        ({"since": "0001-01-01T00:00:00Z"}, ["since"]),
        ({"until": "2026-03-01T09:00:00Z"}, ["until"]),
    ],
)
async def test_a_bad_replay_is_refused_naming_the_fields_and_changes_nothing(
    engine: AsyncEngine, tenant: Tenant, body: dict[str, object], fields: list[str]
) -> None:
    endpoint = await create_endpoint(tenant)
    message = await add_message(engine, tenant, created_at=T0)
    await add_delivery(engine, tenant, message, endpoint["id"])
    before = await rows_of(engine, tenant.id)
    response = await tenant.post(f"/webhook-endpoints/{endpoint['id']}/replay", json=body)
    assert response.status_code == 422, response.text
    assert sorted(response.json()["errors"]) == fields
    assert await rows_of(engine, tenant.id) == before


async def test_replaying_an_unknown_or_foreign_or_email_message_is_404(
    engine: AsyncEngine, tenant: Tenant, other_tenant: Tenant
) -> None:
    endpoint = await create_endpoint(tenant)
    theirs = await add_message(engine, other_tenant, created_at=T0)
    email = await add_message(engine, tenant, kind="email", created_at=T0)
    before = await rows_of(engine, tenant.id)
    for public_id in ("0123456789abcdef01234567", theirs["public_id"], email["public_id"]):
        response = await tenant.post(
            f"/webhook-endpoints/{endpoint['id']}/replay", json={"message_id": f"msg_{public_id}"}
        )
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "webhook_message_not_found"
    assert await rows_of(engine, tenant.id) == before


async def test_replaying_a_message_the_endpoint_does_not_subscribe_to_is_refused(
    engine: AsyncEngine, tenant: Tenant
) -> None:
    endpoint = await create_endpoint(tenant, event_types=["invoice.voided"])
    message = await add_message(engine, tenant, event_type="invoice.issued", created_at=T0)
    before = await rows_of(engine, tenant.id)
    response = await tenant.post(
        f"/webhook-endpoints/{endpoint['id']}/replay", json={"message_id": f"msg_{message['public_id']}"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "event_type_not_subscribed"
    assert list(response.json()["errors"]) == ["message_id"]
    assert await rows_of(engine, tenant.id) == before


async def test_a_disabled_endpoint_is_not_replayed_to(engine: AsyncEngine, tenant: Tenant) -> None:
    endpoint = await create_endpoint(tenant, enabled=False)
    await add_message(engine, tenant, created_at=T0)
    before = await rows_of(engine, tenant.id)
    response = await tenant.post(f"/webhook-endpoints/{endpoint['id']}/replay", json={"since": "2026-01-01T00:00:00Z"})
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "webhook_endpoint_disabled"
    assert await rows_of(engine, tenant.id) == before


async def test_a_replay_on_a_stale_etag_is_refused(engine: AsyncEngine, tenant: Tenant) -> None:
    endpoint = await create_endpoint(tenant)
    await add_message(engine, tenant, created_at=T0)
    before = await rows_of(engine, tenant.id)
    response = await tenant.post(
        f"/webhook-endpoints/{endpoint['id']}/replay",
        json={"since": "2026-01-01T00:00:00Z"},
        headers={"If-Match": '"v7"'},
    )
    assert response.status_code == 412, response.text
    assert await rows_of(engine, tenant.id) == before
