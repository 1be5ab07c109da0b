"""Webhook delivery by the worker, to a real HTTP receiver on a free port (issue 13, acceptance 1):
every signature verifies with the `standardwebhooks` package, every event of a scripted
lifecycle arrives exactly once by webhook-id, retries follow the Standard Webhooks schedule
(on a fake clock) and honour Retry-After, 410 and five days of failures disable the endpoint,
redirects are not followed, and a dead worker's claim runs out and is delivered by another."""

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.core.db import transaction
from invoicing.outbox.schedule import MAX_ATTEMPTS, RETRY_SCHEDULE
from invoicing.webhooks import targets
from invoicing.webhooks.secrets import new_secret, seal
from invoicing.webhooks.tables import webhook_endpoints
from tests.conftest import Tenant
from tests.outbox.lifecycle_script import run_lifecycle
from tests.outbox.receiver import Script, receiver
from tests.outbox.support import (
    FakeClock,
    add_endpoint,
    attempts_of,
    deliveries_of,
    messages_of,
    verified,
    worker_for,
)


async def _one_event(tenant: Tenant) -> dict[str, object]:
    """An issued invoice: two events (created, issued)."""
    return await tenant.issue((await tenant.create_draft())["id"])


async def _endpoint_row(engine: AsyncEngine, endpoint_id: int) -> dict[str, object]:
    async with transaction(engine, write=False) as connection:
        row = (
            await connection.execute(webhook_endpoints.select().where(webhook_endpoints.c.id == endpoint_id))
        ).mappings()
        return dict(row.one())


async def test_every_event_of_a_lifecycle_arrives_signed_and_once_by_webhook_id(
    engine: AsyncEngine, app_engine: AsyncEngine, tenant: Tenant, tmp_path: object
) -> None:
    with receiver() as hooks:
        _, secret = await add_endpoint(engine, tenant, hooks.url)
        await run_lifecycle(tenant)
        worker = worker_for(app_engine, mail_dir=tmp_path)
        await worker.run_until_idle()
        received = hooks.received
    webhooks = [m for m in await messages_of(engine, tenant) if m["kind"] == "webhook"]
    by_id: dict[str, object] = {}
    for request in received:
        payload = verified(secret, request.body, request.headers)
        by_id.setdefault(request.headers["webhook-id"], payload)
    missing = [m["event_type"] for m in webhooks if f"msg_{m['public_id']}" not in by_id]
    assert missing == []
    assert set(by_id) == {f"msg_{m['public_id']}" for m in webhooks}
    for message in webhooks:
        assert by_id[f"msg_{message['public_id']}"] == json.loads(message["payload"])
    types = [json.loads(r.body)["type"] for r in received]
    assert "invoice.email_delivered" in types  # the send's e-mail went out, and said so
    assert all(r.headers["content-type"] == "application/json" for r in received)


async def test_an_endpoint_gets_only_the_types_it_asked_for_and_only_after_it_existed(
    engine: AsyncEngine, app_engine: AsyncEngine, tenant: Tenant
) -> None:
    with receiver() as issued_only, receiver() as late:
        await add_endpoint(engine, tenant, issued_only.url, event_types=["invoice.issued"])
        await _one_event(tenant)
        await add_endpoint(engine, tenant, late.url, created_at=datetime.now(UTC))
        await worker_for(app_engine).run_until_idle()
        assert [json.loads(r.body)["type"] for r in issued_only.received] == ["invoice.issued"]
        assert late.received == []


async def test_retries_follow_the_standard_webhooks_schedule_then_stop(
    engine: AsyncEngine, app_engine: AsyncEngine, tenant: Tenant
) -> None:
    clock = FakeClock()
    with receiver(Script(default=(500, {}, b"down"))) as hooks:
        _, secret = await add_endpoint(engine, tenant, hooks.url, event_types=["invoice.issued"])
        await _one_event(tenant)
        worker = worker_for(app_engine, clock)
        waits: list[timedelta] = []
        for attempt in range(1, MAX_ATTEMPTS + 1):
            assert await worker.run_once() == 1, f"attempt {attempt} was due"
            [delivery] = await deliveries_of(engine, tenant)
            assert delivery["attempts"] == attempt
            if attempt == MAX_ATTEMPTS:
                break
            waits.append(delivery["next_attempt_at"] - delivery["last_attempt_at"])
            clock.now = delivery["next_attempt_at"] - timedelta(milliseconds=1)
            assert await worker.run_once() == 0, "nothing is due before its time"
            clock.now = delivery["next_attempt_at"]
        received = hooks.received
    assert waits == list(RETRY_SCHEDULE[1:])
    assert delivery["state"] == "failed"
    assert len(received) == MAX_ATTEMPTS
    assert len({r.headers["webhook-id"] for r in received}) == 1  # the same message each time
    for request in received:
        verified(secret, request.body, request.headers)
    attempts = await attempts_of(engine, tenant)
    assert [a["attempt"] for a in attempts] == list(range(1, MAX_ATTEMPTS + 1))
    assert {a["status_code"] for a in attempts} == {500}
    assert attempts[0]["response_excerpt"] == "down"


async def test_a_retry_after_longer_than_the_schedule_is_honoured(
    engine: AsyncEngine, app_engine: AsyncEngine, tenant: Tenant
) -> None:
    clock = FakeClock()
    with receiver(Script(answers=[(503, {"Retry-After": "120"}, b"")])) as hooks:
        await add_endpoint(engine, tenant, hooks.url, event_types=["invoice.issued"])
        await _one_event(tenant)
        worker = worker_for(app_engine, clock)
        await worker.run_once()
        [delivery] = await deliveries_of(engine, tenant)
        assert delivery["next_attempt_at"] - delivery["last_attempt_at"] == timedelta(seconds=120)
        clock.advance(timedelta(seconds=119))
        assert await worker.run_once() == 0
        clock.advance(timedelta(seconds=1))
        assert await worker.run_once() == 1
        [delivery] = await deliveries_of(engine, tenant)
    assert delivery["state"] == "delivered"


async def test_410_gone_disables_the_endpoint_and_says_why(
    engine: AsyncEngine, app_engine: AsyncEngine, tenant: Tenant
) -> None:
    with receiver(Script(default=(410, {}, b""))) as hooks:
        endpoint_id, _ = await add_endpoint(engine, tenant, hooks.url, event_types=["invoice.issued"])
        await _one_event(tenant)
        worker = worker_for(app_engine)
        await worker.run_until_idle()
        await _one_event(tenant)  # after the endpoint was disabled: kept, not sent
        await worker.run_until_idle()
        assert len(hooks.received) == 1
    endpoint = await _endpoint_row(engine, endpoint_id)
    assert endpoint["enabled"] is False
    assert endpoint["disabled_reason"] == "gone"
    assert "410" in str(endpoint["disabled_detail"])
    assert endpoint["disabled_at"] is not None
    assert [d["state"] for d in await deliveries_of(engine, tenant)] == ["failed"]


async def test_an_endpoint_failing_for_five_days_is_disabled(
    engine: AsyncEngine, app_engine: AsyncEngine, tenant: Tenant
) -> None:
    clock = FakeClock()
    with receiver(Script(default=(500, {}, b""))) as hooks:
        endpoint_id, _ = await add_endpoint(engine, tenant, hooks.url, event_types=["invoice.issued"])
        worker = worker_for(app_engine, clock)
        await _one_event(tenant)
        await worker.run_once()
        started_failing = (await _endpoint_row(engine, endpoint_id))["failing_since"]
        assert started_failing is not None
        # Four days later another event fails too: still enabled.
        clock.advance(timedelta(days=4))
        await _one_event(tenant)
        await worker.run_until_idle()
        assert (await _endpoint_row(engine, endpoint_id))["enabled"] is True
        clock.advance(timedelta(days=1))
        await _one_event(tenant)
        await worker.run_until_idle()
    endpoint = await _endpoint_row(engine, endpoint_id)
    assert endpoint["enabled"] is False
    assert endpoint["disabled_reason"] == "failing"
    assert "5 days" in str(endpoint["disabled_detail"])
    assert endpoint["failing_since"] == started_failing


async def test_a_success_ends_a_run_of_failures(engine: AsyncEngine, app_engine: AsyncEngine, tenant: Tenant) -> None:
    clock = FakeClock()
    with receiver(Script(answers=[(500, {}, b"")])) as hooks:
        endpoint_id, _ = await add_endpoint(engine, tenant, hooks.url, event_types=["invoice.issued"])
        worker = worker_for(app_engine, clock)
        await _one_event(tenant)
        await worker.run_once()
        assert (await _endpoint_row(engine, endpoint_id))["failing_since"] is not None
        clock.advance(RETRY_SCHEDULE[1])
        await worker.run_once()
    assert (await _endpoint_row(engine, endpoint_id))["failing_since"] is None


async def test_a_redirect_is_not_followed(engine: AsyncEngine, app_engine: AsyncEngine, tenant: Tenant) -> None:
    with receiver() as elsewhere:
        with receiver(Script(default=(307, {"Location": elsewhere.url}, b""))) as hooks:
            await add_endpoint(engine, tenant, hooks.url, event_types=["invoice.issued"])
            await _one_event(tenant)
            await worker_for(app_engine).run_once()
            assert len(hooks.received) == 1
        assert elsewhere.received == []
    [attempt] = await attempts_of(engine, tenant)
    assert attempt["outcome"] == "failed"
    assert attempt["status_code"] == 307


async def test_a_dead_workers_claim_runs_out_and_another_delivers_the_same_message(
    engine: AsyncEngine, app_engine: AsyncEngine, tenant: Tenant
) -> None:
    clock = FakeClock()
    with receiver() as hooks:
        _, secret = await add_endpoint(engine, tenant, hooks.url, event_types=["invoice.issued"])
        await _one_event(tenant)
        dead, alive = worker_for(app_engine, clock), worker_for(app_engine, clock)
        [claimed] = await dead.claim(8)  # ...and the worker is killed before it delivers
        assert await alive.run_once() == 0, "a live lease is not taken"
        clock.advance(dead.options.lease + timedelta(seconds=1))
        assert await alive.run_once() == 1
        [request] = hooks.received
    assert request.headers["webhook-id"] == f"msg_{claimed.message_public_id}"
    verified(secret, request.body, request.headers)


async def test_released_claims_are_claimable_at_once(
    engine: AsyncEngine, app_engine: AsyncEngine, tenant: Tenant
) -> None:
    with receiver() as hooks:
        await add_endpoint(engine, tenant, hooks.url, event_types=["invoice.issued"])
        await _one_event(tenant)
        stopping, other = worker_for(app_engine), worker_for(app_engine)
        assert len(await stopping.claim(8)) == 1
        await stopping.release_held()
        assert await other.run_once() == 1
        assert len(hooks.received) == 1


async def test_during_a_rotation_both_secrets_sign(
    engine: AsyncEngine, app_engine: AsyncEngine, tenant: Tenant
) -> None:
    old, new = new_secret(), new_secret()
    with receiver() as hooks:
        endpoint_id, _ = await add_endpoint(engine, tenant, hooks.url, event_types=["invoice.issued"], secret=new)
        async with transaction(engine, write=True) as connection:
            await connection.execute(
                update(webhook_endpoints)
                .where(webhook_endpoints.c.id == endpoint_id)
                .values(
                    previous_secret_sealed=seal(old), previous_secret_expires_at=datetime.now(UTC) + timedelta(hours=1)
                )
            )
        await _one_event(tenant)
        clock = FakeClock()
        worker = worker_for(app_engine, clock)
        await worker.run_once()
        [request] = hooks.received
        assert len(request.headers["webhook-signature"].split(" ")) == 2
        verified(old, request.body, request.headers)
        verified(new, request.body, request.headers)
        # Once the window has passed, only the new secret signs.
        clock.advance(timedelta(hours=2))
        await _one_event(tenant)
        await worker.run_until_idle()
        last = hooks.received[-1]
    assert len(last.headers["webhook-signature"].split(" ")) == 1
    verified(new, last.body, last.headers)


async def test_the_running_worker_delivers_new_work_at_once_and_stops_gracefully(
    engine: AsyncEngine, app_engine: AsyncEngine, tenant: Tenant
) -> None:
    with receiver() as hooks:
        await add_endpoint(engine, tenant, hooks.url, event_types=["invoice.issued"])
        worker = worker_for(app_engine)
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop))
        await _one_event(tenant)
        for _ in range(200):
            if hooks.received:
                break
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.wait_for(running, 15)
        assert len(hooks.received) == 1
    [delivery] = await deliveries_of(engine, tenant)
    assert delivery["state"] == "delivered"
    assert delivery["leased_by"] is None


async def test_the_target_is_checked_again_at_delivery_time(
    engine: AsyncEngine, app_engine: AsyncEngine, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS may change after the endpoint was saved: at delivery the host now resolves to the
    cloud metadata address, and nothing is sent."""
    with receiver() as hooks:
        port = hooks.url.split(":")[2].split("/")[0]
        await add_endpoint(engine, tenant, f"http://hooks.example.test:{port}/hooks", event_types=["invoice.issued"])

        async def rebound(host: str, port: int) -> list[str]:
            return ["169.254.169.254"] if host == "hooks.example.test" else ["127.0.0.1"]

        monkeypatch.setattr(targets, "lookup", rebound)
        await _one_event(tenant)
        await worker_for(app_engine).run_once()
        assert hooks.received == []
    [attempt] = await attempts_of(engine, tenant)
    assert attempt["outcome"] == "failed"
    assert attempt["status_code"] is None
    assert "169.254.169.254" in str(attempt["error"])


async def test_a_host_name_is_delivered_to_the_address_it_was_approved_at(
    engine: AsyncEngine, app_engine: AsyncEngine, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection goes to the checked address, the host name stays in the Host header."""
    with receiver() as hooks:
        port = hooks.url.split(":")[2].split("/")[0]
        await add_endpoint(engine, tenant, f"http://hooks.example.test:{port}/hooks", event_types=["invoice.issued"])

        async def resolved(host: str, port: int) -> list[str]:
            return ["127.0.0.1"]

        monkeypatch.setattr(targets, "lookup", resolved)
        await _one_event(tenant)
        await worker_for(app_engine).run_once()
        [request] = hooks.received
    assert request.headers["host"] == f"hooks.example.test:{port}"


async def test_two_workers_at_once_share_the_work_and_deliver_each_message_once(
    engine: AsyncEngine, app_engine: AsyncEngine, tenant: Tenant
) -> None:
    with receiver() as hooks:
        await add_endpoint(engine, tenant, hooks.url, event_types=["invoice.issued"])
        for _ in range(20):
            await _one_event(tenant)
        first, second = worker_for(app_engine), worker_for(app_engine)
        made = await asyncio.gather(first.run_until_idle(), second.run_until_idle())
        ids = [request.headers["webhook-id"] for request in hooks.received]
    assert sum(made) == 20
    assert len(ids) == len(set(ids)) == 20
