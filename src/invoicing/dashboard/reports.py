"""The reports page (GET /app/reports, every role): receivables aging, revenue per month and top
customers, per currency, each as a chart beside its table. The figures are the reports
service's (`invoicing.reports.service`); this module only names and draws them."""

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from invoicing.dashboard.charts import Bar, Group, bar_chart, column_chart, grouped_column_chart
from invoicing.dashboard.context import signed_in
from invoicing.dashboard.templating import render
from invoicing.invoices.service import today_in
from invoicing.reports.service import AGE_BUCKETS, Aging, Revenue, TopCustomers, reports

router = APIRouter()

AGE_LABELS = {
    "current": "Current",
    "1_30": "1–30 days",
    "31_60": "31–60 days",
    "61_90": "61–90 days",
    "over_90": "Over 90 days",
}
# Youngest first, as aged receivables read left to right (AGE_BUCKETS is oldest first).
AGE_ORDER = tuple(reversed(AGE_BUCKETS))
INVOICED, COLLECTED = "Invoiced", "Collected"


def aging_view(aging: Aging) -> dict[str, Any]:
    rows = [{"label": AGE_LABELS[bucket], "amount": aging.buckets[bucket], "bucket": bucket} for bucket in AGE_ORDER]
    bars = [Bar(label=row["label"], amount=row["amount"], css_class=f"age-{row['bucket']}") for row in rows]
    title = f"Receivables aging in {aging.currency}"
    return {
        "currency": aging.currency,
        "rows": rows,
        "total": aging.total,
        "chart": column_chart(f"aging-{aging.currency}", title, aging.currency, bars),
    }


def revenue_view(revenue: Revenue) -> dict[str, Any]:
    groups = [
        Group(
            label=figures.month.strftime("%b"),
            note=str(figures.month.year) if index == 0 or figures.month.month == 1 else "",
            bars=[
                Bar(label=INVOICED, amount=figures.invoiced, css_class="invoiced"),
                Bar(label=COLLECTED, amount=figures.collected, css_class="collected"),
            ],
        )
        for index, figures in enumerate(revenue.months)
    ]
    legend = [
        Bar(label=INVOICED, amount="0", css_class="invoiced"),
        Bar(label=COLLECTED, amount="0", css_class="collected"),
    ]
    title = f"Invoiced and collected per month in {revenue.currency}"
    return {
        "currency": revenue.currency,
        "months": list(reversed(revenue.months)),  # the table reads newest first
        "invoiced": revenue.invoiced,
        "collected": revenue.collected,
        "chart": grouped_column_chart(f"revenue-{revenue.currency}", title, revenue.currency, groups, legend=legend),
    }


def top_customers_view(top: TopCustomers) -> dict[str, Any]:
    bars = [Bar(label=figure.name, amount=figure.invoiced, css_class="customer") for figure in top.customers]
    title = f"Top customers by amount invoiced in {top.currency}"
    return {
        "currency": top.currency,
        "customers": top.customers,
        "chart": bar_chart(f"top-{top.currency}", title, top.currency, bars),
    }


@router.get("/reports")
async def reports_page(request: Request) -> Response:
    async with signed_in(request) as page:
        timezone = page.tenant["timezone"]
        report = await reports(page.context, timezone=timezone, today=today_in(timezone))
        return render(
            request,
            "reports/index.html",
            page=page,
            section="reports",
            report=report,
            timezone=timezone,
            aging=[aging_view(aging) for aging in report.aging],
            revenue=[revenue_view(revenue) for revenue in report.revenue],
            top_customers=[top_customers_view(top) for top in report.top_customers],
        )
