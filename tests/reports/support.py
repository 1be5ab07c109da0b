"""Invoices at chosen dates and amounts, made over the API, for the reports' tests. No tests here."""

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.core.context import TenantContext
from invoicing.core.db import transaction
from invoicing.invoices.service import today_in
from invoicing.reports.service import Reports, reports
from invoicing.tenants.service import get_tenant
from tests.conftest import Tenant


async def issued(
    tenant: Tenant,
    amount: str,
    *,
    issue_date: date,
    due_date: date | None = None,
    currency: str | None = None,
    customer_id: int | None = None,
) -> dict[str, Any]:
    """An issued invoice of one untaxed line: its amount payable is `amount`."""
    fields: dict[str, Any] = {
        "issue_date": issue_date.isoformat(),
        "lines": [{"name": "Work", "quantity": "1", "unit_price": amount, "vat_rate_percent": "0"}],
    }
    if due_date is not None:
        fields["due_date"] = due_date.isoformat()
    if currency is not None:
        fields["currency"] = currency
    if customer_id is not None:
        fields["customer_id"] = customer_id
    draft = await tenant.create_draft(**fields)
    return await tenant.issue(int(draft["id"]))


async def pay(tenant: Tenant, invoice_id: int, amount: str, paid_at: datetime | None = None) -> None:
    body: dict[str, Any] = {"amount": amount, "method": "bank_transfer"}
    if paid_at is not None:
        body["paid_at"] = paid_at.isoformat()
    response = await tenant.post(f"/invoices/{invoice_id}/payments", json=body)
    assert response.status_code == 201, response.text


async def credit(tenant: Tenant, invoice_id: int, amount: str) -> None:
    """An issued credit note of `amount` against the invoice (it comes off the amount due first)."""
    line = {"name": "Goodwill", "quantity": "1", "unit_price": amount, "vat_rate_percent": "0"}
    body = {"lines": [line], "reason": "Goodwill", "issue": True}
    response = await tenant.post(f"/invoices/{invoice_id}/credit-notes", json=body)
    assert response.status_code == 201, response.text


async def act(tenant: Tenant, invoice_id: int, action: str) -> None:
    response = await tenant.post(f"/invoices/{invoice_id}/{action}", json={"id": invoice_id})
    assert response.status_code == 200, response.text


async def tenant_today(engine: AsyncEngine, tenant: Tenant) -> tuple[date, str]:
    async with transaction(engine, write=False) as connection:
        row = await get_tenant(connection, tenant.id)
    assert row is not None
    return today_in(row["timezone"]), str(row["timezone"])


async def reports_of(engine: AsyncEngine, tenant: Tenant) -> Reports:
    """The reports as the page asks for them, through the superuser's engine: with row-level
    security out of the way, only the repository's own tenant filter keeps other tenants out."""
    today, timezone = await tenant_today(engine, tenant)
    async with transaction(engine, write=False) as connection:
        context = TenantContext(connection=connection, tenant_id=tenant.id, actor="test")
        return await reports(context, timezone=timezone, today=today)


def days_ago(today: date, days: int) -> date:
    return today - timedelta(days=days)


def first_of_month(day: date, months_back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)
