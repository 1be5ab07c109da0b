"""Numbering series: 3 characters A-Z/0-9, one gapless counter per calendar year (SPEC 2, 3)."""

import re
from enum import StrEnum

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.core.clock import utc_now
from invoicing.core.errors import Conflict, Unprocessable
from invoicing.series.repository import SeriesRepository

SERIES_NAME_PATTERN = r"^[A-Z0-9]{3}$"
SERIES_NAME = re.compile(SERIES_NAME_PATTERN)


class SeriesKind(StrEnum):
    """What a series numbers: invoices, or credit notes (their own gapless series, 0011)."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class SeriesExists(Conflict):
    code = "series_exists"


def validate_series_name(name: str) -> str:
    # `search`, as JSON Schema tools apply the published pattern; it lets one final newline
    # through, which is not part of the name.
    if not SERIES_NAME.search(name):
        raise Unprocessable.field("name", "A series name is exactly 3 characters A-Z or 0-9.", code="invalid_series")
    return name.rstrip("\n")


async def create_series(
    connection: AsyncConnection,
    *,
    tenant_id: int,
    name: str,
    is_default: bool,
    kind: SeriesKind = SeriesKind.INVOICE,
) -> RowMapping:
    """A new series of `kind`; making it the default takes that role from the previous one.

    Post: the tenant has exactly one default per kind; of concurrent callers the last to commit holds it.
    """
    repository = SeriesRepository(connection, tenant_id)
    name = validate_series_name(name)
    if await repository.by_name(name) is not None:
        raise SeriesExists(f"The series {name} already exists.")
    now = utc_now()
    if is_default:
        await repository.take_default_role(kind=kind.value, at=now)
    return await repository.insert(name=name, is_default=is_default, kind=kind.value, created_at=now, updated_at=now)


async def list_series(connection: AsyncConnection, *, tenant_id: int) -> list[RowMapping]:
    return await SeriesRepository(connection, tenant_id).list()


def format_document_number(series_name: str, year: int, sequence: int) -> str:
    """`ABC2026000000001`: series, 4-digit year, 9-digit sequence (SPEC 3)."""
    return f"{series_name}{year:04d}{sequence:09d}"
