"""The shared MetaData and the column helpers every tenant-owned table uses.

Tenant-owned tables key on (tenant_id, id) with tenant_id first, so a tenant-sharded
PostgreSQL (Citus, distributed on tenant_id) can hold them unchanged (SPEC 1).
"""

from typing import Any

from sqlalchemy import BigInteger, Column, MetaData, String

from invoicing.core.types import UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def tenant_key_columns() -> list[Column[Any]]:
    return [
        Column("tenant_id", BigInteger, primary_key=True),
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("public_id", String(24), nullable=False),
    ]


def timestamp_columns() -> list[Column[Any]]:
    return [
        Column("created_at", UtcDateTime, nullable=False),
        Column("updated_at", UtcDateTime, nullable=False),
    ]
