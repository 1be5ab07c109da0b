"""The reports' figures (service level, both databases): aging buckets, revenue months, top customers."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.reports.service import AGE_BUCKETS, month_starts
from tests.conftest import Tenant
from tests.reports.support import act, credit, days_ago, first_of_month, issued, pay, reports_of, tenant_today


async def test_aging_buckets_the_amount_due_by_days_past_the_due_date(engine: AsyncEngine, tenant: Tenant) -> None:
    today, _ = await tenant_today(engine, tenant)
    due_in = {  # days past due -> amount payable
        0: "100.00",
        1: "200.00",
        30: "10.00",
        31: "300.00",
        60: "1.00",
        61: "400.00",
        90: "2.00",
        91: "500.00",
    }
    made = {}
    for days, amount in due_in.items():
        due = days_ago(today, days)
        made[days] = await issued(tenant, amount, issue_date=due - timedelta(days=5), due_date=due)
    await issued(tenant, "7.00", issue_date=days_ago(today, 3))  # no due date: current
    await pay(tenant, made[1]["id"], "50.00")  # 150.00 left in 1-30
    await credit(tenant, made[31]["id"], "100.00")  # 200.00 left in 31-60
    paid = await issued(tenant, "900.00", issue_date=days_ago(today, 100), due_date=days_ago(today, 95))
    await pay(tenant, paid["id"], "900.00")
    cancelled = await issued(tenant, "800.00", issue_date=days_ago(today, 100), due_date=days_ago(today, 95))
    await act(tenant, cancelled["id"], "cancel")
    await tenant.create_draft(due_date=days_ago(today, 40).isoformat())
    await issued(tenant, "20.00", issue_date=days_ago(today, 10), due_date=days_ago(today, 5), currency="EUR")

    aging = {report.currency: report for report in (await reports_of(engine, tenant)).aging}

    assert sorted(aging) == ["EUR", "TRY"]
    assert aging["TRY"].buckets == {
        "over_90": "500.00",
        "61_90": "402.00",
        "31_60": "201.00",
        "1_30": "160.00",
        "current": "107.00",
    }
    assert aging["TRY"].total == "1370.00"
    assert aging["EUR"].buckets == dict.fromkeys(AGE_BUCKETS, "0.00") | {"1_30": "20.00"}


async def test_aging_agrees_with_the_api_s_amount_due(engine: AsyncEngine, tenant: Tenant) -> None:
    today, _ = await tenant_today(engine, tenant)
    invoice = await issued(tenant, "120.00", issue_date=days_ago(today, 40), due_date=days_ago(today, 35))
    await pay(tenant, invoice["id"], "20.00")
    await credit(tenant, invoice["id"], "30.00")
    answered = (await tenant.get(f"/invoices/{invoice['id']}")).json()["data"]["amount_due"]

    (aging,) = (await reports_of(engine, tenant)).aging

    assert aging.buckets["31_60"] == answered == "70.00"


async def test_revenue_counts_issued_invoices_by_month_and_payments_by_the_day_received(
    engine: AsyncEngine, tenant: Tenant
) -> None:
    today, timezone = await tenant_today(engine, tenant)
    zone = ZoneInfo(timezone)
    this_month, three_back, eleven_back = (first_of_month(today, back) for back in (0, 3, 11))
    first = await issued(tenant, "100.00", issue_date=this_month)
    await issued(tenant, "50.00", issue_date=this_month)
    credited = await issued(tenant, "70.00", issue_date=three_back)
    await credit(tenant, credited["id"], "20.00")  # lowers the month its invoice was issued in
    oldest = await issued(tenant, "5.00", issue_date=eleven_back)
    await issued(tenant, "999.00", issue_date=first_of_month(today, 12))  # before the twelve months
    await act(tenant, (await issued(tenant, "800.00", issue_date=this_month))["id"], "cancel")
    await act(tenant, (await issued(tenant, "700.00", issue_date=this_month))["id"], "void")
    await tenant.create_draft(issue_date=this_month.isoformat())
    # Midnight in the tenant's time zone divides the months, not midnight UTC.
    month_opens = datetime.combine(this_month, time(0, 30), tzinfo=zone)
    await pay(tenant, first["id"], "30.00", paid_at=month_opens)
    await pay(tenant, first["id"], "10.00", paid_at=month_opens - timedelta(hours=1))
    await pay(tenant, oldest["id"], "5.00", paid_at=datetime.combine(eleven_back, time(12), tzinfo=zone))
    await pay(tenant, credited["id"], "1.00", paid_at=datetime.now(UTC) - timedelta(days=400))  # too long ago

    (revenue,) = (await reports_of(engine, tenant)).revenue

    assert revenue.currency == "TRY"
    assert [figures.month for figures in revenue.months] == month_starts(today)[:-1]
    by_month = {figures.month: (figures.invoiced, figures.collected) for figures in revenue.months}
    last_month = first_of_month(today, 1)
    expected = dict.fromkeys(month_starts(today)[:-1], ("0.00", "0.00")) | {
        this_month: ("150.00", "30.00"),
        last_month: ("0.00", "10.00"),
        three_back: ("50.00", "0.00"),
        eleven_back: ("5.00", "5.00"),
    }
    assert by_month == expected
    assert (revenue.invoiced, revenue.collected) == ("205.00", "45.00")


async def test_top_customers_are_the_ten_invoiced_most_in_the_twelve_months(
    engine: AsyncEngine, tenant: Tenant
) -> None:
    today, _ = await tenant_today(engine, tenant)
    customers = [await tenant.create_customer(company_name=f"Company {n:02}") for n in range(12)]
    for n, customer in enumerate(customers):
        await issued(tenant, f"{(n + 1) * 10}.00", issue_date=days_ago(today, 1), customer_id=customer["id"])
    # Company 00 becomes the largest with an invoice this year; Company 11 falls to 60.00 with a credit.
    await issued(tenant, "500.00", issue_date=first_of_month(today, 11), customer_id=customers[0]["id"])
    largest = await issued(tenant, "90.00", issue_date=days_ago(today, 2), customer_id=customers[11]["id"])
    await credit(tenant, largest["id"], "90.00")
    await issued(tenant, "9000.00", issue_date=first_of_month(today, 12), customer_id=customers[1]["id"])  # too old
    await issued(tenant, "40.00", issue_date=days_ago(today, 1), customer_id=customers[2]["id"], currency="EUR")

    top = {report.currency: report for report in (await reports_of(engine, tenant)).top_customers}

    ranking = [(figure.name, figure.invoiced) for figure in top["TRY"].customers]
    assert ranking == [
        ("Company 00", "510.00"),
        ("Company 11", "120.00"),
        ("Company 10", "110.00"),
        ("Company 09", "100.00"),
        ("Company 08", "90.00"),
        ("Company 07", "80.00"),
        ("Company 06", "70.00"),
        ("Company 05", "60.00"),
        ("Company 04", "50.00"),
        ("Company 03", "40.00"),
    ]
    assert [(figure.name, figure.invoiced) for figure in top["EUR"].customers] == [("Company 02", "40.00")]


async def test_another_tenant_s_invoices_and_payments_never_count(
    engine: AsyncEngine, tenant: Tenant, other_tenant: Tenant
) -> None:
    today, _ = await tenant_today(engine, tenant)
    mine = await issued(tenant, "10.00", issue_date=days_ago(today, 1), due_date=days_ago(today, 1))
    await pay(tenant, mine["id"], "4.00")
    theirs = await issued(other_tenant, "5000.00", issue_date=days_ago(today, 1), due_date=days_ago(today, 1))
    await pay(other_tenant, theirs["id"], "1000.00")

    report = await reports_of(engine, tenant)

    assert [(aging.currency, aging.total) for aging in report.aging] == [("TRY", "6.00")]
    assert [(revenue.invoiced, revenue.collected) for revenue in report.revenue] == [("10.00", "4.00")]
    assert [[figure.invoiced for figure in top.customers] for top in report.top_customers] == [["10.00"]]


async def test_a_tenant_without_invoices_has_empty_reports(engine: AsyncEngine, tenant: Tenant) -> None:
    report = await reports_of(engine, tenant)

    assert report.is_empty
