"""The reports page: every role reads it; charts beside tables; nothing yet for an empty tenant."""

import re
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.dashboard.charts import Bar, bar_chart, nice_ceiling
from invoicing.dashboard.templating import money
from tests.conftest import Tenant
from tests.dashboard.support import Person
from tests.reports.support import days_ago, issued, pay, tenant_today


async def test_a_viewer_sees_each_report_as_a_chart_beside_its_table(
    viewer: Person, engine: AsyncEngine, tenant: Tenant
) -> None:
    today, _ = await tenant_today(engine, tenant)
    customer = await tenant.create_customer(company_name="Acme Anonim Şirketi")
    invoice = await issued(
        tenant, "1234.50", issue_date=days_ago(today, 0), due_date=days_ago(today, 0), customer_id=customer["id"]
    )
    await pay(tenant, invoice["id"], "234.50")

    response = await viewer.get("/app/reports")

    assert response.status_code == 200
    page = response.text
    assert page.count("<svg") == 3
    for chart in ("aging-TRY", "revenue-TRY", "top-TRY"):
        assert f'aria-labelledby="{chart}-title {chart}-desc"' in page
        assert f'<title id="{chart}-title">' in page
        assert f'<desc id="{chart}-desc">' in page
    assert money("1000.00", "TRY") in page  # due now, current
    assert money("1234.50", "TRY") in page  # invoiced this month, and by Acme
    assert money("234.50", "TRY") in page  # collected this month
    assert "Acme Anonim Şirketi" in page
    assert '<th scope="col" class="num">Amount due</th>' in page
    assert 'aria-current="page">Reports' in page


async def test_the_page_has_no_inline_style_or_script(viewer: Person, engine: AsyncEngine, tenant: Tenant) -> None:
    today, _ = await tenant_today(engine, tenant)
    await issued(tenant, "10.00", issue_date=days_ago(today, 40), due_date=days_ago(today, 35))

    page = (await viewer.get("/app/reports")).text

    assert not re.search(r"\sstyle=", page)
    assert not re.search(r"\son[a-z]+=", page)
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/app/static/htmx-2.0.11.min.js" defer>']


async def test_an_empty_tenant_shows_nothing_yet_rather_than_empty_charts(viewer: Person) -> None:
    response = await viewer.get("/app/reports")

    assert response.status_code == 200
    assert "<svg" not in response.text
    assert response.text.count("Nothing yet") == 3


async def test_another_tenant_s_invoices_never_appear(
    viewer: Person, engine: AsyncEngine, tenant: Tenant, other_tenant: Tenant
) -> None:
    today, _ = await tenant_today(engine, tenant)
    theirs = await other_tenant.create_customer(company_name="Someone Else Ltd")
    await issued(other_tenant, "777.00", issue_date=today, due_date=today, customer_id=theirs["id"])

    page = (await viewer.get("/app/reports")).text

    assert "Someone Else Ltd" not in page
    assert money("777.00", "TRY") not in page
    assert page.count("Nothing yet") == 3


def test_a_chart_shows_a_customer_s_name_as_text_never_as_markup() -> None:
    chart = bar_chart("top-TRY", "Top <customers>", "TRY", [Bar(label='<script>alert("x")</script>', amount="10.00")])

    assert "<script>" not in chart
    assert "&lt;script&gt;" in chart
    assert '<title id="top-TRY-title">Top &lt;customers&gt;</title>' in chart


def test_the_axis_ends_at_a_round_amount_at_or_above_the_largest() -> None:
    largest = ("0", "0.40", "7", "10", "10.01", "2400.50", "31000")
    expected = ("1", "0.5", "10", "10", "20", "2500", "50000")
    assert [nice_ceiling(Decimal(text)) for text in largest] == [Decimal(text) for text in expected]
