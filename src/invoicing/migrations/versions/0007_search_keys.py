"""Search keys: `invoices.search_key` added, it and `customers.search_text` (re)computed in Python.

Both hold `invoicing.core.search.search_key` of the searched fields (NFKC, Unicode case folding,
Turkish I/İ/ı/i as one letter), so a search finds the same rows on SQLite and PostgreSQL. The
keys are computed here by the same function the application writes them with, a batch at a
time. On PostgreSQL every tenant's rows are rewritten under its own `app.tenant_id`, since the
row-level security policy (0004, FORCE) holds the tables' owner too.

The column is NOT NULL on both databases. SQLite can add a NOT NULL column only with a default,
and dropping it again would rebuild the table, so there it keeps `''` as its default; the
application always writes the key (InvoiceRepository.insert).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from invoicing.customers.service import SEARCHABLE, search_text
from invoicing.invoices.repository import SEARCHED, invoice_search_key
from invoicing.migrations.helpers import is_postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def upgrade() -> None:
    op.add_column("invoices", sa.Column("search_key", sa.Text(), nullable=False, server_default=""))
    for tenant_id in _tenant_ids():
        _rewrite("invoices", "search_key", SEARCHED, invoice_search_key, tenant_id)
        _rewrite("customers", "search_text", SEARCHABLE, search_text, tenant_id)
    if is_postgresql():
        op.alter_column("invoices", "search_key", server_default=None)


def downgrade() -> None:
    op.drop_column("invoices", "search_key")  # SQLite 3.35+ drops columns in place
    # customers.search_text keeps the folded form: 0001's code lower-cased it, which it still is.


def _tenant_ids() -> list[int]:
    # tenants has row-level security without FORCE: its owner sees every tenant.
    return [row[0] for row in op.get_bind().execute(sa.text("SELECT id FROM tenants ORDER BY id"))]


def _rewrite(
    name: str, key: str, fields: Sequence[str], compute: Callable[[Mapping[str, Any]], str], tenant_id: int
) -> None:
    """Sets `key` of every row of `tenant_id` in table `name` to `compute(row)`, a batch of ids at a time."""
    bind = op.get_bind()
    if is_postgresql():
        bind.execute(sa.text("SELECT set_config('app.tenant_id', :tenant, true)"), {"tenant": str(tenant_id)})
    table = sa.table(name, sa.column("tenant_id"), sa.column("id"), sa.column(key), *map(sa.column, fields))
    read = (
        sa.select(table.c.id, *(table.c[field] for field in fields))
        .where(table.c.tenant_id == tenant_id, table.c.id > sa.bindparam("after"))
        .order_by(table.c.id)
        .limit(BATCH)
    )
    write = (
        sa.update(table)
        .where(table.c.tenant_id == tenant_id, table.c.id == sa.bindparam("row_id"))
        .values({key: sa.bindparam("new_key")})
    )
    after = 0
    while rows := bind.execute(read, {"after": after}).mappings().all():
        bind.execute(write, [{"new_key": compute(dict(row)), "row_id": row["id"]} for row in rows])
        after = rows[-1]["id"]
