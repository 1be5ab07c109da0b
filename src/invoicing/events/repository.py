from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import CTE, Insert, RowMapping, bindparam, select

from invoicing.core.ids import new_public_id
from invoicing.core.repository import Record, TenantScopedRepository
from invoicing.events.tables import invoice_events
from invoicing.outbox.messages import INVOICE, note_event


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """A change's event before the change is written: the invoice's id, new version (the
    sequence) and new status come from the changed row."""

    type: str
    from_status: str | None
    actor: str
    request_id: str | None
    at: datetime
    data: Record | None = None

    def values(self) -> dict[str, Any]:
        return {
            "public_id": new_public_id(),
            "type": self.type,
            "from_status": self.from_status,
            "actor": self.actor,
            "request_id": self.request_id,
            "data": orjson.dumps(self.data).decode() if self.data else None,
            "created_at": self.at,
        }


def append_after(changed: CTE, event_keys: tuple[str, ...]) -> Insert:
    """The event of the row `changed` (a data-modifying CTE) writes, to run in the same
    statement: the change and its event in one round trip (PostgreSQL). The event's own values
    (`PendingEvent.values`) are bound as `event_<key>`."""
    source = select(
        changed.c.tenant_id,
        changed.c.id,
        changed.c.version,
        changed.c.status,
        *(bindparam(f"event_{key}", type_=invoice_events.c[key].type) for key in event_keys),
    )
    return invoice_events.insert().from_select(
        ["tenant_id", "invoice_id", "sequence", "to_status", *event_keys], source
    )


class EventRepository(TenantScopedRepository):
    table = invoice_events

    async def append_for(self, invoice: Record, event: PendingEvent) -> None:
        """The event of `invoice` as just changed (its id, version and status), and its webhook."""
        await self.connection.execute(
            self.insert_values(
                invoice_id=invoice["id"], sequence=invoice["version"], to_status=invoice["status"], **event.values()
            )
        )
        note_event(self.connection, self.tenant_id, INVOICE, invoice["id"], event.type, event.at)

    async def for_invoice(self, invoice_id: int) -> list[RowMapping]:
        statement = (
            self.select_from_table()
            .where(invoice_events.c.invoice_id == invoice_id)
            .order_by(invoice_events.c.sequence)
        )
        return list((await self.connection.execute(statement)).mappings())
