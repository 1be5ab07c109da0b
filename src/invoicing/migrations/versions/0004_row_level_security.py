"""Row-level security: the service's own role, tenant isolation policies, credential lookups.

PostgreSQL only; a no-op on SQLite. Run by the tables' owner (the user `invoicing migrate`
logs in as). It

- creates the role `invoicing_app` (NOLOGIN, no superuser, no BYPASSRLS) unless the cluster
  has it already (roles are cluster-wide: every database migrated on the server shares it),
  and makes the migrating user a member, so a service logging in as the owner can act as it;
- grants it USAGE on the schema, SELECT/INSERT/UPDATE/DELETE on every tenant-owned table,
  and SELECT on `tenants` (creating tenants is the operator's business);
- enables and forces row-level security on every tenant-owned table, with one policy,
  `tenant_isolation`: only rows whose tenant_id is the transaction's `app.tenant_id`;
- lets the service see only the current tenant's row of `tenants`;
- adds the two lookups that must work before the tenant is known, as SECURITY DEFINER
  functions owned by the owner: `invoicing_token_by_hash` and `invoicing_client_by_client_id`,
  which only `invoicing_app` may call. The owner reads the credential tables across tenants
  (policy `credential_lookup`), which these functions and the operator's commands need.

Privileges granted here live in this database and vanish with it; the role itself stays.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from invoicing.core.db import APP_ROLE
from invoicing.migrations.helpers import (
    CURRENT_TENANT,
    create_lookup_function,
    is_postgresql,
    isolate_tenant_table,
    quoted,
    release_tenant_table,
)

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_TABLES = (
    "api_clients",
    "access_tokens",
    "customers",
    "series",
    "series_counters",
    "invoices",
    "invoice_lines",
    "invoice_events",
    "payments",
    "idempotency_keys",
)
CREDENTIAL_TABLES = ("access_tokens", "api_clients")
# (function, table, key column): the row of `table` whose `key column` is the argument.
LOOKUPS = (
    ("invoicing_token_by_hash", "access_tokens", "token_hash"),
    ("invoicing_client_by_client_id", "api_clients", "client_id"),
)


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def upgrade() -> None:
    if not is_postgresql():
        return
    role, role_literal = quoted(APP_ROLE), _literal(APP_ROLE)
    schema = quoted(op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one())
    # Idempotent across the cluster: a concurrent migration of another database may create
    # the role between the check and CREATE ROLE.
    op.execute(f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {role_literal}) THEN
                BEGIN
                    CREATE ROLE {role} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
                EXCEPTION WHEN duplicate_object OR unique_violation THEN
                    NULL;
                END;
            END IF;
            IF EXISTS (SELECT FROM pg_roles WHERE rolname = {role_literal} AND (rolsuper OR rolbypassrls)) THEN
                RAISE EXCEPTION 'role % is a superuser or has BYPASSRLS: row-level security would not hold it',
                    {role_literal};
            END IF;
            IF NOT pg_has_role(current_user, {role_literal}, 'MEMBER') THEN
                BEGIN
                    EXECUTE format('GRANT %I TO %I', {role_literal}, current_user);
                EXCEPTION WHEN insufficient_privilege THEN
                    RAISE WARNING 'could not make % a member of %: `invoicing serve` must log in as %',
                        current_user, {role_literal}, {role_literal};
                END;
            END IF;
        END
        $$
    """)  # noqa: S608 (identifiers and literals quoted above)
    has_usage = op.get_bind().execute(
        sa.text("SELECT has_schema_privilege(:role, current_schema(), 'USAGE')"), {"role": APP_ROLE}
    )
    if not has_usage.scalar_one():  # PUBLIC may have it already (and only the schema's owner may grant it)
        op.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
    for table in TENANT_TABLES:
        isolate_tenant_table(table, APP_ROLE)

    op.execute(f"GRANT SELECT ON tenants TO {role}")
    op.execute("ALTER TABLE tenants ENABLE ROW LEVEL SECURITY")  # not FORCE: the owner lists every tenant
    op.execute(f"CREATE POLICY tenant_self ON tenants FOR SELECT TO {role} USING (id = {CURRENT_TENANT})")

    for table in CREDENTIAL_TABLES:
        op.execute(f"CREATE POLICY credential_lookup ON {table} FOR SELECT TO CURRENT_USER USING (true)")
    for function, table, key in LOOKUPS:
        create_lookup_function(schema, function, table, key, APP_ROLE)


def downgrade() -> None:
    if not is_postgresql():
        return
    role = quoted(APP_ROLE)
    schema = quoted(op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one())
    for function, _table, _key in LOOKUPS:
        op.execute(f"DROP FUNCTION IF EXISTS {schema}.{function}(text)")
    for table in CREDENTIAL_TABLES:
        op.execute(f"DROP POLICY IF EXISTS credential_lookup ON {table}")
    op.execute("DROP POLICY IF EXISTS tenant_self ON tenants")
    op.execute("ALTER TABLE tenants DISABLE ROW LEVEL SECURITY")
    op.execute(f"REVOKE ALL ON tenants FROM {role}")
    for table in TENANT_TABLES:
        release_tenant_table(table, APP_ROLE)
    op.execute(f"REVOKE ALL ON SCHEMA {schema} FROM {role}")
    # The role stays: it is cluster-wide, and other databases may use it.
