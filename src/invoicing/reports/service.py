"""Reports over one tenant's invoices and payments, per currency (amounts in different
currencies are never added together): receivables aging, revenue per month, top customers.

The definitions (docs/decisions.md, "Dashboard: reports"):
- Aging: invoices awaiting payment (`AWAITING_PAYMENT`), their amount due as the API states it
  (`lifecycle.amount_due`, or its SQL twin), by days past the due date as of the tenant's today:
  current (not yet due, or no due date), 1-30, 31-60, 61-90, over 90. Archived ones count too.
- Invoiced: invoices issued, partly paid or paid, by issue date, each at its amount payable less
  its live credit notes (`amount_credited`), so a credit note lowers the month its invoice was
  issued in. Drafts, cancelled, void and deleted invoices owe nothing and count for nothing.
- Collected: payments received, by the day they were received in the tenant's time zone,
  whatever their invoice's status since; refunds and customer credit applied are not cash in.
- Months: the tenant's current month and the eleven before it; top customers are ranked by what
  was invoiced them in those months.

Amounts come back as the API writes them: decimal strings with the currency's minor units.
"""

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import RowMapping

from invoicing.core.context import TenantContext
from invoicing.core.render import money_text
from invoicing.currencies.catalog import find_currency
from invoicing.customers.representation import display_name
from invoicing.invoices.lifecycle import AWAITING_PAYMENT, INVOICED, amount_due
from invoicing.invoices.transitions import facts_of
from invoicing.reports.repository import ReportsRepository

# Oldest first, as the repository counts due-date bounds reached: none reached is "over 90".
AGE_BUCKETS = ("over_90", "61_90", "31_60", "1_30", "current")
AGE_BOUNDS_DAYS = (90, 60, 30, 0)  # a due date this many days before today starts the next bucket
MONTHS = 12
TOP_CUSTOMERS = 10
ZERO = Decimal(0)

Key = TypeVar("Key", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Aging:
    currency: str
    buckets: dict[str, str]  # AGE_BUCKETS key -> amount due
    total: str


@dataclass(frozen=True, slots=True)
class MonthFigures:
    month: date  # its first day
    invoiced: str
    collected: str


@dataclass(frozen=True, slots=True)
class Revenue:
    currency: str
    months: list[MonthFigures]  # oldest first
    invoiced: str
    collected: str


@dataclass(frozen=True, slots=True)
class CustomerFigure:
    customer_id: int | None
    name: str
    invoiced: str


@dataclass(frozen=True, slots=True)
class TopCustomers:
    currency: str
    customers: list[CustomerFigure]  # most invoiced first


@dataclass(frozen=True, slots=True)
class Reports:
    today: date
    aging: list[Aging]
    revenue: list[Revenue]
    top_customers: list[TopCustomers]

    @property
    def is_empty(self) -> bool:
        return not (self.aging or self.revenue or self.top_customers)


def month_starts(today: date, months: int = MONTHS) -> list[date]:
    """The first days of the `months` months ending with today's, and of the month after."""
    year, month = today.year, today.month
    starts = []
    for offset in range(-(months - 1), 2):
        index = year * 12 + month - 1 + offset
        starts.append(date(index // 12, index % 12 + 1, 1))
    return starts


def _instants(days: Sequence[date], timezone: str) -> list[datetime]:
    """Midnight of each day in the tenant's time zone, as UTC instants (payments' paid_at)."""
    zone = ZoneInfo(timezone)
    return [datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC) for day in days]


def _fold(
    rows: Iterable[RowMapping], key: Callable[[RowMapping], Key], amount: Callable[[RowMapping], Decimal]
) -> dict[Key, Decimal]:
    """Sums per key: PostgreSQL's rows are already one per group, SQLite's one per invoice."""
    sums: dict[Key, Decimal] = defaultdict(Decimal)
    for row in rows:
        sums[key(row)] += amount(row)
    return sums


def _money(amount: Decimal, currency: str) -> str:
    known = find_currency(currency)
    return money_text(amount, known.quantum) if known else format(amount, "f")


def _net_invoiced(row: RowMapping) -> Decimal:
    return Decimal(row["amount_payable"]) - Decimal(row["amount_credited"])


def _amount_due(row: RowMapping) -> Decimal:
    # PostgreSQL summed the lifecycle's SQL twin; SQLite's rows carry the facts for the function.
    if "amount_due" in row:
        return Decimal(row["amount_due"])
    return amount_due(facts_of(row))


async def receivables_aging(context: TenantContext, today: date) -> list[Aging]:
    """Per currency with anything due, oldest bucket first; amounts due as of `today`."""
    repository = ReportsRepository(context.connection, context.tenant_id)
    bounds = [today - timedelta(days=days) for days in AGE_BOUNDS_DAYS]
    rows = await repository.receivables_by_due_date([status.value for status in AWAITING_PAYMENT], bounds)
    sums = _fold(rows, lambda row: (row["currency"], AGE_BUCKETS[row["bucket"]]), _amount_due)
    aging = []
    for currency in sorted({currency for currency, _ in sums}):
        buckets = {bucket: sums.get((currency, bucket), ZERO) for bucket in AGE_BUCKETS}
        total = sum(buckets.values(), ZERO)
        if total == 0:
            continue  # paid to the cent by credits on every open invoice: nothing to chart
        aging.append(
            Aging(
                currency=currency,
                buckets={bucket: _money(amount, currency) for bucket, amount in buckets.items()},
                total=_money(total, currency),
            )
        )
    return aging


async def revenue_by_month(context: TenantContext, today: date, timezone: str) -> list[Revenue]:
    """Per currency invoiced or collected in the last MONTHS months (today's included), every month shown."""
    repository = ReportsRepository(context.connection, context.tenant_id)
    starts = month_starts(today)
    statuses = [status.value for status in sorted(INVOICED)]
    invoiced = _fold(
        await repository.invoiced_by_month(statuses, starts),
        lambda row: (row["currency"], row["month"]),
        _net_invoiced,
    )
    collected = _fold(
        await repository.collected_by_month(_instants(starts, timezone)),
        lambda row: (row["currency"], row["month"]),
        lambda row: Decimal(row["amount"]),
    )
    revenue = []
    for currency in sorted({currency for currency, _ in invoiced} | {currency for currency, _ in collected}):
        months = [
            MonthFigures(
                month=start,
                invoiced=_money(invoiced.get((currency, index), ZERO), currency),
                collected=_money(collected.get((currency, index), ZERO), currency),
            )
            for index, start in enumerate(starts[:-1])
        ]
        invoiced_total = sum((amount for (code, _), amount in invoiced.items() if code == currency), ZERO)
        collected_total = sum((amount for (code, _), amount in collected.items() if code == currency), ZERO)
        revenue.append(
            Revenue(
                currency=currency,
                months=months,
                invoiced=_money(invoiced_total, currency),
                collected=_money(collected_total, currency),
            )
        )
    return revenue


async def top_customers(context: TenantContext, today: date, limit: int = TOP_CUSTOMERS) -> list[TopCustomers]:
    """Per currency, the `limit` customers invoiced most in the last MONTHS months (ties by name)."""
    repository = ReportsRepository(context.connection, context.tenant_id)
    starts = month_starts(today)
    statuses = [status.value for status in sorted(INVOICED)]
    rows = await repository.invoiced_by_customer(statuses, starts[0], starts[-1])
    sums = _fold(rows, lambda row: (row["currency"], row["customer_id"]), _net_invoiced)
    ranked: dict[str, list[tuple[int | None, Decimal]]] = defaultdict(list)
    for (currency, customer_id), amount in sums.items():
        if amount > 0:
            ranked[currency].append((customer_id, amount))
    # Ties go to the older customer (the smaller id; no customer last): the same order every time.
    chosen = {
        currency: sorted(figures, key=lambda figure: (-figure[1], figure[0] is None, figure[0] or 0))[:limit]
        for currency, figures in ranked.items()
    }
    ids = sorted({customer_id for figures in chosen.values() for customer_id, _ in figures if customer_id is not None})
    names = {row["id"]: display_name(row) for row in await repository.customer_names(ids)}
    return [
        TopCustomers(
            currency=currency,
            customers=[
                CustomerFigure(
                    customer_id=customer_id, name=_customer_name(customer_id, names), invoiced=_money(amount, currency)
                )
                for customer_id, amount in chosen[currency]
            ],
        )
        for currency in sorted(chosen)
    ]


def _customer_name(customer_id: int | None, names: dict[int, str]) -> str:
    if customer_id is None:
        return "Without a customer"
    return names.get(customer_id) or f"Customer #{customer_id}"


async def reports(context: TenantContext, *, timezone: str, today: date) -> Reports:
    """Every report as of `today` (the tenant's: `invoices.service.today_in(timezone)`)."""
    return Reports(
        today=today,
        aging=await receivables_aging(context, today),
        revenue=await revenue_by_month(context, today, timezone),
        top_customers=await top_customers(context, today),
    )
