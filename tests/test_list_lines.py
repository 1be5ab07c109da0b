"""Issue 10, finding 7: list pages carry no lines unless asked (`expand=lines`), and then no more
than MAX_LINES_PER_PAGE lines, in every dialect. 20 invoices of 500 lines made a 7 MB page.

The dialects' list DTOs require their items key: it is there, empty, while the totals and counts
made of the lines stay those of all of them (the single invoice and its line items carry them).
"""

from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.invoices.schemas import MAX_LINES
from invoicing.invoices.service import fitting_count
from tests.conftest import Tenant, new_tenant
from tests.flowpayroll_support import BASE, exact_json
from tests.highlevel_support import VERSION, shape_problems

INVOICES = 20
DEFAULT_LINE_BUDGET = 1000  # Settings.max_lines_per_page
# A page of 20 invoices without lines: about 1.5 KB each in the primary API. The same page with
# its lines was 7 MB; anything near that means lines came back.
SMALL_PAGE_BYTES = 100_000


@dataclass(frozen=True)
class Book:
    tenant: Tenant
    customer: dict[str, Any]
    invoice_ids: list[int]  # newest first, as lists give them
    public_ids: list[str]


def many_lines() -> list[dict[str, str]]:
    return [
        {
            "name": f"Line {index}",
            "quantity": "3",
            "unit_price": f"{index % 97 + 1}.35",
            "vat_rate_percent": "20" if index % 3 else "10",
            "discount_percent": "5" if index % 2 else "0",
        }
        for index in range(MAX_LINES)
    ]


@pytest.fixture(scope="module")
async def book(engine: AsyncEngine, client: httpx.AsyncClient) -> Book:
    """One client's 20 invoices of 500 lines each, every other one issued (so some have numbers)."""
    tenant = await new_tenant(engine, client, name="Many lines", currency="USD")
    customer = await tenant.create_customer(company_name="Lines Ltd")
    dated = {"issue_date": "2026-01-05", "due_date": "2026-01-19"}  # HighLevel's DTO has them as strings
    drafts = [
        await tenant.create_draft(customer_id=customer["id"], lines=many_lines(), **dated) for _ in range(INVOICES)
    ]
    for draft in drafts[::2]:
        await tenant.issue(draft["id"])
    newest_first = list(reversed(drafts))
    return Book(tenant, customer, [d["id"] for d in newest_first], [d["public_id"] for d in newest_first])


def highlevel(book: Book) -> dict[str, str]:
    return {"Authorization": f"Bearer {book.tenant.token}", "Version": VERSION}


def flowpayroll(book: Book) -> dict[str, str]:
    return {"X-Auth-Token": book.tenant.token}


async def primary_page(book: Book, **params: Any) -> httpx.Response:
    response = await book.tenant.get("/invoices", params={"customer_id": book.customer["id"], **params})
    assert response.status_code == 200, response.text
    return response


async def highlevel_page(book: Book, **params: Any) -> httpx.Response:
    query = {"altId": book.tenant.public_id, "altType": "location", "limit": INVOICES, "offset": 0, **params}
    response = await book.tenant.client.get("/highlevel/invoices/", params=query, headers=highlevel(book))
    assert response.status_code == 200, response.text
    return response


async def flowpayroll_page(book: Book, **params: Any) -> httpx.Response:
    url = f"{BASE}/clients/{book.customer['public_id']}/invoices"
    response = await book.tenant.client.get(url, params={"pageSize": INVOICES, **params}, headers=flowpayroll(book))
    assert response.status_code == 200, response.text
    return response


# -- the page-size bound, pure -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("line_counts", "budget", "fitting"),
    [
        ([500, 500, 500], 1000, 2),
        ([400, 600, 1], 1000, 2),
        ([1200, 1], 1000, 1),  # the first invoice always comes, whatever its lines
        ([0, 0, 0], 0, 3),
        ([3, 3], 1000, 2),
        ([], 1000, 0),
    ],
)
def test_a_page_takes_the_invoices_that_fit_in_the_line_budget_and_always_the_first(
    line_counts: list[int], budget: int, fitting: int
) -> None:
    assert fitting_count(line_counts, budget) == fitting


# -- the primary API ---------------------------------------------------------------------------


async def test_a_primary_page_of_twenty_invoices_of_500_lines_is_small_and_carries_no_lines(book: Book) -> None:
    response = await primary_page(book, limit=INVOICES)
    body = response.json()
    assert [item["id"] for item in body["data"]] == book.invoice_ids
    assert all("lines" not in item for item in body["data"])
    assert len(response.content) < SMALL_PAGE_BYTES
    assert body["meta"] == {"limit": INVOICES, "next_cursor": None, "has_more": False}


async def test_the_single_invoice_still_carries_all_of_its_lines(book: Book) -> None:
    response = await book.tenant.get(f"/invoices/{book.invoice_ids[0]}")
    assert response.status_code == 200, response.text
    assert len(response.json()["data"]["lines"]) == MAX_LINES


async def test_expanded_primary_pages_carry_whole_invoices_within_the_line_budget_and_page_through_all(
    book: Book,
) -> None:
    per_page = DEFAULT_LINE_BUDGET // MAX_LINES
    seen: list[int] = []
    params: dict[str, Any] = {"limit": INVOICES, "expand": "lines"}
    while True:
        body = (await primary_page(book, **params)).json()
        assert len(body["data"]) <= per_page
        assert sum(len(item["lines"]) for item in body["data"]) <= DEFAULT_LINE_BUDGET
        seen += [item["id"] for item in body["data"]]
        if not body["meta"]["has_more"]:
            break
        assert body["meta"]["limit"] == per_page  # the page size it was cut at
        params = {**params, "cursor": body["meta"]["next_cursor"]}
    assert seen == book.invoice_ids
    first = (await primary_page(book, limit=1, expand="lines")).json()["data"][0]
    assert first == (await book.tenant.get(f"/invoices/{first['id']}")).json()["data"]


async def test_expand_takes_only_lines(book: Book) -> None:
    response = await book.tenant.get("/invoices", params={"expand": "customer"})
    assert response.status_code == 422
    assert "expand" in response.json()["errors"]


# -- HighLevel ---------------------------------------------------------------------------------


async def test_a_highlevel_page_has_empty_invoice_items_and_the_totals_of_all_the_lines(book: Book) -> None:
    response = await highlevel_page(book)
    body = response.json()
    assert body["total"] == INVOICES
    assert [invoice["_id"] for invoice in body["invoices"]] == book.public_ids
    assert len(response.content) < SMALL_PAGE_BYTES
    single = (
        await book.tenant.client.get(
            f"/highlevel/invoices/{book.public_ids[0]}",
            params={"altId": book.tenant.public_id, "altType": "location"},
            headers=highlevel(book),
        )
    ).json()
    listed = body["invoices"][0]
    assert shape_problems(listed, "GetInvoiceResponseDto") == []
    assert listed["invoiceItems"] == []
    assert len(single["invoiceItems"]) == MAX_LINES
    assert listed == {**single, "invoiceItems": []}  # totalSummary included


async def test_expanded_highlevel_pages_end_at_the_line_budget_and_offsets_continue(book: Book) -> None:
    per_page = DEFAULT_LINE_BUDGET // MAX_LINES
    seen: list[str] = []
    while len(seen) < INVOICES:
        body = (await highlevel_page(book, offset=len(seen), expand="lines")).json()
        assert body["total"] == INVOICES
        assert len(body["invoices"]) == per_page
        assert all(len(invoice["invoiceItems"]) == MAX_LINES for invoice in body["invoices"])
        seen += [invoice["_id"] for invoice in body["invoices"]]
    assert seen == book.public_ids


# -- FlowPayroll -------------------------------------------------------------------------------


async def test_a_flowpayroll_page_has_empty_line_items_and_the_subtotals_of_all_the_lines(book: Book) -> None:
    response = await flowpayroll_page(book)
    data = exact_json(response)["content"]["data"]
    assert [invoice["id"] for invoice in data] == book.public_ids
    assert len(response.content) < SMALL_PAGE_BYTES
    url = f"{BASE}/invoices/{book.customer['public_id']}/{book.public_ids[0]}"
    single = exact_json(await book.tenant.client.get(url, headers=flowpayroll(book)))["content"]["data"]
    assert len(single["lineItems"]) == MAX_LINES
    assert data[0]["lineItems"] == []
    assert data[0]["linesWithoutAttachmentsCount"] == MAX_LINES
    assert data[0] == {**single, "lineItems": []}  # subtotalGroups and counts included


async def test_expanded_flowpayroll_pages_end_at_the_line_budget_and_tokens_continue(book: Book) -> None:
    per_page = DEFAULT_LINE_BUDGET // MAX_LINES
    seen: list[str] = []
    params: dict[str, Any] = {"expand": "lines"}
    while True:
        content = (await flowpayroll_page(book, **params)).json()["content"]
        assert len(content["data"]) <= per_page
        assert all(len(invoice["lineItems"]) == MAX_LINES for invoice in content["data"])
        seen += [invoice["id"] for invoice in content["data"]]
        if not content["metadata"]["hasMorePages"]:
            break
        params = {**params, "paginationToken": content["metadata"]["paginationToken"]}
    assert seen == book.public_ids


@pytest.mark.parametrize("dialect", ["highlevel", "flowpayroll"])
async def test_the_dialects_take_only_lines_to_expand(book: Book, dialect: str) -> None:
    if dialect == "highlevel":
        query = {"altId": book.tenant.public_id, "altType": "location", "limit": 1, "offset": 0, "expand": "all"}
        response = await book.tenant.client.get("/highlevel/invoices/", params=query, headers=highlevel(book))
    else:
        url = f"{BASE}/clients/{book.customer['public_id']}/invoices"
        response = await book.tenant.client.get(url, params={"expand": "all"}, headers=flowpayroll(book))
    assert 400 <= response.status_code < 500
    assert "expand" in response.text
