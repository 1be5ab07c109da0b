from typing import Any

from sqlalchemy import RowMapping

from invoicing.core.ids import new_public_id
from invoicing.core.repository import TenantScopedRepository, fetch_all, fetch_one
from invoicing.payments.tables import payments


class PaymentRepository(TenantScopedRepository):
    table = payments

    async def insert(self, **values: Any) -> RowMapping:
        statement = self.insert_values(public_id=new_public_id(), **values).returning(payments)
        return await fetch_one(self.connection, statement)

    async def for_invoice(self, invoice_id: int) -> list[RowMapping]:
        statement = self.select_from_table().where(payments.c.invoice_id == invoice_id).order_by(payments.c.id)
        return await fetch_all(self.connection, statement)
