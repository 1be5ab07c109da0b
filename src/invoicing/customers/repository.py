from typing import Any

from sqlalchemy import RowMapping

from invoicing.core.ids import new_public_id
from invoicing.core.repository import TenantScopedRepository, fetch_all, fetch_one, fetch_optional
from invoicing.core.search import like_pattern
from invoicing.customers.tables import customers


class CustomerRepository(TenantScopedRepository):
    table = customers

    async def insert(self, *, public_id: str | None = None, **values: Any) -> RowMapping:
        """`public_id`: a dialect's own id for the customer (a HighLevel contact id); default a new one."""
        statement = self.insert_values(public_id=public_id or new_public_id(), **values).returning(customers)
        return await fetch_one(self.connection, statement)

    async def get(self, customer_id: int) -> RowMapping | None:
        statement = self.select_from_table().where(customers.c.id == customer_id, customers.c.deleted_at.is_(None))
        return await fetch_optional(self.connection, statement)

    async def by_public_id(self, public_id: str) -> RowMapping | None:
        """A live customer by the string id dialects use (FlowPayroll `clientId`)."""
        statement = self.select_from_table().where(customers.c.public_id == public_id, customers.c.deleted_at.is_(None))
        return await fetch_optional(self.connection, statement)

    async def public_id_retired(self, public_id: str) -> bool:
        """Whether `public_id` belonged to a customer since deleted (it is never given out again)."""
        statement = self.select_from_table(customers.c.id).where(
            customers.c.public_id == public_id, customers.c.deleted_at.is_not(None)
        )
        return await fetch_optional(self.connection, statement) is not None

    async def update(self, customer_id: int, **values: Any) -> RowMapping | None:
        statement = (
            self.update_table()
            .where(customers.c.id == customer_id, customers.c.deleted_at.is_(None))
            .values(**values)
            .returning(customers)
        )
        return await fetch_optional(self.connection, statement)

    async def page(self, *, search: str | None, after_id: int | None, limit: int) -> list[RowMapping]:
        """Newest first; `limit + 1` rows so the caller can tell whether more follow."""
        statement = self.select_from_table().where(customers.c.deleted_at.is_(None))
        if search:
            # search_text holds the email too (customers.service.search_text).
            statement = statement.where(customers.c.search_text.like(like_pattern(search), escape="\\"))
        if after_id is not None:
            statement = statement.where(customers.c.id < after_id)
        statement = statement.order_by(customers.c.id.desc()).limit(limit + 1)
        return await fetch_all(self.connection, statement)
