"""Fixtures: every database test runs on SQLite and on PostgreSQL.

Tests isolate themselves by tenant: each makes its own with `make_tenant`, so nothing needs
truncating and the suite exercises tenant scoping all the time. PostgreSQL tests skip (with the
reason in the summary) only when no server is reachable and CI is unset; under CI they fail.
"""

import asyncio
import atexit
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.app import create_app
from invoicing.auth.scopes import ALL_SCOPES
from invoicing.auth.service import create_token
from invoicing.config import Settings
from invoicing.core.db import APP_ROLE, create_engine, transaction
from invoicing.core.migrate import upgrade
from invoicing.core.tables import metadata
from invoicing.hotpath.pool import open_pool
from invoicing.tenants.service import create_tenant

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# Every app the tests make (some at import time) seals webhook secrets with a key file made on
# first use; it goes to a directory of this run's, never into the checkout's var/.
if "SECRET_KEY_FILE" not in os.environ:
    _KEY_DIRECTORY = tempfile.mkdtemp(prefix="invoicing-test-")
    atexit.register(shutil.rmtree, _KEY_DIRECTORY, ignore_errors=True)
    os.environ["SECRET_KEY_FILE"] = str(Path(_KEY_DIRECTORY) / "secret_key")


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):  # a pytest-xdist worker (`make test` runs the suite in several)
        # Python 3.11 counts the JSON parser's recursion against the interpreter's limit, so a body
        # 900 levels deep parses only with the stack a plain pytest run has left
        # (tests/test_highlevel_deep_json.py); give back the frames execnet and xdist add below pytest.
        sys.setrecursionlimit(sys.getrecursionlimit() + _frames_below_pytest())


def _frames_below_pytest() -> int:
    worker_code = (f"{os.sep}execnet{os.sep}", f"{os.sep}xdist{os.sep}")
    frame, count = sys._getframe(), 0
    while frame is not None:
        filename = frame.f_code.co_filename  # "<string>": the worker's bootstrap, sent by execnet
        count += filename == "<string>" or any(part in filename for part in worker_code)
        frame = frame.f_back
    return count


def _postgres_reachable() -> str | None:
    async def probe() -> None:
        connection = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=3)
        await connection.close()

    try:
        asyncio.run(probe())
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        return f"{type(error).__name__}: {error}"
    return None


async def _admin(sql: str) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=10)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


# The session's SQLite database commits at every write request, each commit an fsync
# (synchronous=FULL): on tmpfs it costs nothing, and what a transaction sees stays as it is.
# Durability is the crash test's to check (scripts/crash_test.py), on databases of its own.
RAM_DISK = Path("/dev/shm")  # noqa: S108 (a directory of our own is made in it, mkdtemp's)
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")  # gw0, gw1...: names each worker's databases


@contextmanager
def sqlite_directory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if not (RAM_DISK.is_dir() and os.access(RAM_DISK, os.W_OK)):
        yield tmp_path_factory.mktemp("sqlite")
        return
    directory = Path(tempfile.mkdtemp(prefix=f"invoicing-test-{XDIST_WORKER}-", dir=RAM_DISK))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        with sqlite_directory(tmp_path_factory) as directory:
            url = f"sqlite:///{directory / 'invoicing.db'}"
            upgrade(url)
            yield url
        return
    problem = _postgres_reachable()
    if problem is not None:
        message = f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL} ({problem})"
        if IN_CI:
            pytest.fail(f"{message}; CI requires the PostgreSQL suite")
        pytest.skip(f"{message}: PostgreSQL tests skipped")
    name = f"invoicing_test_{XDIST_WORKER}_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def backend(database_url: str) -> str:
    return "postgresql" if database_url.startswith("postgresql") else "sqlite"


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The login user's engine (the tables' owner, here a superuser): fixtures set up and inspect through it."""
    engine = create_engine(database_url, pool_size=20)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
async def app_engine(database_url: str, backend: str, engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """The app's engine: on PostgreSQL it acts as APP_ROLE, held to row-level security, as `invoicing serve` does."""
    if backend == "sqlite":
        yield engine
        return
    app_engine = create_engine(database_url, pool_size=20, role=APP_ROLE)
    yield app_engine
    await app_engine.dispose()


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    # The shared app serves whole suites (schemathesis alone sends thousands of requests with one
    # token, and thousands of 401s), so its rate limits are off; tests/test_limits.py and
    # tests/test_rate_limit_credentials.py check them on apps of their own.
    # No worker inside the shared app (schemathesis runs its lifespan): the delivery tests run
    # their own, and one here would e-mail every other test's sent invoices.
    return Settings(
        database_url=database_url, rate_limit_per_second=0, auth_failures_per_minute=0, delivery_in_server="off"
    )


@pytest.fixture(scope="session")
async def hot_pool(database_url: str, backend: str, settings: Settings) -> AsyncIterator[asyncpg.Pool | None]:
    """The hot path's pool, as the lifespan opens it (PostgreSQL; HOT_PATH=false runs the suite without)."""
    if backend == "sqlite" or not settings.hot_path:
        yield None
        return
    pool = await open_pool(database_url, size=20)
    assert pool is not None, "upgrade() installs the hot path's functions"
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
def app(settings: Settings, app_engine: AsyncEngine, hot_pool: asyncpg.Pool | None) -> FastAPI:
    application = create_app(settings)
    # ASGITransport does not run the lifespan: what it would open is given here.
    application.state.engine = app_engine
    application.state.hot_pool = hot_pool
    return application


@pytest.fixture(scope="session")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=60) as http:
        yield http


@dataclass(frozen=True)
class Tenant:
    id: int
    public_id: str
    token: str
    client: httpx.AsyncClient

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "X-Tenant": str(self.id)}

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return await self.client.request(method, f"/api/v1{path}", headers=headers, **kwargs)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PATCH", path, **kwargs)

    async def create_customer(self, **fields: Any) -> dict[str, Any]:
        response = await self.post("/customers", json={"first_name": "Ada", "last_name": "Lovelace", **fields})
        assert response.status_code == 201, response.text
        return dict(response.json()["data"])

    async def create_draft(self, **fields: Any) -> dict[str, Any]:
        if "customer_id" not in fields:
            fields["customer_id"] = (await self.create_customer())["id"]
        fields.setdefault("lines", [{"name": "Work", "quantity": "2", "unit_price": "50.00", "vat_rate_percent": "20"}])
        response = await self.post("/invoices", json=fields)
        assert response.status_code == 201, response.text
        return dict(response.json()["data"])

    async def issue(self, invoice_id: int) -> dict[str, Any]:
        response = await self.post(f"/invoices/{invoice_id}/issue")
        assert response.status_code == 200, response.text
        return dict(response.json()["data"])


async def new_tenant(
    engine: AsyncEngine,
    client: httpx.AsyncClient,
    *,
    name: str = "Test tenant",
    currency: str = "TRY",
    scopes: tuple[str, ...] = ALL_SCOPES,
) -> Tenant:
    async with transaction(engine, write=True) as connection:
        row = await create_tenant(connection, name=name, base_currency=currency, tax_number="1234567890")
        token = await create_token(connection, tenant_id=row["id"], scopes=scopes, expires_in=None)
    return Tenant(id=row["id"], public_id=row["public_id"], token=token.token, client=client)


@pytest.fixture
async def tenant(engine: AsyncEngine, client: httpx.AsyncClient) -> Tenant:
    return await new_tenant(engine, client, name="Tenant A")


@pytest.fixture
async def other_tenant(engine: AsyncEngine, client: httpx.AsyncClient) -> Tenant:
    return await new_tenant(engine, client, name="Tenant B")


def tenant_owned_tables() -> list[Table]:
    return [table for table in metadata.sorted_tables if "tenant_id" in table.c]


async def rows_of(engine: AsyncEngine, tenant_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the tenant owns (invoices, lines, events, customers, series...), in key order."""
    async with transaction(engine, write=False) as connection:
        snapshot = {}
        for table in tenant_owned_tables():
            statement = select(table).where(table.c.tenant_id == tenant_id).order_by(*table.primary_key.columns)
            snapshot[table.name] = [tuple(row) for row in await connection.execute(statement)]
        return snapshot


FIXTURES = Path(__file__).parent / "fixtures"
