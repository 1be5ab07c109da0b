"""/metrics (issue 13, acceptance 5): the series parse and carry route templates, statuses,
committed lifecycle transitions, the pool, and values samplers read at scrape time.

The registry is the process's: counters only grow, so tests compare before and after."""

from datetime import UTC, datetime, timedelta

import httpx
from prometheus_client import Gauge
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.datastructures import State

from invoicing.operations import metrics
from tests.conftest import Tenant
from tests.operations.support import app_client, scrape, value
from tests.outbox.receiver import receiver
from tests.outbox.support import add_endpoint, settle_earlier_work, worker_for

INVOICE_ROUTE = "/api/v1/invoices/{invoice_id}"


async def test_requests_are_counted_by_route_template_method_and_status(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    draft = await tenant.create_draft()
    before = await scrape(client)
    assert (await tenant.get(f"/invoices/{draft['id']}")).status_code == 200
    assert (await tenant.get("/invoices/999999999")).status_code == 404
    after = await scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("invoicing_http_requests_total", route=INVOICE_ROUTE, method="GET", status="200") == 1
    assert delta("invoicing_http_requests_total", route=INVOICE_ROUTE, method="GET", status="404") == 1
    assert delta("invoicing_http_request_duration_seconds_count", route=INVOICE_ROUTE, method="GET") == 2
    assert delta("invoicing_http_request_duration_seconds_bucket", route=INVOICE_ROUTE, method="GET", le="+Inf") == 2
    # Never the raw path: the id is not a label value.
    assert not any(f"/invoices/{draft['id']}" in dict(labels).get("route", "") for _, labels in after)


async def test_committed_transitions_are_counted_by_action_and_refused_ones_are_not(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    draft = await tenant.create_draft()
    before = await scrape(client)
    await tenant.issue(draft["id"])
    assert (await tenant.post(f"/invoices/{draft['id']}/send")).status_code == 200
    assert (await tenant.post(f"/invoices/{draft['id']}/revert-cancel")).status_code == 422
    after = await scrape(client)
    for action, expected in (("issue", 1), ("send", 1), ("revert_cancel", 0)):
        name = "invoicing_invoice_transitions_total"
        assert value(after, name, action=action) - value(before, name, action=action) == expected, action


async def test_the_pool_is_exposed(client: httpx.AsyncClient) -> None:
    page = await scrape(client)
    assert ("invoicing_db_pool_connections_in_use", frozenset()) in page


# A gauge a feature would set from the database at scrape time (module level: registered once).
SAMPLED = Gauge("invoicing_test_sampled_value", "Set by the test's sampler.")


async def test_samplers_run_before_each_scrape_and_a_failing_one_spoils_nothing(app_engine: AsyncEngine) -> None:
    async def sampler(state: State) -> None:
        SAMPLED.set(3)

    def broken_sampler(state: State) -> None:
        raise RuntimeError("table missing")

    async with app_client(app_engine) as (app, client):
        app.state.metrics_samplers += [broken_sampler, sampler]
        page = await scrape(client)
    assert value(page, "invoicing_test_sampled_value") == 3


async def test_the_pool_gauge_follows_checkouts(database_url: str) -> None:
    from invoicing.core.db import create_engine

    engine = create_engine(database_url)
    metrics.track_pool(engine)
    baseline = metrics.DB_POOL_IN_USE._value.get()
    async with engine.connect():
        assert metrics.DB_POOL_IN_USE._value.get() == baseline + 1
    assert metrics.DB_POOL_IN_USE._value.get() == baseline
    await engine.dispose()


async def test_metrics_token_when_set_is_required_as_a_bearer(app_engine: AsyncEngine) -> None:
    secret = "scrape-secret-0123456789"
    async with app_client(app_engine, metrics_token=secret) as (_, client):
        missing = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer not-the-secret-000000"})
        page = await scrape(client, Authorization=f"Bearer {secret}")
    assert missing.status_code == wrong.status_code == 401
    assert missing.json()["code"] == "metrics_token_required"
    assert ("invoicing_db_pool_connections_in_use", frozenset()) in page


async def test_the_outbox_depth_oldest_age_heartbeat_and_deliveries_are_exposed(
    client: httpx.AsyncClient, engine: AsyncEngine, app_engine: AsyncEngine, tenant: Tenant
) -> None:
    await settle_earlier_work(engine)
    empty = await scrape(client)
    assert value(empty, "invoicing_outbox_depth") == 0
    assert value(empty, "invoicing_outbox_oldest_age_seconds") == 0
    await tenant.issue((await tenant.create_draft())["id"])  # two events: two messages waiting
    waiting = await scrape(client)
    assert value(waiting, "invoicing_outbox_depth") == 2
    assert value(waiting, "invoicing_outbox_oldest_age_seconds") > 0
    with receiver() as hooks:
        await add_endpoint(engine, tenant, hooks.url, created_at=datetime.now(UTC) - timedelta(minutes=1))
        worker = worker_for(app_engine)
        await worker.beat()
        await worker.run_until_idle()
    done = await scrape(client)
    assert value(done, "invoicing_outbox_depth") == 0
    delivered = "invoicing_outbox_deliveries_total"
    assert (
        value(done, delivered, kind="webhook", result="delivered")
        - value(waiting, delivered, kind="webhook", result="delivered")
        == 2
    )
    assert 0 <= value(done, "invoicing_worker_heartbeat_age_seconds") < 30
