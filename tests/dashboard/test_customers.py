"""Customers in the dashboard: the list (search, cursor pages), the form (the API's own
validation), the customer's page (open balance per currency, credit balance, its invoices),
roles and tenants."""

import re
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.dashboard import customers
from invoicing.dashboard.templating import money
from tests.conftest import Tenant, rows_of
from tests.dashboard.support import Person

BALANCE = re.compile(r'data-balance="([^"]+)">([^<]*)<')


def customer_form(**fields: str) -> dict[str, str]:
    return {
        "first_name": "Grace",
        "last_name": "Hopper",
        "company_name": "Hopper Compilers GmbH",
        "email": "grace@example.com",
        "phone_number": "+49 30 1234567",
        "tax_number": "DE136695976",
        "postal_address.line1": "Unter den Linden 1",
        "postal_address.postal_code": "10117",
        "postal_address.city": "Berlin",
        "postal_address.country_code": "DE",
        **fields,
    }


async def test_a_customer_created_with_the_form_is_the_api_s_customer(owner: Person, tenant: Tenant) -> None:
    await owner.get("/app/customers/new")
    response = await owner.post("/app/customers/new", customer_form())
    assert response.status_code == 303
    found = re.fullmatch(r"/app/customers/(\d+)", response.headers["location"])
    assert found is not None
    created = (await tenant.get(f"/customers/{found.group(1)}")).json()["data"]
    assert (created["first_name"], created["company_name"], created["email"]) == (
        "Grace",
        "Hopper Compilers GmbH",
        "grace@example.com",
    )
    assert created["tax_number"] == "DE136695976"
    assert created["postal_address"]["city"] == "Berlin"
    assert created["postal_address"]["line2"] is None
    page = await owner.get(response.headers["location"])
    assert page.status_code == 200
    assert "Hopper Compilers GmbH" in page.text
    assert "Unter den Linden 1" in page.text


async def test_an_invalid_e_mail_is_refused_next_to_its_field_and_nothing_is_saved(
    owner: Person, engine: AsyncEngine
) -> None:
    before = await rows_of(engine, owner.tenant.id)
    await owner.get("/app/customers/new")
    response = await owner.post("/app/customers/new", customer_form(email="not an address"))
    assert response.status_code == 422
    assert 'id="f-email-error"' in response.text
    assert 'value="not an address"' in response.text
    assert await rows_of(engine, owner.tenant.id) == before


async def test_a_tax_number_the_country_s_rules_refuse_is_named(owner: Person, engine: AsyncEngine) -> None:
    before = await rows_of(engine, owner.tenant.id)
    await owner.get("/app/customers/new")
    response = await owner.post("/app/customers/new", customer_form(tax_number="DE000000000"))
    assert response.status_code == 422
    assert 'id="f-tax-number-error"' in response.text
    assert await rows_of(engine, owner.tenant.id) == before


async def test_editing_a_customer_changes_what_the_form_shows_and_clears_what_was_emptied(
    owner: Person, tenant: Tenant
) -> None:
    customer = await tenant.create_customer(email="ada@example.com", phone_number="123")
    page = await owner.get(f"/app/customers/{customer['id']}/edit")
    assert page.status_code == 200
    assert 'value="ada@example.com"' in page.text
    form = customer_form(first_name="Ada", last_name="King", company_name="", email="", phone_number="")
    response = await owner.post(f"/app/customers/{customer['id']}/edit", form)
    assert response.status_code == 303
    edited = (await tenant.get(f"/customers/{customer['id']}")).json()["data"]
    assert (edited["last_name"], edited["company_name"], edited["email"], edited["phone_number"]) == (
        "King",
        None,
        None,
        None,
    )
    assert edited["postal_address"]["country_code"] == "DE"


async def test_the_first_name_cannot_be_cleared(owner: Person, tenant: Tenant) -> None:
    customer = await tenant.create_customer()
    await owner.get(f"/app/customers/{customer['id']}/edit")
    response = await owner.post(f"/app/customers/{customer['id']}/edit", customer_form(first_name=""))
    assert response.status_code == 422
    assert 'id="f-first-name-error"' in response.text
    assert (await tenant.get(f"/customers/{customer['id']}")).json()["data"]["first_name"] == "Ada"


async def test_the_list_searches_and_pages_by_cursor(
    owner: Person, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(customers, "PAGE_SIZE", 2)
    for name in ("Alpha", "Bravo", "Charlie"):
        await tenant.create_customer(company_name=f"{name} Trading")
    first = await owner.get("/app/customers")
    assert first.status_code == 200
    assert "Charlie Trading" in first.text
    assert "Bravo Trading" in first.text
    assert "Alpha Trading" not in first.text
    next_link = re.search(r'href="(/app/customers\?cursor=[^"]+)" rel="next"', first.text)
    assert next_link is not None
    second = await owner.get(next_link.group(1).replace("&amp;", "&"))
    assert "Alpha Trading" in second.text
    assert "Charlie Trading" not in second.text
    assert 'rel="next"' not in second.text
    found = await owner.get("/app/customers", params={"q": "brav"})
    assert "Bravo Trading" in found.text
    assert "Charlie Trading" not in found.text


async def test_the_customer_page_shows_the_open_balance_per_currency_and_the_credit_balance(
    owner: Person, tenant: Tenant
) -> None:
    customer = await tenant.create_customer(company_name="Balance Co")
    issued = [await tenant.create_draft(customer_id=customer["id"]) for _ in range(2)]
    for invoice in issued:
        await tenant.issue(invoice["id"])
    payment = {"amount": "30.00", "method": "bank_transfer"}
    assert (await tenant.post(f"/invoices/{issued[0]['id']}/payments", json=payment)).status_code == 201
    in_euro = await tenant.create_draft(customer_id=customer["id"], currency="EUR")
    await tenant.issue(in_euro["id"])
    await tenant.create_draft(customer_id=customer["id"])  # a draft owes nothing yet
    paid = await tenant.create_draft(customer_id=customer["id"])
    paid = await tenant.issue(paid["id"])
    full = {"amount": paid["amount_due"], "method": "card"}
    assert (await tenant.post(f"/invoices/{paid['id']}/payments", json=full)).status_code == 201
    credit = {
        "lines": [{"invoice_line_id": paid["lines"][0]["id"], "quantity": "1"}],
        "reason": "Goodwill",
        "issue": True,
    }
    assert (await tenant.post(f"/invoices/{paid['id']}/credit-notes", json=credit)).status_code == 201

    page = await owner.get(f"/app/customers/{customer['id']}")
    assert page.status_code == 200
    shown = dict(BALANCE.findall(page.text))
    listed = (await tenant.get("/invoices", params={"customer_id": customer["id"]})).json()["data"]
    awaiting = [invoice for invoice in listed if invoice["status"] in ("issued", "partially_paid")]
    expected_try = sum((Decimal(i["amount_due"]) for i in awaiting if i["currency"]["code"] == "TRY"), Decimal(0))
    expected_eur = sum((Decimal(i["amount_due"]) for i in awaiting if i["currency"]["code"] == "EUR"), Decimal(0))
    assert shown["open-TRY"] == money(expected_try, "TRY") == money("210.00", "TRY")
    assert shown["open-EUR"] == money(expected_eur, "EUR")
    balance = (await tenant.get(f"/customers/{customer['id']}/credit-balance")).json()["data"]["balances"]
    assert shown["credit-TRY"] == money(balance[0]["balance"], "TRY") == money("60.00", "TRY")
    assert page.text.count('href="/app/invoices/') >= 5
    assert f"/app/invoices?customer={customer['id']}&amp;archived=any" in page.text


async def test_a_viewer_sees_no_new_or_edit_links_and_its_posts_change_nothing(
    viewer: Person, tenant: Tenant, engine: AsyncEngine
) -> None:
    customer = await tenant.create_customer()
    listing = await viewer.get("/app/customers")
    assert listing.status_code == 200
    assert "/app/customers/new" not in listing.text
    detail = await viewer.get(f"/app/customers/{customer['id']}")
    assert detail.status_code == 200
    assert f"/app/customers/{customer['id']}/edit" not in detail.text
    assert "/app/invoices/new" not in detail.text
    assert (await viewer.get("/app/customers/new")).status_code == 403
    assert (await viewer.get(f"/app/customers/{customer['id']}/edit")).status_code == 403
    before = await rows_of(engine, tenant.id)
    await viewer.get("/app/customers")
    assert (await viewer.post("/app/customers/new", customer_form())).status_code == 403
    assert (await viewer.post(f"/app/customers/{customer['id']}/edit", customer_form())).status_code == 403
    assert await rows_of(engine, tenant.id) == before


async def test_another_tenants_customer_is_not_found_and_stays_as_it_was(
    owner: Person, other_tenant: Tenant, engine: AsyncEngine
) -> None:
    theirs = await other_tenant.create_customer(company_name="Elsewhere AG")
    assert (await owner.get(f"/app/customers/{theirs['id']}")).status_code == 404
    assert (await owner.get(f"/app/customers/{theirs['id']}/edit")).status_code == 404
    assert "Elsewhere AG" not in (await owner.get("/app/customers")).text
    before = await rows_of(engine, other_tenant.id)
    response = await owner.post(f"/app/customers/{theirs['id']}/edit", customer_form())
    assert response.status_code == 404
    assert await rows_of(engine, other_tenant.id) == before
