"""Gapless numbering (SPEC 3): series + 4-digit year + 9-digit sequence, assigned at issue only.

Numbers are unique and gapless per tenant, series and calendar year, even when many issues race.
"""

import asyncio
import re
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.core.context import TenantContext
from invoicing.core.db import transaction
from invoicing.invoices import service as invoice_service
from invoicing.invoices.schemas import InvoiceCreate
from tests.conftest import Tenant

CONCURRENT_ISSUES = 200
NUMBER = re.compile(r"^(?P<series>[A-Z0-9]{3})(?P<year>\d{4})(?P<sequence>\d{9})$")
LINE = {"name": "Work", "quantity": "1", "unit_price": "10.00", "vat_rate_percent": "20"}


def parts(document_number: str) -> tuple[str, int, int]:
    match = NUMBER.match(document_number)
    assert match, f"{document_number!r} is not SERIES + YYYY + 9 digits"
    return match["series"], int(match["year"]), int(match["sequence"])


async def drafts(tenant: Tenant, count: int, **fields: Any) -> list[int]:
    """`count` drafts of one new customer, over HTTP."""
    customer_id = (await tenant.create_customer())["id"]
    fields = {"customer_id": customer_id, "lines": [LINE], **fields}
    return [(await tenant.create_draft(**fields))["id"] for _ in range(count)]


async def bulk_drafts(engine: AsyncEngine, tenant: Tenant, count: int, **fields: Any) -> list[int]:
    """The same through the service in one transaction: set-up only, so the test time is the issuing."""
    customer_id = (await tenant.create_customer())["id"]
    data = InvoiceCreate.model_validate({"customer_id": customer_id, "lines": [LINE], **fields})
    async with transaction(engine, write=True) as connection:
        context = TenantContext(connection, tenant.id, actor="test")
        return [(await invoice_service.create_draft(context, data)).invoice["id"] for _ in range(count)]


async def issue_all(tenant: Tenant, ids: list[int]) -> list[httpx.Response]:
    """Every issue in flight at once."""
    return list(await asyncio.gather(*(tenant.post(f"/invoices/{invoice_id}/issue") for invoice_id in ids)))


async def counter(engine: AsyncEngine, tenant: Tenant, year: int) -> list[int]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT last_number FROM series_counters WHERE tenant_id = :tenant AND year = :year"),
            {"tenant": tenant.id, "year": year},
        )
        return [int(row.last_number) for row in rows]


async def test_200_concurrent_issues_on_one_series_get_1_to_200_without_gap_or_duplicate(
    tenant: Tenant, engine: AsyncEngine, backend: str, record_property: Any
) -> None:
    ids = await bulk_drafts(engine, tenant, CONCURRENT_ISSUES, issue_date="2026-02-14")
    started = time.perf_counter()
    responses = await issue_all(tenant, ids)
    elapsed = time.perf_counter() - started
    record_property(f"concurrent_issue_seconds_{backend}", round(elapsed, 3))
    print(f"\n{CONCURRENT_ISSUES} concurrent issues on {backend}: {elapsed:.2f} s")

    failures = [(response.status_code, response.text[:200]) for response in responses if response.status_code != 200]
    assert not failures, failures
    numbers = [response.json()["data"]["document_number"] for response in responses]
    parsed = [parts(number) for number in numbers]
    assert {(series, year) for series, year, _ in parsed} == {("INV", 2026)}
    assert sorted(sequence for _, _, sequence in parsed) == list(range(1, CONCURRENT_ISSUES + 1))
    assert sorted(numbers)[0] == "INV2026000000001"
    assert sorted(numbers)[-1] == f"INV2026{CONCURRENT_ISSUES:09d}"
    # Each response's number is the one stored, and the counter gave away exactly 200 numbers.
    assert {response.json()["data"]["id"] for response in responses} == set(ids)
    assert await counter(engine, tenant, 2026) == [CONCURRENT_ISSUES]
    issued = (await tenant.get("/invoices", params={"status": "issued", "limit": 200})).json()["data"]
    assert sorted(item["document_number"] for item in issued) == sorted(numbers)
    assert elapsed < 60, f"{CONCURRENT_ISSUES} concurrent issues took {elapsed:.1f} s on {backend}"


async def test_concurrent_failed_issues_consume_no_number(tenant: Tenant, engine: AsyncEngine) -> None:
    good = await bulk_drafts(engine, tenant, 20, issue_date="2026-05-01")
    bad = await bulk_drafts(engine, tenant, 10, issue_date="2026-05-01", lines=[])
    interleaved = [invoice_id for pair in zip(good, bad + bad, strict=False) for invoice_id in pair]
    responses = await issue_all(tenant, interleaved)
    by_id: dict[int, list[httpx.Response]] = {}
    for invoice_id, response in zip(interleaved, responses, strict=True):
        by_id.setdefault(invoice_id, []).append(response)
    assert all(r.status_code == 422 and r.json()["code"] == "invoice_incomplete" for i in bad for r in by_id[i])
    numbers = sorted(parts(by_id[i][0].json()["data"]["document_number"])[2] for i in good)
    assert numbers == list(range(1, 21))
    next_one = await tenant.issue((await drafts(tenant, 1, issue_date="2026-05-02"))[0])
    assert next_one["document_number"] == "INV2026000000021"


async def test_issuing_one_draft_many_times_at_once_numbers_it_once(tenant: Tenant) -> None:
    [invoice_id] = await drafts(tenant, 1, issue_date="2026-06-01")
    responses = await issue_all(tenant, [invoice_id] * 10)
    assert sorted(response.status_code for response in responses) == [200] + [409] * 9
    assert {r.json()["code"] for r in responses if r.status_code == 409} <= {
        "invoice_not_draft",
        "invoice_changed_concurrently",
    }
    [winner] = [r.json()["data"] for r in responses if r.status_code == 200]
    assert winner["document_number"] == "INV2026000000001"
    events = (await tenant.get(f"/invoices/{invoice_id}/events")).json()["data"]
    assert [event["type"] for event in events] == ["invoice.created", "invoice.issued"]
    following = await tenant.issue((await drafts(tenant, 1, issue_date="2026-06-02"))[0])
    assert following["document_number"] == "INV2026000000002"


async def test_a_draft_never_holds_a_number(tenant: Tenant) -> None:
    draft = await tenant.create_draft(issue_date="2026-03-01")
    assert draft["document_number"] is None
    await tenant.issue((await tenant.create_draft(issue_date="2026-03-01"))["id"])
    edited = await tenant.patch(f"/invoices/{draft['id']}", json={"notes": "still a draft"})
    assert edited.json()["data"]["document_number"] is None
    assert (await tenant.get(f"/invoices/{draft['id']}")).json()["data"]["document_number"] is None
    listed = (await tenant.get("/invoices", params={"status": "draft"})).json()["data"]
    assert [item["document_number"] for item in listed] == [None]
    assert (await tenant.issue(draft["id"]))["document_number"] == "INV2026000000002"


async def test_numbers_restart_at_1_each_calendar_year(tenant: Tenant) -> None:
    numbers = []
    for issue_date in ("2025-12-31", "2026-01-01", "2025-06-30", "2026-12-31", "2027-01-01"):
        numbers.append(
            (await tenant.issue((await tenant.create_draft(issue_date=issue_date))["id"]))["document_number"]
        )
    assert numbers == [
        "INV2025000000001",
        "INV2026000000001",
        "INV2025000000002",
        "INV2026000000002",
        "INV2027000000001",
    ]


async def test_a_draft_without_an_issue_date_is_numbered_in_the_year_it_is_issued(tenant: Tenant) -> None:
    issued = await tenant.issue((await tenant.create_draft())["id"])
    today = datetime.now(ZoneInfo("Europe/Istanbul")).date()  # the tenant's zone (new_tenant's default)
    assert issued["issue_date"] == today.isoformat()
    assert issued["document_number"] == f"INV{today.year}000000001"


async def test_the_number_follows_an_issue_date_edited_before_issue(tenant: Tenant) -> None:
    draft = await tenant.create_draft(issue_date="2026-01-10")
    response = await tenant.patch(f"/invoices/{draft['id']}", json={"issue_date": "2024-12-30"})
    assert response.status_code == 200, response.text
    assert (await tenant.issue(draft["id"]))["document_number"] == "INV2024000000001"


async def test_each_series_has_its_own_counter(tenant: Tenant) -> None:
    created = await tenant.post("/series", json={"name": "ABC"})
    assert created.status_code == 201, created.text
    assert created.json()["data"]["name"] == "ABC"

    async def issue_in(series: str | None) -> str:
        fields = {"issue_date": "2026-04-01"} | ({"series_name": series} if series else {})
        return str((await tenant.issue((await tenant.create_draft(**fields))["id"]))["document_number"])

    assert await issue_in("ABC") == "ABC2026000000001"
    assert await issue_in(None) == "INV2026000000001"  # the tenant's default series
    assert await issue_in("INV") == "INV2026000000002"
    assert await issue_in("ABC") == "ABC2026000000002"


async def test_each_tenant_has_its_own_counter(tenant: Tenant, other_tenant: Tenant) -> None:
    first = await tenant.issue((await tenant.create_draft(issue_date="2026-07-01"))["id"])
    other = await other_tenant.issue((await other_tenant.create_draft(issue_date="2026-07-01"))["id"])
    second = await tenant.issue((await tenant.create_draft(issue_date="2026-07-01"))["id"])
    assert (first["document_number"], other["document_number"], second["document_number"]) == (
        "INV2026000000001",
        "INV2026000000001",
        "INV2026000000002",
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"lines": []}, "lines"), ({"customer_id": None}, "customer_id")],
    ids=["no lines", "no customer"],
)
async def test_a_failed_issue_consumes_no_number(
    tenant: Tenant, engine: AsyncEngine, fields: dict[str, Any], field: str
) -> None:
    body = {"issue_date": "2026-08-01", "lines": [LINE], **fields}
    if field != "customer_id":
        body["customer_id"] = (await tenant.create_customer())["id"]
    incomplete = (await tenant.post("/invoices", json=body)).json()["data"]
    refused = await tenant.post(f"/invoices/{incomplete['id']}/issue")
    assert refused.status_code == 422
    assert refused.json()["code"] == "invoice_incomplete"
    assert field in refused.json()["errors"]
    assert await counter(engine, tenant, 2026) == []
    assert (await tenant.get(f"/invoices/{incomplete['id']}")).json()["data"]["document_number"] is None

    issued = await tenant.issue((await tenant.create_draft(issue_date="2026-08-02"))["id"])
    assert issued["document_number"] == "INV2026000000001"
    again = await tenant.post(f"/invoices/{issued['id']}/issue")
    assert again.status_code == 409
    assert (await tenant.issue((await tenant.create_draft(issue_date="2026-08-03"))["id"]))[
        "document_number"
    ] == "INV2026000000002"
