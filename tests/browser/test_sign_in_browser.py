"""Signing in and out in a real browser; the list and its CSV export."""

import asyncio
from pathlib import Path

from playwright.async_api import Page, expect

from tests.browser.conftest import LiveServer, sign_in


async def test_a_person_signs_in_sees_the_invoice_list_exports_csv_and_signs_out(
    page: Page, live_server: LiveServer
) -> None:
    await sign_in(page, live_server, live_server.owner_email, live_server.owner_password)
    await expect(page.get_by_role("heading", name="Invoices")).to_be_visible()
    await expect(page.get_by_role("link", name="INV2026000000001")).to_be_visible()
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name="Export CSV").click()
    download = await download_info.value
    assert download.suggested_filename == "invoices.csv"
    saved = Path(await download.path())
    header = (await asyncio.to_thread(saved.read_text, encoding="utf-8")).splitlines()[0]
    assert header.startswith("document_number,status,receiver_name")
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url(f"{live_server.url}/app/login")
    await page.goto(f"{live_server.url}/app/invoices")
    await expect(page).to_have_url(f"{live_server.url}/app/login")


async def test_a_wrong_password_keeps_the_person_out(page: Page, live_server: LiveServer) -> None:
    await page.goto(f"{live_server.url}/app/login")
    await page.get_by_label("E-mail").fill(live_server.viewer_email)
    await page.get_by_label("Password").fill("not the password")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("alert")).to_have_text("The e-mail or the password is not right.")
