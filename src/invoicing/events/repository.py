from datetime import datetime

import orjson
from sqlalchemy import RowMapping

from invoicing.core.ids import new_public_id
from invoicing.core.repository import Record, TenantScopedRepository
from invoicing.events.tables import invoice_events


class EventRepository(TenantScopedRepository):
    table = invoice_events

    async def append(
        self,
        *,
        invoice_id: int,
        sequence: int,
        type: str,
        from_status: str | None,
        to_status: str | None,
        actor: str,
        request_id: str | None,
        at: datetime,
        data: Record | None = None,
    ) -> None:
        await self.connection.execute(
            self.insert_values(
                public_id=new_public_id(),
                invoice_id=invoice_id,
                sequence=sequence,
                type=type,
                from_status=from_status,
                to_status=to_status,
                actor=actor,
                request_id=request_id,
                data=orjson.dumps(data).decode() if data else None,
                created_at=at,
            )
        )

    async def for_invoice(self, invoice_id: int) -> list[RowMapping]:
        statement = (
            self.select_from_table()
            .where(invoice_events.c.invoice_id == invoice_id)
            .order_by(invoice_events.c.sequence)
        )
        return list((await self.connection.execute(statement)).mappings())
