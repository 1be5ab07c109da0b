"""Finding 5 of issue 10: one default series per tenant, held by the database, on both databases."""

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.core.clock import utc_now
from invoicing.core.db import create_engine, transaction
from invoicing.core.ids import new_public_id
from invoicing.core.migrate import upgrade_async
from invoicing.series.tables import series
from tests.concurrency import all_at_once
from tests.conftest import POSTGRES_ADMIN_URL, Tenant, _admin

NAMES = [f"S0{n}" for n in range(10)]


async def _defaults(tenant: Tenant) -> list[str]:
    response = await tenant.get("/series")
    assert response.status_code == 200, response.text
    # Invoice series: credit-note series have their own default (migration 0011).
    return [item["name"] for item in response.json()["data"] if item["is_default"] and item["kind"] == "invoice"]


async def test_ten_simultaneous_new_defaults_all_succeed_and_leave_exactly_one_default(tenant: Tenant) -> None:
    calls = [tenant.post("/series", json={"name": name, "is_default": True}) for name in NAMES]
    responses = await all_at_once(calls)

    assert [response.status_code for response in responses] == [201] * len(NAMES)
    defaults = await _defaults(tenant)
    assert len(defaults) == 1
    assert defaults[0] in NAMES
    draft = await tenant.create_draft()
    assert draft["series_name"] == defaults[0]


async def test_a_new_default_series_takes_the_role_and_the_old_one_says_when_it_lost_it(tenant: Tenant) -> None:
    before = {item["name"]: item for item in (await tenant.get("/series")).json()["data"]}
    (old_name,) = [name for name, item in before.items() if item["is_default"] and item["kind"] == "invoice"]

    created = await tenant.post("/series", json={"name": "NEW", "is_default": True})
    assert created.status_code == 201, created.text

    after = {item["name"]: item for item in (await tenant.get("/series")).json()["data"]}
    assert await _defaults(tenant) == ["NEW"]
    assert after[old_name]["updated_at"] > before[old_name]["updated_at"]


async def test_a_non_default_series_leaves_the_default_where_it_was(tenant: Tenant) -> None:
    (old_default,) = await _defaults(tenant)
    created = await tenant.post("/series", json={"name": "EXP", "is_default": False})
    assert created.status_code == 201, created.text
    assert await _defaults(tenant) == [old_default]


async def test_the_database_refuses_a_second_default_written_behind_the_service_back(
    engine: AsyncEngine, tenant: Tenant
) -> None:
    now = utc_now()
    with pytest.raises(IntegrityError):
        async with transaction(engine, write=True) as connection:
            await connection.execute(
                insert(series).values(
                    tenant_id=tenant.id,
                    public_id=new_public_id(),
                    name="TWO",
                    is_default=True,
                    created_at=now,
                    updated_at=now,
                )
            )
    assert len(await _defaults(tenant)) == 1


@pytest.fixture
async def database_at_0005(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """A scratch database migrated only up to 0005, before the index existed."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path}/before_0006.db"
        await upgrade_async(url, "0005")
        yield url
        return
    name = f"invoicing_test_{uuid.uuid4().hex[:12]}"
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        await upgrade_async(url, "0005")
        yield url
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_migration_0006_keeps_the_lowest_id_default_and_clears_the_others(database_at_0005: str) -> None:
    engine = create_engine(database_at_0005)
    try:
        async with transaction(engine, write=True) as connection:
            # Written as 0005's schema has them: today's services would write today's columns.
            now = utc_now()
            tenant_id = (
                await connection.execute(
                    text(
                        "INSERT INTO tenants (public_id, name, tax_number, base_currency, timezone, created_at,"
                        " updated_at) VALUES (:public_id, 'Before 0006', '1', 'TRY', 'Europe/Istanbul', :now, :now)"
                        " RETURNING id"
                    ),
                    {"public_id": new_public_id(), "now": now},
                )
            ).scalar_one()
            tenant = {"id": tenant_id}
            for name in ("INV", "AAA", "BBB"):
                values = {"public_id": new_public_id(), "name": name, "is_default": True}
                await connection.execute(
                    insert(series).values(tenant_id=tenant["id"], created_at=now, updated_at=now, **values)
                )
        await upgrade_async(database_at_0005)
        async with transaction(engine, write=False) as connection:
            rows = await connection.execute(
                select(series.c.name, series.c.is_default)
                .where(series.c.tenant_id == tenant["id"])
                .order_by(series.c.id)
            )
            # 0011 then gives the tenant its default credit-note series, beside the invoices' one.
            assert [tuple(row) for row in rows] == [("INV", True), ("AAA", False), ("BBB", False), ("CRN", True)]
    finally:
        await engine.dispose()
