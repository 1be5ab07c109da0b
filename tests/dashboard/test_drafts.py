"""Creating and editing drafts in the dashboard: the form, its lines, its live totals (priced by
the server, equal to what the API returns after saving), refusals, stale edits and roles."""

import re
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.dashboard.templating import money
from tests.conftest import Tenant, rows_of
from tests.dashboard.support import Person

TOTAL = re.compile(r'data-total="([^"]+)"[^>]*>([^<]*)<')
LINE_AMOUNTS = ("amount_net", "amount_tax", "amount_total")
HEADER_AMOUNTS = ("amount_tax_exclusive", "amount_tax_total", "amount_payable")


def three_lines() -> dict[str, str]:
    """Lines whose VAT, rounded per line, differs from rounding the sum (25.06, 25.61, 25.63 at 15 %)."""
    lines = [
        {"name": "Design", "quantity": "1", "unit_code": "HUR", "unit_price": "25.06", "vat_rate_percent": "15"},
        {"name": "Build", "quantity": "1", "unit_price": "25.61", "vat_rate_percent": "15"},
        {"name": "Hosting", "quantity": "2.5", "unit_code": "MON", "unit_price": "25.63", "vat_rate_percent": "8",
         "discount_percent": "12.5"},
    ]  # fmt: skip
    return {f"lines[{index}].{key}": value for index, line in enumerate(lines) for key, value in line.items()}


def draft_form(customer_id: int | str = "", **fields: str) -> dict[str, str]:
    return {"customer_id": str(customer_id), "currency": "TRY", "series_name": "", **three_lines(), **fields}


def totals_shown(html: str) -> dict[str, str]:
    return dict(TOTAL.findall(html))


def totals_of_api(invoice: dict[str, Any]) -> dict[str, str]:
    """The API's amounts as the page formats them (the `money` filter over the API's strings)."""
    code = invoice["currency"]["code"]
    shown = {name: money(invoice[name], code) for name in HEADER_AMOUNTS}
    for index, line in enumerate(invoice["lines"]):
        shown |= {f"lines[{index}].{name}": money(line[name], code) for name in LINE_AMOUNTS}
        if line["amount_discount"] not in ("0", "0.00"):
            shown[f"lines[{index}].amount_discount"] = money(line["amount_discount"], code)
    return shown


async def created_draft(person: Person, form: dict[str, str]) -> int:
    await person.get("/app/invoices/new")
    response = await person.post("/app/invoices/new", {**form, "save": "1"})
    assert response.status_code == 303, response.text
    found = re.fullmatch(r"/app/invoices/(\d+)", response.headers["location"])
    assert found is not None, response.headers["location"]
    return int(found.group(1))


async def test_a_draft_of_three_lines_saved_by_the_form_shows_every_total_the_api_returns(
    owner: Person, tenant: Tenant
) -> None:
    customer = await tenant.create_customer(company_name="Acme GmbH")
    form = draft_form(customer["id"], issue_date="2026-03-01", due_date="2026-03-31", notes="Thanks!")
    invoice_id = await created_draft(owner, form)

    invoice = (await tenant.get(f"/invoices/{invoice_id}")).json()["data"]
    assert invoice["status"] == "draft"
    assert invoice["customer"]["id"] == customer["id"]
    assert [line["name"] for line in invoice["lines"]] == ["Design", "Build", "Hosting"]
    assert [line["unit_code"] for line in invoice["lines"]] == ["HUR", "C62", "MON"]
    assert (invoice["issue_date"], invoice["due_date"], invoice["notes"]) == ("2026-03-01", "2026-03-31", "Thanks!")
    assert invoice["amount_tax_total"] == "12.09"  # 3.76 + 3.84 + 4.49, each line rounded on its own
    edit_page = await owner.get(f"/app/invoices/{invoice_id}/edit")
    assert edit_page.status_code == 200
    assert totals_shown(edit_page.text) == totals_of_api(invoice)
    fragment = await owner.post("/app/invoices/totals", form)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert totals_shown(fragment.text) == totals_of_api(invoice)


async def test_the_new_draft_form_offers_the_tenants_customers_currencies_and_series(
    owner: Person, tenant: Tenant
) -> None:
    await tenant.create_customer(company_name="Zeta Ltd")
    page = await owner.get("/app/invoices/new")
    assert page.status_code == 200
    assert "Zeta Ltd" in page.text
    assert '<option value="TRY" selected>' in page.text  # the tenant's base currency
    assert '<option value="EUR">' in page.text
    assert 'hx-trigger="input changed delay:300ms"' in page.text
    assert "<script>" not in page.text
    assert "style=" not in page.text


async def test_adding_and_removing_lines_without_javascript_keeps_what_was_typed(owner: Person) -> None:
    await owner.get("/app/invoices/new")
    added = await owner.post("/app/invoices/new", {**draft_form(), "add_line": "1"})
    assert added.status_code == 200
    assert "<html" in added.text  # a whole page: no script needed
    assert 'name="lines[3].name"' in added.text
    assert 'value="Hosting"' in added.text
    assert 'value="25.63"' in added.text
    await owner.get("/app/invoices/new")
    removed = await owner.post("/app/invoices/new", {**draft_form(), "remove_line": "0"})
    assert removed.status_code == 200
    assert 'value="Design"' not in removed.text
    assert 'name="lines[0].name" value="Build"' in removed.text
    assert 'name="lines[2].name"' not in removed.text


async def test_htmx_gets_only_the_form_back_when_a_line_is_added(owner: Person, engine: AsyncEngine) -> None:
    before = await rows_of(engine, owner.tenant.id)
    await owner.get("/app/invoices/new")
    response = await owner.post("/app/invoices/new", {**draft_form(), "add_line": "1"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert '<form id="draft-form"' in response.text
    assert "<html" not in response.text
    assert await rows_of(engine, owner.tenant.id) == before


async def test_recalculate_shows_the_totals_without_saving(owner: Person, engine: AsyncEngine) -> None:
    before = await rows_of(engine, owner.tenant.id)
    await owner.get("/app/invoices/new")
    response = await owner.post("/app/invoices/new", {**draft_form(), "recalculate": "1"})
    assert response.status_code == 200
    assert totals_shown(response.text)["amount_payable"] == money("118.83", "TRY")
    assert await rows_of(engine, owner.tenant.id) == before


async def test_an_invalid_quantity_is_refused_next_to_its_field_and_nothing_is_saved(
    owner: Person, engine: AsyncEngine
) -> None:
    before = await rows_of(engine, owner.tenant.id)
    await owner.get("/app/invoices/new")
    response = await owner.post("/app/invoices/new", {**draft_form(), "lines[1].quantity": "two", "save": "1"})
    assert response.status_code == 422
    assert 'id="f-lines-1-quantity-error"' in response.text
    assert 'aria-describedby="f-lines-1-quantity-error"' in response.text
    assert "Line 2: Quantity" in response.text
    assert 'value="two"' in response.text  # what was typed is kept
    assert await rows_of(engine, owner.tenant.id) == before


async def test_a_rule_of_the_service_is_shown_next_to_the_field_it_names(owner: Person, engine: AsyncEngine) -> None:
    before = await rows_of(engine, owner.tenant.id)
    await owner.get("/app/invoices/new")
    form = {**draft_form(), "customer_id": "999999", "save": "1"}
    response = await owner.post("/app/invoices/new", form)
    assert response.status_code == 422
    assert 'id="f-customer-id-error"' in response.text
    assert "Customer 999999 does not exist." in response.text
    assert await rows_of(engine, owner.tenant.id) == before


async def test_editing_a_draft_saves_it_through_the_api_s_update(owner: Person, tenant: Tenant) -> None:
    draft = await tenant.create_draft()
    page = await owner.get(f"/app/invoices/{draft['id']}/edit")
    assert page.status_code == 200
    assert 'name="version" value="1"' in page.text
    assert 'value="Work"' in page.text
    form = {**draft_form(draft["customer"]["id"]), "version": "1", "save": "1"}
    response = await owner.post(f"/app/invoices/{draft['id']}/edit", form)
    assert response.status_code == 303
    assert response.headers["location"] == f"/app/invoices/{draft['id']}"
    saved = (await tenant.get(f"/invoices/{draft['id']}")).json()["data"]
    assert [line["name"] for line in saved["lines"]] == ["Design", "Build", "Hosting"]
    assert saved["version"] == 2
    assert totals_shown((await owner.get(f"/app/invoices/{draft['id']}/edit")).text) == totals_of_api(saved)


async def test_a_stale_edit_gets_the_someone_changed_this_page_and_changes_nothing(
    owner: Person, tenant: Tenant
) -> None:
    draft = await tenant.create_draft()
    await owner.get(f"/app/invoices/{draft['id']}/edit")
    changed = await tenant.patch(f"/invoices/{draft['id']}", json={"notes": "Changed by someone else"})
    assert changed.status_code == 200
    form = {**draft_form(draft["customer"]["id"]), "version": "1", "save": "1"}
    response = await owner.post(f"/app/invoices/{draft['id']}/edit", form)
    assert response.status_code == 412
    assert "Someone changed this since you opened it" in response.text
    after = (await tenant.get(f"/invoices/{draft['id']}")).json()["data"]
    assert after["notes"] == "Changed by someone else"
    assert [line["name"] for line in after["lines"]] == ["Work"]
    assert after["version"] == 2


async def test_an_issued_invoice_is_not_editable_and_the_page_says_why(owner: Person, tenant: Tenant) -> None:
    draft = await tenant.create_draft()
    await tenant.issue(draft["id"])
    page = await owner.get(f"/app/invoices/{draft['id']}/edit")
    assert page.status_code == 409
    assert "The invoice cannot update while it is issued." in page.text
    await owner.get("/app/invoices")
    response = await owner.post(f"/app/invoices/{draft['id']}/edit", {**draft_form(), "version": "2", "save": "1"})
    assert response.status_code == 409


async def test_a_viewer_gets_no_draft_form_and_its_posts_are_refused(
    viewer: Person, tenant: Tenant, engine: AsyncEngine
) -> None:
    draft = await tenant.create_draft()
    listing = await viewer.get("/app/invoices")
    assert "/app/invoices/new" not in listing.text
    assert (await viewer.get("/app/invoices/new")).status_code == 403
    assert (await viewer.get(f"/app/invoices/{draft['id']}/edit")).status_code == 403
    before = await rows_of(engine, tenant.id)
    await viewer.get("/app/invoices")
    assert (await viewer.post("/app/invoices/new", {**draft_form(), "save": "1"})).status_code == 403
    assert (await viewer.post("/app/invoices/totals", draft_form())).status_code == 403
    edit = {**draft_form(), "version": "1", "save": "1"}
    assert (await viewer.post(f"/app/invoices/{draft['id']}/edit", edit)).status_code == 403
    assert await rows_of(engine, tenant.id) == before


async def test_an_accountant_may_create_drafts(accountant: Person) -> None:
    assert await created_draft(accountant, draft_form()) > 0


async def test_another_tenants_draft_is_not_found_and_stays_as_it_was(
    owner: Person, other_tenant: Tenant, engine: AsyncEngine
) -> None:
    theirs = await other_tenant.create_draft()
    assert (await owner.get(f"/app/invoices/{theirs['id']}/edit")).status_code == 404
    before = await rows_of(engine, other_tenant.id)
    await owner.get("/app/invoices")
    response = await owner.post(f"/app/invoices/{theirs['id']}/edit", {**draft_form(), "version": "1", "save": "1"})
    assert response.status_code == 404
    assert await rows_of(engine, other_tenant.id) == before


async def test_another_tenants_customer_cannot_be_billed(
    owner: Person, other_tenant: Tenant, engine: AsyncEngine
) -> None:
    theirs = await other_tenant.create_customer(company_name="Not yours Inc")
    page = await owner.get("/app/invoices/new")
    assert "Not yours Inc" not in page.text
    before = await rows_of(engine, owner.tenant.id)
    response = await owner.post("/app/invoices/new", {**draft_form(theirs["id"]), "save": "1"})
    assert response.status_code == 422
    assert "Not yours Inc" not in response.text
    assert await rows_of(engine, owner.tenant.id) == before
