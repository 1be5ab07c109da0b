"""The seeded rows, as tuples in the column order of `COLUMNS`, for both databases.

Money comes from the service's own pricing (`drafts.price_lines`) over a small catalogue of
baskets, so every invoice's totals agree with its lines exactly as if the API had written them.
Every invoice carries the events of the history that led to its state (sequence = version),
issued invoices carry gapless numbers per (tenant, series, year) in id order, and paid or
partially paid invoices carry the payment rows their `amount_paid` adds up.
"""

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from bench.layout import Layout
from invoicing.currencies.catalog import find_currency
from invoicing.customers.service import search_text
from invoicing.invoices import drafts
from invoicing.invoices.catalogs import DEFAULT_DOCUMENT_CLASS, DEFAULT_DOCUMENT_TYPE, DEFAULT_PROFILE_BY_CLASS
from invoicing.invoices.lifecycle import LIFECYCLE, Action
from invoicing.invoices.money import LineInput
from invoicing.invoices.repository import invoice_search_key
from invoicing.series.service import format_document_number

Row = tuple[Any, ...]

COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": (
        "tenant_id", "id", "public_id", "first_name", "last_name", "company_name", "email", "phone_number",
        "tax_number", "is_intake_completed", "search_text", "created_at", "updated_at",
    ),
    "invoices": (
        "tenant_id", "id", "public_id", "customer_id", "series_id", "series_name", "currency", "document_number",
        "number_year", "number_sequence", "document_class", "document_type", "profile_id", "issue_date",
        "due_date", "notes", "exchange_rate", "sender_tax_number", "receiver_name", "receiver_tax_number",
        "receiver_email", "amount_tax_exclusive", "amount_tax_total", "amount_payable", "invoice_amount",
        "amount_paid", "status", "cancelled_from", "is_archived", "is_read", "is_printed", "sent_at", "issued_at",
        "paid_at", "cancelled_at", "voided_at", "deleted_at", "archived_at", "version", "created_at", "updated_at",
        "search_key",
    ),
    "invoice_lines": (
        "tenant_id", "id", "public_id", "invoice_id", "position", "name", "quantity", "unit_price",
        "vat_rate_percent", "discount_percent", "amount_discount", "amount_net", "amount_tax", "amount_total",
    ),
    "invoice_events": (
        "tenant_id", "id", "public_id", "invoice_id", "sequence", "type", "from_status", "to_status", "actor",
        "request_id", "data", "created_at",
    ),
    "payments": (
        "tenant_id", "id", "public_id", "invoice_id", "amount", "method", "paid_at", "reference", "actor",
        "created_at",
    ),
    "series_counters": ("tenant_id", "series_id", "year", "last_number"),
}  # fmt: skip
TABLES_WITH_IDS = ("customers", "invoices", "invoice_lines", "invoice_events", "payments")

CURRENCY = "TRY"  # every bench tenant's base currency (the `tenant create` default)
# Where invoices of the mixed range end up, out of 100 (a book of a year's business).
MIXED_STATES = (
    ("draft", 8),
    ("issued", 22),
    ("sent", 15),
    ("partially_paid", 10),
    ("paid", 32),
    ("cancelled", 6),
    ("void", 4),
    ("archived", 3),
)
HISTORY_DAYS = 360


@dataclass(frozen=True, slots=True)
class TenantSeed:
    """What the seeder needs of a tenant the service created: its default series and its token's actor."""

    tenant_id: int
    series_id: int
    actor: str
    tax_number: str


@dataclass(frozen=True, slots=True)
class Basket:
    lines: list[dict[str, Any]]
    header: dict[str, Decimal]


@dataclass(slots=True)
class Chunk:
    """The rows of a run of consecutive invoices, table by table."""

    rows: dict[str, list[Row]] = field(default_factory=lambda: {table: [] for table in COLUMNS})

    @property
    def last_invoice_id(self) -> int:
        return int(self.rows["invoices"][-1][1])


def _price(lines: list[LineInput]) -> Basket:
    currency = find_currency(CURRENCY)
    assert currency is not None
    priced = drafts.price_lines(lines, currency=currency, exchange_rate=drafts.ONE, base_currency=currency)
    return Basket(lines=priced.rows, header=priced.header)


def everyday_baskets(rng: random.Random, count: int = 64) -> list[Basket]:
    products = ["Consulting hour", "Licence", "Support plan", "Hardware", "Training day", "Shipping", "Hosting"]
    baskets = []
    for _ in range(count):
        lines = [
            LineInput(
                name=rng.choice(products),
                quantity=Decimal(rng.choice(["1", "2", "3", "5", "0.5", "12"])),
                unit_price=Decimal(rng.randrange(500, 250_000)) / 100,
                vat_rate_percent=Decimal(rng.choice(["20", "20", "10", "1", "0"])),
                discount_percent=Decimal(rng.choice(["0", "0", "0", "5", "12.5"])),
            )
            for _ in range(rng.randint(1, 4))
        ]
        baskets.append(_price(lines))
    return baskets


def large_basket() -> Basket:
    """Payable invoices: large enough that a benchmark's worth of 0.01 payments never settles one."""
    line = LineInput(
        name="Framework contract", quantity=Decimal(4), unit_price=Decimal("250000.00"), vat_rate_percent=Decimal(20)
    )
    return _price([line])


class Dataset:
    """Generates the rows in id order; `chunks()` yields them a slice of invoices at a time."""

    def __init__(self, layout: Layout, tenants: dict[int, TenantSeed], *, seed: int = 2026) -> None:
        self.layout = layout
        self.tenants = tenants
        self.rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
        self.baskets = everyday_baskets(self.rng)
        self.large = large_basket()
        self.start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=HISTORY_DAYS + 5)
        self.next_id = dict.fromkeys(TABLES_WITH_IDS, 1)
        self.counters: dict[tuple[int, int], int] = {}  # (tenant, year) -> last number
        self.receivers: dict[int, dict[str, Any]] = {}
        self.mixed_states = [state for state, weight in MIXED_STATES for _ in range(weight)]

    def public_id(self) -> str:
        return f"{self.rng.getrandbits(96):024x}"

    def take_id(self, table: str) -> int:
        taken = self.next_id[table]
        self.next_id[table] = taken + 1
        return taken

    # -- customers ---------------------------------------------------------------------------

    def customers(self) -> list[Row]:
        rows = []
        for tenant_id in self.tenants:
            for customer_id in self.layout.customer_ids_of(tenant_id):
                rows.append(self._customer(tenant_id, customer_id))
        self.next_id["customers"] = max(row[1] for row in rows) + 1
        return rows

    def _customer(self, tenant_id: int, customer_id: int) -> Row:
        company = f"Customer {customer_id} Ltd" if customer_id % 3 else None
        values = {
            "first_name": f"Buyer{customer_id}",
            "last_name": "Example",
            "company_name": company,
            "email": f"buyer{customer_id}@example.com",
            "tax_number": f"{customer_id:010d}",
            "identity_number": None,
        }
        self.receivers[customer_id] = drafts.receiver_snapshot(values)
        return (
            tenant_id, customer_id, self.public_id(), values["first_name"], values["last_name"], company,
            values["email"], f"+90555{customer_id:07d}", values["tax_number"], True, search_text(values),
            self.start, self.start,
        )  # fmt: skip

    # -- invoices ----------------------------------------------------------------------------

    def chunks(self, size: int = 20_000) -> Iterator[Chunk]:
        for first in range(1, self.layout.invoices + 1, size):
            chunk = Chunk()
            for invoice_id in range(first, min(first + size, self.layout.invoices + 1)):
                self._invoice(chunk, invoice_id)
            self.next_id["invoices"] = chunk.last_invoice_id + 1
            yield chunk

    def series_counters(self) -> list[Row]:
        return [
            (tenant_id, self.tenants[tenant_id].series_id, year, last)
            for (tenant_id, year), last in sorted(self.counters.items())
        ]

    def state_of(self, invoice_id: int) -> str:
        layout = self.layout
        if invoice_id in layout.drafts_peak or invoice_id in layout.drafts_latency:
            return "draft"
        if invoice_id in layout.mixed:
            return self.mixed_states[(invoice_id * 37) % len(self.mixed_states)]
        return "issued"  # payable, cycle and ceiling pools

    def _invoice(self, chunk: Chunk, invoice_id: int) -> None:
        layout = self.layout
        tenant = self.tenants[layout.tenant_of(invoice_id)]
        customer_id, basket = self._customer_and_basket(invoice_id, tenant.tenant_id)
        created = self.start + timedelta(seconds=HISTORY_DAYS * 86_400 * invoice_id // layout.invoices)
        history = History(self, chunk, tenant, invoice_id, created)
        state = self.state_of(invoice_id)
        fields = history.write(state, basket)
        number = fields.pop("number", None)
        issue_date: date | None = fields.pop("issue_date", None)
        notes = f"Order {invoice_id}" if invoice_id % 4 == 0 else None
        receiver = self.receiver_of(customer_id)
        searched = {"document_number": number and number[0], "receiver_name": receiver[0], "notes": notes}
        chunk.rows["invoices"].append(
            (
                tenant.tenant_id, invoice_id, self.public_id(), customer_id, tenant.series_id, "INV", CURRENCY,
                number and number[0], number and number[1], number and number[2], DEFAULT_DOCUMENT_CLASS,
                DEFAULT_DOCUMENT_TYPE, DEFAULT_PROFILE_BY_CLASS[DEFAULT_DOCUMENT_CLASS], issue_date,
                issue_date and issue_date + timedelta(days=30), notes, drafts.ONE, tenant.tax_number, *receiver,
                basket.header["amount_tax_exclusive"], basket.header["amount_tax_total"],
                basket.header["amount_payable"], basket.header["invoice_amount"], fields["amount_paid"],
                fields["status"], fields.get("cancelled_from"), fields.get("is_archived", False), False, False,
                fields.get("sent_at"), fields.get("issued_at"), fields.get("paid_at"), fields.get("cancelled_at"),
                fields.get("voided_at"), None, fields.get("archived_at"), history.version, created, history.at,
                invoice_search_key(searched),
            )
        )  # fmt: skip

    def _customer_and_basket(self, invoice_id: int, tenant_id: int) -> tuple[int, Basket]:
        customers = self.layout.customer_ids_of(tenant_id)
        if invoice_id in self.layout.ceiling:
            # Alike but for id and version, so the SQL capture can tell which bound values name the invoice.
            return customers[0], self.baskets[0]
        customer_id = customers[(invoice_id // self.layout.tenants) % len(customers)]
        if invoice_id in self.layout.payable:
            return customer_id, self.large
        return customer_id, self.baskets[invoice_id % len(self.baskets)]

    def receiver_of(self, customer_id: int) -> tuple[Any, Any, Any]:
        receiver = self.receivers[customer_id]
        return receiver["receiver_name"], receiver["receiver_tax_number"], receiver["receiver_email"]

    def take_number(self, tenant_id: int, year: int) -> int:
        number = self.counters.get((tenant_id, year), 0) + 1
        self.counters[(tenant_id, year)] = number
        return number


class History:
    """Writes one invoice's lines, events and payments for the path that led to its state."""

    def __init__(self, dataset: Dataset, chunk: Chunk, tenant: TenantSeed, invoice_id: int, at: datetime) -> None:
        self.dataset = dataset
        self.chunk = chunk
        self.tenant = tenant
        self.invoice_id = invoice_id
        self.at = at
        self.version = 0
        self.status: str | None = None

    def write(self, state: str, basket: Basket) -> dict[str, Any]:
        self._lines(basket)
        self._event("invoice.created", "draft")
        fields: dict[str, Any] = {"amount_paid": Decimal("0.00"), "status": "draft"}
        if state == "draft":
            return fields
        fields |= self._issue()
        payable = basket.header["amount_payable"]
        if state == "sent":
            fields["sent_at"] = self._event(LIFECYCLE[Action.SEND].event_type, "issued", days=3)
        elif state in ("paid", "archived"):
            fields |= self._pay(payable, "paid")
        elif state == "partially_paid":
            fields |= self._pay((payable / 2).quantize(Decimal("0.01"), rounding=ROUND_DOWN), "partially_paid")
        elif state == "cancelled":
            fields |= {"cancelled_from": "issued", "cancelled_at": self._cancel()}
        elif state == "void":
            fields["voided_at"] = self._event(LIFECYCLE[Action.VOID].event_type, "void", days=10)
        if state == "archived":
            fields |= {"is_archived": True, "archived_at": self._event(LIFECYCLE[Action.ARCHIVE].event_type, "paid",
                                                                      days=60)}  # fmt: skip
        fields["status"] = self.status
        return fields

    def _lines(self, basket: Basket) -> None:
        for line in basket.lines:
            self.chunk.rows["invoice_lines"].append(
                (
                    self.tenant.tenant_id, self.dataset.take_id("invoice_lines"), self.dataset.public_id(),
                    self.invoice_id, line["position"], line["name"], line["quantity"], line["unit_price"],
                    line["vat_rate_percent"], line["discount_percent"], line["amount_discount"], line["amount_net"],
                    line["amount_tax"], line["amount_total"],
                )
            )  # fmt: skip

    def _issue(self) -> dict[str, Any]:
        issued_at = self.at + timedelta(hours=2)
        year = issued_at.year
        sequence = self.dataset.take_number(self.tenant.tenant_id, year)
        document_number = format_document_number("INV", year, sequence)
        self._event(LIFECYCLE[Action.ISSUE].event_type, "issued", hours=2, data={"document_number": document_number})
        return {"number": (document_number, year, sequence), "issue_date": issued_at.date(), "issued_at": issued_at}

    def _pay(self, amount: Decimal, status: str) -> dict[str, Any]:
        paid_at = self.at + timedelta(days=20)
        payment_id = self.dataset.take_id("payments")
        self.chunk.rows["payments"].append(
            (self.tenant.tenant_id, payment_id, self.dataset.public_id(), self.invoice_id, amount, "bank_transfer",
             paid_at, f"Transfer {payment_id}", self.tenant.actor, paid_at)
        )  # fmt: skip
        data = {"payment_id": payment_id, "amount": str(amount), "method": "bank_transfer"}
        self._event(LIFECYCLE[Action.RECORD_PAYMENT].event_type, status, days=20, data=data)
        return {"amount_paid": amount, "paid_at": paid_at if status == "paid" else None}

    def _cancel(self) -> datetime:
        return self._event(LIFECYCLE[Action.CANCEL].event_type, "cancelled", days=15)

    def _event(self, event_type: str, to_status: str, *, data: dict[str, Any] | None = None, **after: int) -> datetime:
        self.at = self.at + timedelta(**after) if after else self.at
        self.version += 1
        self.chunk.rows["invoice_events"].append(
            (
                self.tenant.tenant_id, self.dataset.take_id("invoice_events"), self.dataset.public_id(),
                self.invoice_id, self.version, event_type, self.status, to_status, self.tenant.actor, None,
                json.dumps(data, separators=(",", ":")) if data else None, self.at,
            )
        )  # fmt: skip
        self.status = to_status
        return self.at
