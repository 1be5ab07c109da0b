"""The hosted invoice page's lookup: which tenant's invoice a hosted token opens.

The page has no credentials, so the invoice is found by its token before any tenant is known,
while row-level security (0004) shows the service's role no invoice until one is. As with the
credential lookups of 0004, a SECURITY DEFINER function owned by the tables' owner answers
that one question: (tenant_id, invoice_id) for a token of an invoice that is neither a draft nor
deleted, or no row. Only `invoicing_app` may call it; the service then reads the invoice the
normal, tenant-scoped way.

FORCE row-level security holds the owner too, so the owner gets a policy `hosted_lookup` that
lets it read invoices only while the setting `app.hosted_lookup` is on, and the function turns
that setting on for its one query only (an error aborts the transaction, and the setting with
it). The policy is the owner's alone: the service's role gains nothing by setting the flag.
PostgreSQL only; a no-op on SQLite.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from invoicing.core.db import APP_ROLE
from invoicing.migrations.helpers import is_postgresql, quoted

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = "invoicing_invoice_by_hosted_token"
LOOKUP_SETTING = "app.hosted_lookup"


def _schema() -> str:
    return quoted(op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one())


def upgrade() -> None:
    if not is_postgresql():
        return
    schema, role = _schema(), quoted(APP_ROLE)
    op.execute(
        f"CREATE POLICY hosted_lookup ON invoices FOR SELECT TO CURRENT_USER "
        f"USING (current_setting('{LOOKUP_SETTING}', true) = 'on')"
    )
    # plpgsql, setting the flag at run time: a function's own SET clause may not name a custom
    # setting unless a superuser creates it, and the owner need not be one.
    op.execute(f"""
        CREATE FUNCTION {schema}.{FUNCTION}(lookup_token text)
        RETURNS TABLE (tenant_id bigint, invoice_id bigint)
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER
        SET search_path = {schema}, pg_temp
        AS $$
        #variable_conflict use_column
        BEGIN
            PERFORM set_config('{LOOKUP_SETTING}', 'on', true);
            RETURN QUERY
                SELECT i.tenant_id, i.id FROM {schema}.invoices AS i
                WHERE i.hosted_token = lookup_token AND i.status NOT IN ('draft', 'deleted');
            PERFORM set_config('{LOOKUP_SETTING}', '', true);
        END
        $$
    """)  # noqa: S608 (the quoted schema and constants)
    op.execute(f"REVOKE ALL ON FUNCTION {schema}.{FUNCTION}(text) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {schema}.{FUNCTION}(text) TO {role}")


def downgrade() -> None:
    if not is_postgresql():
        return
    op.execute(f"DROP FUNCTION IF EXISTS {_schema()}.{FUNCTION}(text)")
    op.execute("DROP POLICY IF EXISTS hosted_lookup ON invoices")
