"""Where every seeded invoice sits: which tenant owns it and which scenario may touch it.

Invoice ids are dealt round-robin over the tenants (tenant = (id - 1) % T + 1), so any
contiguous id range spreads over every tenant; the wrk scripts and pgbench compute tenants with
the same formula instead of looking them up. Each scenario that changes invoices gets its own
contiguous range (a "pool"), and each timed run its own part of it, so no run finds invoices in
a state another run left them in. The ceiling's pool sits at the end of the id space and belongs
to tenant 1 only, because pgbench can use one bearer token (see ceiling.py).
"""

from dataclasses import dataclass

# Shares of the invoices outside the ceiling pool; the rest are "mixed" (every lifecycle state).
CYCLE_SHARE = 0.10  # issued, for cancel/revert: its peak and latency runs, and the delivery phase's two
CYCLE_SPLIT = (0.3, 0.3, 0.2, 0.2)  # peak, latency, the delivery backlog, the load under delivery
DRAFTS_SHARE = 0.30  # complete drafts, for issue (each request consumes one)
PAYABLE_SHARE = 0.06  # issued with a large amount, for small payments
CEILING_SHARE = 0.04
CEILING_TENANT = 1
CAPTURE_INVOICES = 2  # the first invoices of the ceiling pool: the SQL is captured on them


@dataclass(frozen=True, slots=True)
class IdRange:
    first: int
    count: int

    @property
    def last(self) -> int:
        return self.first + self.count - 1

    def __contains__(self, invoice_id: object) -> bool:
        return isinstance(invoice_id, int) and self.first <= invoice_id <= self.last

    def split(self, share: float) -> tuple["IdRange", "IdRange"]:
        head = int(self.count * share)
        return IdRange(self.first, head), IdRange(self.first + head, self.count - head)

    def parts(self, shares: tuple[float, ...]) -> list["IdRange"]:
        """Consecutive parts of these shares of the range (they add up to 1; the last takes the rest)."""
        found, rest = [], self
        for index, share in enumerate(shares[:-1]):
            head, rest = rest.split(share / sum(shares[index:]))
            found.append(head)
        return [*found, rest]


@dataclass(frozen=True, slots=True)
class Layout:
    invoices: int
    tenants: int
    mixed: IdRange
    payable: IdRange
    cycle_peak: IdRange
    cycle_latency: IdRange
    cycle_backlog: IdRange
    cycle_lag: IdRange
    drafts_peak: IdRange
    drafts_latency: IdRange
    ceiling: IdRange

    @property
    def regular(self) -> IdRange:
        """The round-robin invoices: everything but the ceiling pool (get and list read these)."""
        return IdRange(1, self.ceiling.first - 1)

    @property
    def customers_per_tenant(self) -> int:
        return max(5, self.invoices // self.tenants // 20)

    @property
    def ceiling_work(self) -> IdRange:
        """The ceiling pool without the invoices the SQL capture uses."""
        return IdRange(self.ceiling.first + CAPTURE_INVOICES, self.ceiling.count - CAPTURE_INVOICES)

    def tenant_of(self, invoice_id: int) -> int:
        if invoice_id in self.ceiling:
            return CEILING_TENANT
        return (invoice_id - 1) % self.tenants + 1

    def customer_ids_of(self, tenant_id: int) -> range:
        """Customers are dealt round-robin like invoices: tenant t owns t, t + T, t + 2T, ..."""
        return range(tenant_id, self.tenants * self.customers_per_tenant + 1, self.tenants)


def plan(invoices: int, tenants: int) -> Layout:
    """Oldest first: mixed history, then payable, cycle and draft pools (drafts are the newest)."""
    if tenants < 1 or invoices < 100 * tenants:
        raise ValueError("need at least 100 invoices per tenant")
    ceiling_count = max(64, int(invoices * CEILING_SHARE))
    regular = invoices - ceiling_count
    cycle, drafts, payable = (int(regular * share) for share in (CYCLE_SHARE, DRAFTS_SHARE, PAYABLE_SHARE))
    mixed = regular - cycle - drafts - payable
    ranges, first = [], 1
    for count in (mixed, payable, cycle, drafts, ceiling_count):
        ranges.append(IdRange(first, count))
        first += count
    mixed_range, payable_range, cycle_range, drafts_range, ceiling_range = ranges
    cycle_peak, cycle_latency, cycle_backlog, cycle_lag = cycle_range.parts(CYCLE_SPLIT)
    # The peak run issues about twice as many as the run at half its rate.
    drafts_peak, drafts_latency = drafts_range.split(2 / 3)
    return Layout(
        invoices=invoices,
        tenants=tenants,
        mixed=mixed_range,
        payable=payable_range,
        cycle_peak=cycle_peak,
        cycle_latency=cycle_latency,
        cycle_backlog=cycle_backlog,
        cycle_lag=cycle_lag,
        drafts_peak=drafts_peak,
        drafts_latency=drafts_latency,
        ceiling=ceiling_range,
    )
