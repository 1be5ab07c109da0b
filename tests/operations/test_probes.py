"""/healthz and /readyz (issue 13, acceptance 5): alive without the database; ready only when
the database answers and its schema is at the latest migration, else 503 naming why."""

from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.config import Settings
from invoicing.core.clock import utc_now
from invoicing.core.db import create_engine, transaction
from invoicing.core.migrate import upgrade_async
from invoicing.operations.readiness import head_revisions
from invoicing.outbox.tables import worker_heartbeats
from invoicing.outbox.worker import Worker
from tests.operations.support import app_client

# Nothing listens on port 1: connecting is refused at once.
DEAD_POSTGRES = "postgresql://postgres@127.0.0.1:1/invoicing"


async def test_healthz_answers_without_touching_the_database() -> None:
    engine = create_engine(DEAD_POSTGRES)
    async with app_client(engine) as (_, client):
        response = await client.get("/healthz")
    await engine.dispose()
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def _no_heartbeats(engine: AsyncEngine) -> None:
    async with transaction(engine, write=True) as connection:
        await connection.execute(worker_heartbeats.delete())


async def test_readyz_is_ready_on_a_migrated_database_with_a_worker_beating(
    client: httpx.AsyncClient, app_engine: AsyncEngine
) -> None:
    await Worker(app_engine, Settings()).beat()
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    checks = {"database": {"ok": True}, "migrations": {"ok": True}, "worker_heartbeat": {"ok": True}}
    assert response.json() == {"status": "ready", "checks": checks}


async def test_readyz_answers_503_when_no_worker_delivers(
    client: httpx.AsyncClient, engine: AsyncEngine, app_engine: AsyncEngine
) -> None:
    await _no_heartbeats(engine)
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker_heartbeat"]["reason"].startswith("no outbox worker is running")
    async with transaction(engine, write=True) as connection:
        stale = utc_now() - timedelta(minutes=2)
        values = {"worker_id": "gone", "hostname": "h", "pid": 1, "started_at": stale, "beat_at": stale}
        await connection.execute(worker_heartbeats.insert().values(**values))
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker_heartbeat"]["reason"] == "no outbox worker heartbeat for 120 s"
    await _no_heartbeats(engine)


async def test_without_requiring_a_worker_readyz_asks_for_none(app_engine: AsyncEngine) -> None:
    async with app_client(app_engine, readiness_requires_worker=False) as (_, client):
        response = await client.get("/readyz")
    assert "worker_heartbeat" not in response.json()["checks"]


async def test_readyz_answers_503_naming_an_unreachable_database() -> None:
    engine = create_engine(DEAD_POSTGRES)
    async with app_client(engine, readiness_timeout_seconds=2) as (_, client):
        response = await client.get("/readyz")
    await engine.dispose()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready"
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["database"]["reason"]
    assert body["detail"].startswith("database: ")


async def test_readyz_answers_503_when_a_migration_is_pending(tmp_path: Path) -> None:
    (head,) = head_revisions()
    previous = f"{int(head) - 1:04d}"
    url = f"sqlite:///{tmp_path / 'behind.db'}"
    await upgrade_async(url, previous)
    engine = create_engine(url)
    async with app_client(engine, database_url=url) as (_, client):
        response = await client.get("/readyz")
    await engine.dispose()
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["migrations"] == {"ok": False, "reason": f"migration pending: at {previous}, head {head}"}


async def test_a_check_added_by_another_feature_is_run_and_named(app_engine: AsyncEngine) -> None:
    async def worker_heartbeat(state: object) -> str | None:
        return "no heartbeat for 45 s"

    async with app_client(app_engine) as (app, client):
        app.state.readiness_checks["worker_heartbeat"] = worker_heartbeat
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker_heartbeat"] == {"ok": False, "reason": "no heartbeat for 45 s"}
    assert response.json()["detail"] == "worker_heartbeat: no heartbeat for 45 s"


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
async def test_probes_are_not_rate_limited_nor_in_the_api_document(app_engine: AsyncEngine, path: str) -> None:
    limited = {"rate_limit_per_second": 1, "rate_limit_burst": 1, "readiness_requires_worker": False}
    async with app_client(app_engine, **limited) as (_, client):
        statuses = {(await client.get(path)).status_code for _ in range(5)}
        document = (await client.get("/api/openapi.json")).json()
    assert statuses == {200}
    assert path not in document["paths"]
