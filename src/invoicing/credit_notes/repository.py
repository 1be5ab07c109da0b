"""All credit-note SQL: notes, their lines and events, allocations, and the sums read from them.

Tenant scope comes from TenantScopedRepository; every change is conditional on the status and
version the guard saw, as invoice claims are.
"""

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import RowMapping, delete, select

from invoicing.core.ids import new_public_id
from invoicing.core.repository import TenantScopedRepository, fetch_all, fetch_one, fetch_optional
from invoicing.credit_notes.money import Credited, CreditedTotals
from invoicing.credit_notes.tables import credit_allocations, credit_note_events, credit_note_lines, credit_notes
from invoicing.events.repository import PendingEvent
from invoicing.invoices.money import ZERO
from invoicing.outbox.messages import CREDIT_NOTE, note_event


class CreditNoteRepository(TenantScopedRepository):
    table = credit_notes

    async def insert(self, **values: Any) -> RowMapping:
        statement = self.insert_values(public_id=new_public_id(), uuid=str(uuid.uuid4()), **values)
        return await fetch_one(self.connection, statement.returning(credit_notes))

    async def insert_lines(self, credit_note_id: int, rows: Sequence[dict[str, Any]]) -> None:
        for row in rows:
            statement = self.insert_values(
                credit_note_lines, public_id=new_public_id(), credit_note_id=credit_note_id, **row
            )
            await self.connection.execute(statement)

    async def replace_lines(self, credit_note_id: int, rows: Sequence[dict[str, Any]]) -> None:
        clear = delete(credit_note_lines).where(
            self.tenant_filter(credit_note_lines), credit_note_lines.c.credit_note_id == credit_note_id
        )
        await self.connection.execute(clear)
        await self.insert_lines(credit_note_id, rows)

    async def get(
        self, credit_note_id: int, *, for_update: bool = False, include_deleted: bool = False
    ) -> RowMapping | None:
        """A visible (not deleted) credit note; `for_update` locks its row; `include_deleted`
        finds a deleted one too."""
        statement = self.select_from_table().where(credit_notes.c.id == credit_note_id)
        if not include_deleted:
            statement = statement.where(credit_notes.c.status != "deleted")
        if for_update:
            statement = statement.with_for_update()
        return await fetch_optional(self.connection, statement)

    async def id_by_public_id(self, public_id: str) -> int | None:
        statement = self.select_from_table(credit_notes.c.id).where(
            credit_notes.c.public_id == public_id, credit_notes.c.status != "deleted"
        )
        row = await fetch_optional(self.connection, statement)
        return int(row["id"]) if row is not None else None

    async def lines_for(self, credit_note_ids: Sequence[int]) -> dict[int, list[RowMapping]]:
        found: dict[int, list[RowMapping]] = {note_id: [] for note_id in credit_note_ids}
        if not credit_note_ids:
            return found
        statement = (
            self.select_from_table(table=credit_note_lines)
            .where(credit_note_lines.c.credit_note_id.in_(list(credit_note_ids)))
            .order_by(credit_note_lines.c.credit_note_id, credit_note_lines.c.position)
        )
        for row in await fetch_all(self.connection, statement):
            found[row["credit_note_id"]].append(row)
        return found

    async def page(
        self, *, invoice_id: int | None, customer_id: int | None, status: str | None, after_id: int | None, limit: int
    ) -> list[RowMapping]:
        """Newest first, `limit` rows at most, drafts and void notes included (not deleted ones)."""
        statement = self.select_from_table().where(credit_notes.c.status != "deleted")
        if invoice_id is not None:
            statement = statement.where(credit_notes.c.invoice_id == invoice_id)
        if customer_id is not None:
            statement = statement.where(credit_notes.c.customer_id == customer_id)
        if status is not None:
            statement = statement.where(credit_notes.c.status == status)
        if after_id is not None:
            statement = statement.where(credit_notes.c.id < after_id)
        return await fetch_all(self.connection, statement.order_by(credit_notes.c.id.desc()).limit(limit))

    async def credited_by_line(self, invoice_id: int) -> dict[int, Credited]:
        """What the issued (live) notes of `invoice_id` credit of each of its lines."""
        statement = (
            select(
                credit_note_lines.c.invoice_line_id,
                credit_note_lines.c.credited_by,
                credit_note_lines.c.quantity,
                credit_note_lines.c.amount_net,
                credit_note_lines.c.amount_tax,
            )
            .select_from(
                credit_note_lines.join(
                    credit_notes,
                    (credit_notes.c.tenant_id == credit_note_lines.c.tenant_id)
                    & (credit_notes.c.id == credit_note_lines.c.credit_note_id),
                )
            )
            .where(
                self.tenant_filter(credit_note_lines),
                credit_notes.c.invoice_id == invoice_id,
                credit_notes.c.status == "issued",
                credit_note_lines.c.invoice_line_id.is_not(None),
            )
        )
        sums: dict[int, Credited] = {}
        for row in await fetch_all(self.connection, statement):
            before = sums.get(row["invoice_line_id"], Credited())
            sums[row["invoice_line_id"]] = Credited(
                quantity=before.quantity + (row["quantity"] if row["credited_by"] == "quantity" else ZERO),
                net=before.net + row["amount_net"],
                tax=before.tax + row["amount_tax"],
            )
        return sums

    async def credited_totals(self, invoice_ids: Sequence[int]) -> dict[int, CreditedTotals]:
        """What the issued (live) notes of each of `invoice_ids` credit in all; one query."""
        found: dict[int, CreditedTotals] = {invoice_id: CreditedTotals() for invoice_id in invoice_ids}
        if not invoice_ids:
            return found
        statement = (
            select(
                credit_notes.c.invoice_id,
                credit_note_lines.c.amount_net,
                credit_note_lines.c.amount_discount,
                credit_note_lines.c.amount_tax,
            )
            .select_from(
                credit_note_lines.join(
                    credit_notes,
                    (credit_notes.c.tenant_id == credit_note_lines.c.tenant_id)
                    & (credit_notes.c.id == credit_note_lines.c.credit_note_id),
                )
            )
            .where(
                self.tenant_filter(credit_note_lines),
                credit_notes.c.invoice_id.in_(list(invoice_ids)),
                credit_notes.c.status == "issued",
            )
        )
        # Summed in Python: SQLite keeps money as text, and Decimal sums are exact on both databases.
        for row in await fetch_all(self.connection, statement):
            before = found[row["invoice_id"]]
            found[row["invoice_id"]] = CreditedTotals(
                gross=before.gross + row["amount_net"] + row["amount_discount"],
                discount=before.discount + row["amount_discount"],
                tax=before.tax + row["amount_tax"],
            )
        return found

    async def claim(
        self, credit_note_id: int, *, from_status: str, expected_version: int, **values: Any
    ) -> RowMapping | None:
        """The conditional change of a transition: only from the status and version the guard saw."""
        statement = (
            self.update_table()
            .where(
                credit_notes.c.id == credit_note_id,
                credit_notes.c.status == from_status,
                credit_notes.c.version == expected_version,
            )
            .values(version=credit_notes.c.version + 1, **values)
            .returning(credit_notes)
        )
        return await fetch_optional(self.connection, statement)

    async def append_event(self, note: RowMapping, event: PendingEvent) -> None:
        """The event of `note` as just changed; its sequence is the note's new version."""
        statement = self.insert_values(
            credit_note_events,
            credit_note_id=note["id"],
            sequence=note["version"],
            to_status=note["status"],
            **event.values(),
        )
        await self.connection.execute(statement)
        note_event(self.connection, self.tenant_id, CREDIT_NOTE, note["id"], event.type, event.at)

    async def events_for(self, credit_note_id: int) -> list[RowMapping]:
        statement = (
            self.select_from_table(table=credit_note_events)
            .where(credit_note_events.c.credit_note_id == credit_note_id)
            .order_by(credit_note_events.c.sequence)
        )
        return await fetch_all(self.connection, statement)

    # -- allocations --------------------------------------------------------------------------

    async def insert_allocation(self, **values: Any) -> RowMapping:
        statement = self.insert_values(credit_allocations, public_id=new_public_id(), **values)
        return await fetch_one(self.connection, statement.returning(credit_allocations))

    async def allocations_to(self, invoice_ids: Sequence[int]) -> dict[int, list[RowMapping]]:
        """The allocations each invoice received, oldest first, each with its note's public id and number."""
        found: dict[int, list[RowMapping]] = {invoice_id: [] for invoice_id in invoice_ids}
        if not invoice_ids:
            return found
        statement = (
            select(
                credit_allocations,
                credit_notes.c.public_id.label("credit_note_public_id"),
                credit_notes.c.document_number.label("credit_note_number"),
            )
            .select_from(
                credit_allocations.join(
                    credit_notes,
                    (credit_notes.c.tenant_id == credit_allocations.c.tenant_id)
                    & (credit_notes.c.id == credit_allocations.c.credit_note_id),
                )
            )
            .where(self.tenant_filter(credit_allocations), credit_allocations.c.invoice_id.in_(list(invoice_ids)))
            .order_by(credit_allocations.c.invoice_id, credit_allocations.c.id)
        )
        for row in await fetch_all(self.connection, statement):
            found[row["invoice_id"]].append(row)
        return found

    async def balances_of(self, customer_id: int) -> list[tuple[str, Decimal, Decimal]]:
        """Per currency: the credit kept by the customer's issued notes and how much of it was applied."""
        statement = (
            self.select_from_table(
                credit_notes.c.currency, credit_notes.c.amount_kept_as_credit, credit_notes.c.amount_allocated
            )
            .where(credit_notes.c.customer_id == customer_id, credit_notes.c.status == "issued")
            .order_by(credit_notes.c.currency)
        )
        sums: dict[str, tuple[Decimal, Decimal]] = {}
        # Summed in Python: SQLite keeps money as text, and Decimal sums are exact on both databases.
        for row in await fetch_all(self.connection, statement):
            kept, allocated = sums.get(row["currency"], (ZERO, ZERO))
            sums[row["currency"]] = (kept + row["amount_kept_as_credit"], allocated + row["amount_allocated"])
        return [(currency, kept, allocated) for currency, (kept, allocated) in sums.items()]
