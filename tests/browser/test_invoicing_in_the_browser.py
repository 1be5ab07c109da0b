"""The issue's walk through the dashboard in a real browser, each figure checked against the API.

Sign in, create a customer and a draft with three lines (the totals shown, live and saved, equal
the API's), issue it, record a partial payment, cancel, revert, credit a line, download the PDF,
export the CSV, sign out. Then: a viewer is offered no change and is refused one; a person of one
tenant cannot open another tenant's invoice by its URL.
"""

import asyncio
import re
from pathlib import Path

from playwright.async_api import Page, expect

from invoicing.dashboard.templating import money
from tests.browser.conftest import LiveServer, sign_in

LINES = [
    ("Design workshop", "2", "450.00", "20"),
    ("Travel", "1", "120.50", "20"),
    ("Printed handouts", "35", "1.75", "10"),
]


async def _row_value(page: Page, label: str) -> str:
    return (await page.get_by_role("row", name=re.compile(f"^{label}")).locator("td").inner_text()).strip()


async def _read_bytes(path: str) -> bytes:
    return await asyncio.to_thread(Path(path).read_bytes)


async def test_a_person_invoices_from_draft_to_credit_note_and_every_figure_is_the_apis(
    page: Page, live_server: LiveServer
) -> None:
    url = live_server.url
    await sign_in(page, live_server, live_server.owner_email, live_server.owner_password)

    # A customer.
    await page.get_by_role("link", name="Customers").click()
    await page.get_by_role("link", name="New customer").click()
    await page.get_by_label("Company").fill("Browser Test GmbH")
    await page.get_by_label("First name").fill("Berta")
    await page.get_by_label("E-mail").fill("berta@browser-test.example")
    await page.get_by_role("button", name="Create customer").click()
    await expect(page.get_by_role("heading", name=re.compile("Browser Test GmbH"))).to_be_visible()

    # A draft with three lines; the live totals are the server's.
    await page.goto(f"{url}/app/invoices/new")
    await page.get_by_label("Customer").select_option(label="Browser Test GmbH")
    for index, (name, quantity, price, vat) in enumerate(LINES):
        if index > 0:
            await page.get_by_role("button", name="Add line").click()
            await expect(page.locator(f"#f-lines-{index}-name")).to_be_visible()
        await page.locator(f"#f-lines-{index}-name").fill(name)
        await page.locator(f"#f-lines-{index}-quantity").fill(quantity)
        await page.locator(f"#f-lines-{index}-unit-price").fill(price)
        await page.locator(f"#f-lines-{index}-vat-rate-percent").fill(vat)
    live_total = page.locator('[data-total="amount_payable"]')
    # (900 + 120.50) + 20% VAT = 1224.60; 61.25 + 10% VAT = 67.375, which the line rounds to 67.38.
    await expect(live_total).to_have_text(money("1291.98", "TRY"))
    await page.get_by_role("button", name="Save draft").click()
    await page.wait_for_url(re.compile(r"/app/invoices/\d+"))
    invoice_id = int(page.url.rstrip("/").split("/")[-1].split("?")[0])
    draft = live_server.api(f"/invoices/{invoice_id}")
    assert len(draft["lines"]) == 3
    assert draft["amount_payable"] == "1291.98"
    assert await _row_value(page, "Total before tax") == money(draft["amount_tax_exclusive"], "TRY")
    assert await _row_value(page, "Tax") == money(draft["amount_tax_total"], "TRY")
    assert await _row_value(page, "Total payable") == money(draft["amount_payable"], "TRY")

    # Issue, a partial payment, cancel, revert.
    await page.get_by_role("button", name="Issue").click()
    await expect(page.locator(".invoice-status .chip").first).to_have_text("Issued")
    await page.get_by_label("Amount (TRY)", exact=True).fill("500.00")
    await page.get_by_role("button", name="Record payment").click()
    await expect(page.locator(".invoice-status .chip").first).to_have_text("Partly paid")
    assert live_server.api(f"/invoices/{invoice_id}")["amount_due"] == "791.98"
    assert await _row_value(page, "Due") == money("791.98", "TRY")
    await page.get_by_role("button", name="Cancel invoice").click()
    await expect(page.locator(".invoice-status .chip").first).to_have_text("Cancelled")
    assert live_server.api(f"/invoices/{invoice_id}")["status"] == "cancelled"
    await page.get_by_role("button", name="Revert cancellation").click()
    await expect(page.locator(".invoice-status .chip").first).to_have_text("Partly paid")

    # Credit the travel line in full: the amount due drops by exactly its total (120.50 + 24.10 VAT).
    travel = next(line for line in draft["lines"] if line["name"] == "Travel")
    await page.get_by_text("Credit this invoice (credit note and refund)").click()
    await page.locator(f"#line-{travel['id']}-quantity").fill("1")
    await page.get_by_label("Reason").fill("Travel was not needed")
    await page.get_by_role("button", name="Issue credit note").click()
    await expect(page.get_by_role("cell", name="Travel was not needed")).to_be_visible()
    credited = live_server.api(f"/invoices/{invoice_id}")
    assert credited["amount_credited"] == "144.60"
    assert credited["amount_due"] == "647.38"
    assert await _row_value(page, "Due") == money(credited["amount_due"], "TRY")

    # The PDF, the CSV.
    async with page.expect_download() as pdf_download:
        await page.get_by_role("link", name="Download PDF").click()
    pdf = await pdf_download.value
    assert (await _read_bytes(await pdf.path())).startswith(b"%PDF-")
    await page.get_by_role("link", name="Invoices", exact=True).click()
    async with page.expect_download() as csv_download:
        await page.get_by_role("link", name="Export CSV").click()
    csv_text = (await _read_bytes(await (await csv_download.value).path())).decode()
    assert credited["document_number"] in csv_text
    assert f"{credited['document_number']},partially_paid,Browser Test GmbH" in csv_text

    # Signed out, the invoice is out of reach.
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url(f"{url}/app/login")
    await page.goto(f"{url}/app/invoices/{invoice_id}")
    await expect(page).to_have_url(f"{url}/app/login")


async def test_a_viewer_is_offered_no_change_and_is_refused_one(page: Page, live_server: LiveServer) -> None:
    await sign_in(page, live_server, live_server.viewer_email, live_server.password)
    await expect(page.get_by_role("link", name="New invoice")).to_have_count(0)
    await page.get_by_role("link", name="INV2026000000001").click()
    await expect(page.get_by_role("heading", name="INV2026000000001")).to_be_visible()
    for button in ("Cancel invoice", "Record payment", "Issue credit note", "Archive"):
        await expect(page.get_by_role("button", name=button)).to_have_count(0)
    await expect(page.get_by_role("link", name=re.compile("Void"))).to_have_count(0)
    before = live_server.api("/invoices/1")
    # A hand-made form (as a tampered page would post), with the session and its CSRF token.
    token = await page.locator('input[name="csrf_token"]').first.input_value()
    refused = await page.context.request.post(
        f"{live_server.url}/app/invoices/1/actions/cancel", form={"csrf_token": token, "version": "1"}
    )
    answer = refused.status
    assert answer == 403
    assert "Your role does not allow this change." in await refused.text()
    assert live_server.api("/invoices/1") == before
    response = await page.goto(f"{live_server.url}/app/invoices/new")
    assert response is not None
    assert response.status == 403


async def test_a_person_cannot_open_another_tenants_invoice_by_its_url(page: Page, live_server: LiveServer) -> None:
    await sign_in(page, live_server, live_server.owner_email, live_server.owner_password)
    own = await page.goto(f"{live_server.url}/app/invoices/1")
    assert own is not None
    assert own.status == 200
    foreign = await page.goto(f"{live_server.url}/app/invoices/{live_server.other_tenant_invoice_id}")
    assert foreign is not None
    assert foreign.status == 404
    await expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    assert "Secret work" not in await page.content()
