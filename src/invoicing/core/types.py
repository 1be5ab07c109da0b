"""Column types that keep money exact and time zone-aware on both databases."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Dialect, Numeric, String, TypeDecorator
from sqlalchemy.sql.type_api import _ResultProcessorType
from sqlalchemy.types import TypeEngine


def _decoded_by_asyncpg(dialect: Dialect) -> bool:
    # asyncpg already returns NUMERIC as Decimal and timestamptz as an aware UTC datetime; a
    # Python call per value of every row (about 20 per invoice) would only hand them back.
    return dialect.name == "postgresql" and dialect.driver == "asyncpg"


class ExactDecimal(TypeDecorator[Decimal]):
    """NUMERIC on PostgreSQL; TEXT on SQLite, whose NUMERIC affinity would store REAL (SPEC 4)."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String())
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if dialect.name == "sqlite":
            # Plain text (`str` would write `1E+2`): the stored text is the value as shown.
            return format(value, "f")
        return value

    def result_processor(self, dialect: Dialect, coltype: object) -> _ResultProcessorType[Decimal] | None:
        return None if _decoded_by_asyncpg(dialect) else super().result_processor(dialect, coltype)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(value)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out; SQLite keeps them as naive UTC text."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def result_processor(self, dialect: Dialect, coltype: object) -> _ResultProcessorType[datetime] | None:
        return None if _decoded_by_asyncpg(dialect) else super().result_processor(dialect, coltype)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
