"""Tenant isolation, the second wall: PostgreSQL row-level security under the application's filter.

The application scopes every query by tenant in one place (`TenantScopedRepository.tenant_filter`).
On PostgreSQL the service also acts as a role (`invoicing_app`) that owns no table, is no
superuser and has no BYPASSRLS, and every tenant-owned table has row-level security enabled
and forced, with a policy on the transaction's `app.tenant_id`. So:

- the catalogue says so (every table with a tenant_id column, the role's attributes);
- a "test build" whose tenant filter lets everything through still reads and writes nothing
  of another tenant's, over HTTP (every route, driven by tests/test_cross_tenant.py's table)
  and in raw SQL through the app's role;
- the same build on SQLite, which has no second wall, does leak: the bypass is real;
- the whole thing also works when the tables' owner is an ordinary role, not a superuser
  (FORCE then holds the owner too): migrations, every CLI command, the server.
"""

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg
import httpx
import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text, true
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from invoicing.app import create_app
from invoicing.cli import main
from invoicing.config import Settings, get_settings
from invoicing.core.db import APP_ROLE, UnsafeDatabaseRole, check_app_role, set_tenant, transaction
from invoicing.core.repository import TenantScopedRepository
from tests import test_cross_tenant as cross_tenant
from tests.conftest import POSTGRES_ADMIN_URL, Tenant, rows_of, tenant_owned_tables

# Unique keys on tenant-owned tables that do not start from tenant_id, and why they may not:
# the key is looked up before the tenant is known, and names it. Both values are random and
# made by the server, so a clash cannot be provoked to learn about another tenant. (The hosted
# invoice page's token is such a key too: the page is opened without credentials.)
GLOBAL_UNIQUE_KEYS = {
    ("access_tokens", ("token_hash",)),
    ("api_clients", ("client_id",)),
    ("invoices", ("hosted_token",)),
    ("user_sessions", ("token_hash",)),
}
LOOKUP_FUNCTIONS = {
    "invoicing_token_by_hash",
    "invoicing_client_by_client_id",
    "invoicing_invoice_by_hosted_token",
    "invoicing_outbox_due_tenants",
    "invoicing_outbox_stats",
    "invoicing_users_by_email",
    "invoicing_session_by_hash",
}


@pytest.fixture
def postgresql_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("row-level security is PostgreSQL's; SQLite has the application's filter only")


@pytest.fixture
def filter_bypassed(tenant: Tenant, other_tenant: Tenant, monkeypatch: pytest.MonkeyPatch) -> None:
    """The "test build": the application's one tenant filter matches every row of every tenant.

    Applied once the tenants exist (the fixtures make them as the superuser, whom no policy holds).
    """

    def no_filter(self: TenantScopedRepository, table: Any = None) -> ColumnElement[bool]:
        return true()

    monkeypatch.setattr(TenantScopedRepository, "tenant_filter", no_filter)


async def fetch(engine: AsyncEngine, sql: str, **params: Any) -> list[dict[str, Any]]:
    async with transaction(engine, write=False) as connection:
        return [dict(row) for row in (await connection.execute(text(sql), params)).mappings()]


# -- the catalogue -----------------------------------------------------------------------------


@pytest.mark.usefixtures("postgresql_only")
async def test_every_tenant_owned_table_has_row_level_security_enabled_and_forced(engine: AsyncEngine) -> None:
    tables = await fetch(
        engine,
        """
        SELECT c.relname AS name, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
          AND EXISTS (SELECT 1 FROM pg_attribute a
                      WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
        ORDER BY 1
        """,
    )
    assert {row["name"] for row in tables} == {table.name for table in tenant_owned_tables()}
    assert len(tables) >= 10
    unprotected = [row["name"] for row in tables if not (row["enabled"] and row["forced"])]
    assert not unprotected, f"row-level security not enabled and forced on {unprotected}"

    # The one policy that applies to the service on each: the current tenant's rows, both ways.
    policies = await fetch(
        engine,
        """
        SELECT tablename, policyname, cmd, qual, with_check FROM pg_policies
        WHERE schemaname = current_schema() AND (roles @> ARRAY['public']::name[] OR roles @> ARRAY[:role]::name[])
        """,
        role=APP_ROLE,
    )
    by_table = {row["tablename"]: row for row in policies}
    assert len(policies) == len(by_table), "more than one policy applies to the service on a table"
    for table in tables:
        policy = by_table[table["name"]]
        assert (policy["policyname"], policy["cmd"]) == ("tenant_isolation", "ALL")
        for expression in (policy["qual"], policy["with_check"]):
            assert "tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint" in expression
    # tenants has no tenant_id: the service reads and updates only the current tenant's row
    # (its profile: migration 0009), and nothing else.
    tenant_self = by_table["tenants"]
    assert (tenant_self["policyname"], tenant_self["cmd"]) == ("tenant_self", "ALL")
    for expression in (tenant_self["qual"], tenant_self["with_check"]):
        assert "id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::bigint" in expression
    grants = await fetch(
        engine,
        """
        SELECT privilege_type AS privilege, column_name AS column FROM information_schema.column_privileges
        WHERE table_schema = current_schema() AND table_name = 'tenants' AND grantee = :role
          AND privilege_type <> 'SELECT'
        """,
        role=APP_ROLE,
    )
    assert {(row["privilege"], row["column"]) for row in grants} == {
        ("UPDATE", column) for column in ("profile", "tax_number", "logo_sha256", "updated_at")
    }
    table_grants = await fetch(
        engine,
        """
        SELECT privilege_type AS privilege FROM information_schema.table_privileges
        WHERE table_schema = current_schema() AND table_name = 'tenants' AND grantee = :role
        """,
        role=APP_ROLE,
    )
    assert {row["privilege"] for row in table_grants} == {"SELECT"}


@pytest.mark.usefixtures("postgresql_only")
async def test_the_service_role_owns_nothing_is_no_superuser_and_cannot_bypass_rls(
    app: FastAPI, app_engine: AsyncEngine
) -> None:
    assert app.state.engine is app_engine
    [me] = await fetch(
        app_engine,
        """
        SELECT current_user AS role, r.rolsuper AS superuser, r.rolbypassrls AS bypass_rls, r.rolcreaterole,
               r.rolcreatedb,
               has_schema_privilege(current_user, current_schema(), 'CREATE') AS creates_in_schema,
               (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = current_schema() AND pg_has_role(current_user, c.relowner, 'MEMBER'))
                   AS owned_or_owners_member
        FROM pg_roles r WHERE r.rolname = current_user
        """,
    )
    assert me == {
        "role": APP_ROLE,
        "superuser": False,
        "bypass_rls": False,
        "rolcreaterole": False,
        "rolcreatedb": False,
        "creates_in_schema": False,
        "owned_or_owners_member": 0,
    }
    await check_app_role(app_engine)  # what `invoicing serve` checks before it serves


@pytest.mark.usefixtures("postgresql_only")
async def test_the_startup_check_refuses_a_role_that_rls_would_not_hold(engine: AsyncEngine) -> None:
    with pytest.raises(UnsafeDatabaseRole, match="is a superuser, has BYPASSRLS, owns tables"):
        await check_app_role(engine)  # the test server's login user: postgres


@pytest.mark.usefixtures("postgresql_only")
async def test_unique_keys_include_tenant_id_except_the_credential_lookups(engine: AsyncEngine) -> None:
    keys = await fetch(
        engine,
        """
        SELECT t.relname AS table_name, array_agg(a.attname ORDER BY k.ordinality) AS columns
        FROM pg_index i
        JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
        CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ordinality)
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
        WHERE i.indisunique AND n.nspname = current_schema()
        GROUP BY i.indexrelid, t.relname
        """,
    )
    tenant_tables = {table.name for table in tenant_owned_tables()}
    without_tenant = {
        (key["table_name"], tuple(key["columns"]))
        for key in keys
        if key["table_name"] in tenant_tables and "tenant_id" not in key["columns"]
    }
    assert without_tenant == GLOBAL_UNIQUE_KEYS


@pytest.mark.usefixtures("postgresql_only")
async def test_the_lookups_before_the_tenant_is_known_are_narrow_security_definer_functions(
    engine: AsyncEngine,
) -> None:
    functions = await fetch(
        engine,
        """
        SELECT p.proname AS name, p.prosecdef AS definer, p.proconfig AS config,
               pg_get_userbyid(p.proowner) AS owner, p.proacl::text[] AS acl
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = current_schema() AND p.prosecdef
        """,
    )
    assert {function["name"] for function in functions} == LOOKUP_FUNCTIONS
    for function in functions:
        assert any(setting.startswith("search_path=") for setting in function["config"])
        grantees = {entry.split("=")[0] for entry in function["acl"]}
        assert grantees == {function["owner"], APP_ROLE}, "EXECUTE must not be PUBLIC's"


# -- the second wall over HTTP -------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "index"), cross_tenant.PROBES)
async def test_with_the_tenant_filter_bypassed_no_route_reaches_another_tenants_rows(
    backend: str,
    engine: AsyncEngine,
    tenant: Tenant,
    other_tenant: Tenant,
    method: str,
    path: str,
    index: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """tests/test_cross_tenant.py's probe of every route, run by the test build: a foreign id is
    still answered exactly like a never-used one, and none of the other tenant's rows change."""
    if backend != "postgresql":
        pytest.skip("without the filter SQLite has no wall left (see the test below)")
    monkeypatch.setattr(TenantScopedRepository, "tenant_filter", lambda self, table=None: true())
    await cross_tenant.test_another_tenants_id_is_indistinguishable_from_a_never_used_one(
        engine, tenant, other_tenant, method, path, index
    )


async def test_the_test_build_really_drops_the_applications_filter(
    backend: str, tenant: Tenant, other_tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same bypass on SQLite shows the other tenant's customer: the wall PostgreSQL still has is its own."""
    theirs = await other_tenant.create_customer(first_name="Theirs")
    monkeypatch.setattr(TenantScopedRepository, "tenant_filter", lambda self, table=None: true())
    response = await tenant.get(f"/customers/{theirs['id']}")
    if backend == "sqlite":
        assert response.status_code == 200, "the bypass did not bypass anything"
        assert response.json()["data"]["first_name"] == "Theirs"
    else:
        assert response.status_code == 404, response.text


@pytest.mark.usefixtures("postgresql_only", "filter_bypassed")
async def test_with_the_tenant_filter_bypassed_lists_show_only_the_callers_rows(
    engine: AsyncEngine, tenant: Tenant, other_tenant: Tenant
) -> None:
    mine = [await tenant.create_draft(notes="mine") for _ in range(2)]
    theirs = [await other_tenant.create_draft(notes="theirs") for _ in range(2)]
    await other_tenant.issue(theirs[0]["id"])
    await other_tenant.post("/series", json={"name": "BBB"})
    before = await rows_of(engine, other_tenant.id)

    invoices = (await tenant.get("/invoices", params={"limit": 200})).json()["data"]
    assert sorted(invoice["id"] for invoice in invoices) == sorted(invoice["id"] for invoice in mine)
    customers = (await tenant.get("/customers", params={"limit": 200})).json()["data"]
    assert sorted(customer["id"] for customer in customers) == sorted(invoice["customer"]["id"] for invoice in mine)
    series = (await tenant.get("/series")).json()["data"]
    assert [row["name"] for row in series] == ["INV", "CRN"]
    for invoice in theirs:
        assert (await tenant.get(f"/invoices/{invoice['id']}")).status_code == 404
        assert (await tenant.patch(f"/invoices/{invoice['id']}", json={"notes": "mine now"})).status_code == 404
        assert (await tenant.post(f"/invoices/{invoice['id']}/issue")).status_code == 404
    assert (await tenant.patch(f"/customers/{theirs[0]['customer']['id']}", json={"job": "x"})).status_code == 404
    assert await rows_of(engine, other_tenant.id) == before


# -- the second wall in SQL, through the service's role -----------------------------------------


async def refused(connection: AsyncConnection, *statements: str, **params: Any) -> str:
    """Runs the statements in a savepoint, expecting the database to refuse the last; returns why."""
    savepoint = await connection.begin_nested()
    for statement in statements[:-1]:
        await connection.execute(text(statement), params)
    with pytest.raises(DBAPIError) as refusal:
        await connection.execute(text(statements[-1]), params)
    await savepoint.rollback()
    return str(refusal.value.orig)


@pytest.mark.usefixtures("postgresql_only")
async def test_in_sql_the_service_role_sees_and_writes_only_the_current_tenants_rows(
    engine: AsyncEngine, app_engine: AsyncEngine, tenant: Tenant, other_tenant: Tenant
) -> None:
    mine = await tenant.create_customer(first_name="Mine")
    theirs = await other_tenant.create_draft()
    before = await rows_of(engine, other_tenant.id)
    a, b = tenant.id, other_tenant.id

    # Committed at the end, so the other tenant's rows are compared with what is durable.
    async with transaction(app_engine, write=True) as connection:

        async def scalar(sql: str, **params: Any) -> Any:
            return (await connection.execute(text(sql), params)).scalar_one()

        assert await scalar("SELECT current_user") == APP_ROLE
        # No tenant named yet: every policy fails closed.
        for table in tenant_owned_tables():
            assert await scalar(f"SELECT count(*) FROM {table.name}") == 0, table.name  # noqa: S608
        assert await scalar("SELECT count(*) FROM tenants") == 0

        await set_tenant(connection, a)
        for table in tenant_owned_tables():
            name = table.name
            assert await scalar(f"SELECT count(*) FROM {name} WHERE tenant_id = :b", b=b) == 0, name  # noqa: S608
            assert await scalar(f"SELECT count(*) FROM {name} WHERE tenant_id <> :a", a=a) == 0, name  # noqa: S608
            touch = text(f"UPDATE {name} SET tenant_id = tenant_id WHERE tenant_id = :b")  # noqa: S608
            assert (await connection.execute(touch, {"b": b})).rowcount == 0, name
            remove = text(f"DELETE FROM {name} WHERE tenant_id = :b")  # noqa: S608
            assert (await connection.execute(remove, {"b": b})).rowcount == 0, name
        assert await scalar("SELECT count(*) FROM customers WHERE tenant_id = :a", a=a) >= 1
        assert await scalar("SELECT count(*) FROM invoices WHERE id = :id", id=theirs["id"]) == 0
        assert await scalar("SELECT array_agg(id) FROM tenants") == [a]

        # Writing a row for another tenant, or moving one of its own there, is refused (WITH CHECK).
        plant = """
            INSERT INTO customers (tenant_id, public_id, first_name, is_intake_completed, search_text,
                                   created_at, updated_at)
            VALUES (:b, 'aaaaaaaaaaaaaaaaaaaaaaaa', 'Planted', false, '', now(), now())
        """
        assert "row-level security" in await refused(connection, plant, b=b)
        move = "UPDATE customers SET tenant_id = :b WHERE tenant_id = :a AND id = :id"
        assert "row-level security" in await refused(connection, move, a=a, b=b, id=mine["id"])
        # Nor can the role switch the wall off.
        assert "row-level security" in await refused(
            connection, "SET LOCAL row_security = off", "SELECT count(*) FROM invoices"
        )
        assert "must be owner" in await refused(connection, "ALTER TABLE invoices DISABLE ROW LEVEL SECURITY")
        assert "must be owner" in await refused(connection, "DROP POLICY tenant_isolation ON invoices")
        await connection.execute(text("RESET ROLE"))  # back to the connection's start: still the role
        assert await scalar("SELECT current_user") == APP_ROLE

        # Naming the other tenant is what shows its rows: the wall is the setting, not the query.
        await set_tenant(connection, b)
        assert await scalar("SELECT count(*) FROM invoices WHERE id = :id", id=theirs["id"]) == 1
        assert await scalar("SELECT count(*) FROM customers WHERE id = :id", id=mine["id"]) == 0

    assert await rows_of(engine, other_tenant.id) == before


@pytest.mark.usefixtures("postgresql_only")
async def test_the_tenant_setting_does_not_outlive_its_transaction(app_engine: AsyncEngine, tenant: Tenant) -> None:
    await tenant.create_customer()
    async with app_engine.connect() as connection:
        async with connection.begin():
            await set_tenant(connection, tenant.id)
            assert (await connection.execute(text("SELECT count(*) FROM customers"))).scalar_one() >= 1
        async with connection.begin():  # the same pooled connection, the next transaction
            setting = text("SELECT current_setting('app.tenant_id', true)")
            assert (await connection.execute(setting)).scalar_one() in (None, "")
            assert (await connection.execute(text("SELECT count(*) FROM customers"))).scalar_one() == 0


@pytest.mark.usefixtures("postgresql_only")
async def test_the_credential_lookups_find_one_row_by_its_secret_key_only(
    app_engine: AsyncEngine, client: httpx.AsyncClient, other_tenant: Tenant
) -> None:
    """The service finds a token by its hash before it knows the tenant, and learns nothing else."""
    from invoicing.auth import secrets

    async with transaction(app_engine, write=False) as connection:
        found = await connection.execute(
            text("SELECT tenant_id FROM invoicing_token_by_hash(:hash)"), {"hash": secrets.digest(other_tenant.token)}
        )
        assert found.scalar_one() == other_tenant.id
        assert (await connection.execute(text("SELECT count(*) FROM access_tokens"))).scalar_one() == 0
        nothing = await connection.execute(text("SELECT count(*) FROM invoicing_token_by_hash(:hash)"), {"hash": "%"})
        assert nothing.scalar_one() == 0
    assert (await client.get("/api/v1/series", headers=other_tenant.headers)).status_code == 200


# -- an ordinary owner: not a superuser, so FORCE holds it too -------------------------------------


async def _admin(sql: str, database: str = "postgres") -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{database}", timeout=10)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture
def ordinary_owner_database(postgresql_only: None, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A scratch database owned by a new login role with CREATEROLE but no superuser: the
    production shape. DATABASE_URL logs in as that owner, as `make run` would."""
    suffix = uuid.uuid4().hex[:10]
    owner, database = f"invoicing_owner_{suffix}", f"invoicing_rls_{suffix}"
    asyncio.run(_admin(f'CREATE ROLE "{owner}" LOGIN CREATEROLE'))
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{database}" OWNER "{owner}"'))
        base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
        url = base.replace("postgres@", f"{owner}@", 1) + f"/{database}"
        monkeypatch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()
        yield url
    finally:
        get_settings.cache_clear()
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        asyncio.run(_admin(f'DROP ROLE IF EXISTS "{owner}"'))


def invoke(*args: str) -> Any:
    result = CliRunner().invoke(main, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_with_an_ordinary_owner_every_command_and_the_server_work(ordinary_owner_database: str) -> None:
    if "postgres@" not in POSTGRES_ADMIN_URL:
        pytest.skip("needs TEST_POSTGRES_URL to log in as user postgres, to swap in the owner's name")
    assert invoke("migrate") == {"migrated": True}
    assert invoke("migrate") == {"migrated": True}  # idempotent: nothing left to do
    acme = invoke("tenant", "create", "--name", "Acme")
    other = invoke("tenant", "create", "--name", "Other")
    assert [row["id"] for row in invoke("tenant", "list")] == [acme["id"], other["id"]]
    oauth = invoke("client", "create", "--tenant", str(acme["id"]))
    token = invoke("token", "create", "--tenant", str(acme["id"]))
    demo = invoke("demo")
    assert demo["created"] is True
    assert invoke("purge-idempotency-keys") == {"purged": 0}

    headers = {"Authorization": f"Bearer {token['token']}", "X-Tenant": str(acme["id"])}
    demo_headers = {"Authorization": f"Bearer {demo['token']}", "X-Tenant": str(demo["tenant_id"])}
    with TestClient(create_app(get_settings())) as http:  # the lifespan checks the role it acts as
        series = http.get("/api/v1/series", headers=headers)
        assert series.status_code == 200, series.text
        assert [row["name"] for row in series.json()["data"]] == ["INV", "CRN"]
        assert len(http.get("/api/v1/invoices", headers=demo_headers).json()["data"]) == 6
        assert http.get("/api/v1/invoices", headers=headers).json()["data"] == []
        issued = http.post(
            "/api/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": oauth["client_id"],
                "client_secret": oauth["client_secret"],
            },
        )
        assert issued.status_code == 200, issued.text
        oauth_headers = {"Authorization": f"Bearer {issued.json()['access_token']}", "X-Tenant": str(acme["id"])}
        created = http.post("/api/v1/customers", json={"first_name": "Ada"}, headers=oauth_headers)
        assert created.status_code == 201, created.text
        assert invoke("token", "revoke", "--id", token["id"]) == {"revoked": True}
        assert http.get("/api/v1/series", headers=headers).status_code == 401


def test_the_server_refuses_to_start_as_the_tables_owner_without_the_role(ordinary_owner_database: str) -> None:
    """Before `invoicing migrate` there is nothing to act as: the server says so instead of serving."""
    if "postgres@" not in POSTGRES_ADMIN_URL:
        pytest.skip("needs TEST_POSTGRES_URL to log in as user postgres, to swap in the owner's name")
    settings = Settings(database_url=ordinary_owner_database)
    with pytest.raises(UnsafeDatabaseRole, match="invoicing migrate"), TestClient(create_app(settings)):
        pass


@pytest.fixture
def app_login_url(postgresql_only: None, database_url: str) -> Iterator[str]:
    """A login role that is a member of invoicing_app and nothing else: what APP_DATABASE_URL
    names in production (or invoicing_app itself, given LOGIN and a password)."""
    if "postgres@" not in database_url:
        pytest.skip("needs TEST_POSTGRES_URL to log in as user postgres, to swap in another user's name")
    login = f"invoicing_login_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(f'CREATE ROLE "{login}" LOGIN NOINHERIT IN ROLE {APP_ROLE}'))
    try:
        yield database_url.replace("postgres@", f"{login}@", 1)
    finally:
        asyncio.run(_admin(f'DROP ROLE IF EXISTS "{login}"'))


def test_with_app_database_url_the_server_logs_in_as_a_role_with_no_way_back(
    database_url: str, app_login_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(database_url=database_url, app_database_url=app_login_url, rate_limit_per_second=0)
    login = app_login_url.split("//", 1)[1].split("@", 1)[0]
    with TestClient(create_app(settings)) as http:
        acme = asyncio.run(_tenant_with_token(database_url))
        headers = {"Authorization": f"Bearer {acme[1]}", "X-Tenant": str(acme[0])}
        assert http.get("/api/v1/series", headers=headers).status_code == 200

        async def who(engine: AsyncEngine) -> tuple[Any, ...]:
            async with transaction(engine, write=False) as connection:
                first = (await connection.execute(text("SELECT current_user, session_user"))).one()
                await connection.execute(text("SET ROLE NONE"))  # the way back: to the login role
                back = (await connection.execute(text("SELECT current_user"))).scalar_one()
                denied = await refused(connection, "SELECT count(*) FROM customers")
                await connection.execute(text("RESET ROLE"))
            return (*first, back, denied)

        acting, session, back, denied = http.portal.call(who, http.app.state.engine)  # type: ignore[attr-defined]
    assert (acting, session, back) == (APP_ROLE, login, login)
    assert "permission denied" in denied
    assert "by SET ROLE" not in caplog.text


async def _tenant_with_token(database_url: str) -> tuple[int, str]:
    from invoicing.auth.scopes import ALL_SCOPES
    from invoicing.auth.service import create_token
    from invoicing.core.db import create_engine
    from invoicing.tenants.service import create_tenant

    engine = create_engine(database_url, pool_size=1)
    try:
        async with transaction(engine, write=True) as connection:
            row = await create_tenant(connection, name="Logged in")
            token = await create_token(connection, tenant_id=row["id"], scopes=ALL_SCOPES, expires_in=None)
    finally:
        await engine.dispose()
    return row["id"], token.token
