"""Every screen passes axe-core's WCAG 2.1 A and AA rules (labels, names, contrast, landmarks,
ARIA) in Chromium, and the pages can be used from the keyboard: the first Tab reaches the link
that skips to the content."""

from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page, expect

from tests.browser.conftest import LiveServer, sign_in

WCAG_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
# The PDF preview is Chromium's own viewer (an extension page axe cannot enter), not our markup.
CONTEXT = {"exclude": [["iframe.pdf-preview"]]}
SCREENS = (
    "/app/invoices",
    "/app/invoices?status=overdue",
    "/app/invoices/1",
    "/app/invoices/2",
    "/app/invoices/1/confirm/void",
    "/app/invoices/new",
    "/app/invoices/2/edit",
    "/app/customers",
    "/app/customers/new",
    "/app/customers/1",
    "/app/reports",
    "/app/settings",
    "/app/settings/profile",
    "/app/settings/series",
    "/app/settings/tokens",
    "/app/settings/webhooks",
    "/app/settings/webhooks/new",
    "/app/settings/users",
)


def _described(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[node['target'] for node in v['nodes']][:3]}" for v in violations
    )


async def _violations(page: Page) -> list[dict[str, Any]]:
    results = await Axe().run(page, context=CONTEXT, options=WCAG_AA)
    found: list[dict[str, Any]] = results.response["violations"]
    return found


async def test_the_sign_in_form_passes_wcag_aa(page: Page, live_server: LiveServer) -> None:
    await page.goto(f"{live_server.url}/app/login")
    violations = await _violations(page)
    assert not violations, _described(violations)


@pytest.mark.parametrize("path", SCREENS)
async def test_every_screen_passes_wcag_aa(page: Page, live_server: LiveServer, path: str) -> None:
    await sign_in(page, live_server, live_server.owner_email, live_server.owner_password)
    response = await page.goto(f"{live_server.url}{path}")
    assert response is not None
    assert response.status == 200, path
    violations = await _violations(page)
    assert not violations, f"{path}:\n{_described(violations)}"


async def test_the_first_tab_reaches_the_skip_link_and_it_moves_focus_to_the_content(
    page: Page, live_server: LiveServer
) -> None:
    await sign_in(page, live_server, live_server.owner_email, live_server.owner_password)
    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    await expect(skip).to_be_focused()
    await expect(skip).to_be_visible()
    await page.keyboard.press("Enter")
    await expect(page.locator("main")).to_be_focused()
