"""Screenshots of every dashboard screen at desktop and phone width, into docs/screenshots/.

A scratch SQLite database is set up the way a user's is (`invoicing migrate`, `invoicing demo`),
given a little history over the API (issued invoices, a partial payment, a paid one, an overdue
one, a cancelled one, a credit note), then `invoicing serve` runs and Debian's Chromium
(Playwright) signs in as the demo owner and visits each screen. `make screenshots` runs this; the
README shows docs/screenshots/invoices-desktop.png.

    python scripts/screenshots.py [OUTPUT_DIRECTORY]
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def invoicing(environment: dict[str, str], *arguments: str) -> Any:
    finished = subprocess.run(  # noqa: S603 (our own interpreter and package)
        [sys.executable, "-m", "invoicing", *arguments, "--json"], env=environment, capture_output=True, text=True
    )
    if finished.returncode != 0:
        raise SystemExit(f"invoicing {' '.join(arguments)} failed: {finished.stderr}")
    return json.loads(finished.stdout)


class Api:
    def __init__(self, url: str, token: str, tenant_id: int) -> None:
        self.http = httpx.Client(
            base_url=f"{url}/api/v1",
            headers={"Authorization": f"Bearer {token}", "X-Tenant": str(tenant_id)},
            timeout=60,
        )

    def post(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.http.post(path, json=body or {})
        if response.status_code >= 300:
            raise SystemExit(f"POST {path}: {response.status_code} {response.text}")
        data: dict[str, Any] = response.json()["data"]
        return data

    def get(self, path: str) -> Any:
        return self.http.get(path).json()["data"]


def history(api: Api) -> dict[str, int]:
    """A few invoices in each state the list's chips show; returns ids worth a screenshot."""
    customers = api.get("/customers?limit=10")
    customer = customers[0]["id"]
    today = date.today()
    lines = [
        {"name": "Consulting (hours)", "quantity": "12", "unit_price": "150.00", "vat_rate_percent": "20"},
        {"name": "Travel", "quantity": "1", "unit_price": "240.00", "vat_rate_percent": "20"},
        {"name": "Printed material", "quantity": "30", "unit_price": "4.50", "vat_rate_percent": "10"},
    ]
    partly = api.post("/invoices", {"customer_id": customer, "lines": lines})["id"]
    api.post(f"/invoices/{partly}/issue")
    api.post(f"/invoices/{partly}/payments", {"amount": "1000.00", "method": "bank_transfer", "reference": "TR-4411"})
    credited = api.post("/invoices", {"customer_id": customer, "lines": lines[:2]})["id"]
    issued = api.post(f"/invoices/{credited}/issue")
    api.post(
        f"/invoices/{credited}/credit-notes",
        {
            "lines": [{"invoice_line_id": issued["lines"][1]["id"], "quantity": "1"}],
            "reason": "Travel was not needed",
            "issue": True,
        },
    )
    paid = api.post("/invoices", {"customer_id": customer, "lines": lines[2:]})
    api.post(f"/invoices/{paid['id']}/issue")
    due = api.get(f"/invoices/{paid['id']}")["amount_due"]
    api.post(f"/invoices/{paid['id']}/payments", {"amount": due, "method": "card"})
    late = api.post(
        "/invoices",
        {
            "customer_id": customers[1]["id"],
            "lines": lines[:1],
            "issue_date": (today - timedelta(days=75)).isoformat(),
            "due_date": (today - timedelta(days=45)).isoformat(),
        },
    )["id"]
    api.post(f"/invoices/{late}/issue")
    cancelled = api.post("/invoices", {"customer_id": customers[1]["id"], "lines": lines[1:2]})["id"]
    api.post(f"/invoices/{cancelled}/issue")
    api.post(f"/invoices/{cancelled}/cancel", {"id": cancelled})
    draft = api.post("/invoices", {"customer_id": customer, "lines": lines, "notes": "Quote for next quarter"})["id"]
    return {"partly_paid": partly, "credited": credited, "overdue": late, "draft": draft, "customer": customer}


def screens(ids: dict[str, int]) -> list[tuple[str, str]]:
    """(file name, path) of every screen."""
    return [
        ("invoices", "/app/invoices"),
        ("invoices-overdue", "/app/invoices?status=overdue"),
        ("invoice", f"/app/invoices/{ids['partly_paid']}"),
        ("invoice-credited", f"/app/invoices/{ids['credited']}"),
        ("invoice-draft", f"/app/invoices/{ids['draft']}"),
        ("invoice-confirm-void", f"/app/invoices/{ids['overdue']}/confirm/void"),
        ("draft-new", "/app/invoices/new"),
        ("draft-edit", f"/app/invoices/{ids['draft']}/edit"),
        ("customers", "/app/customers"),
        ("customer", f"/app/customers/{ids['customer']}"),
        ("reports", "/app/reports"),
        ("settings", "/app/settings"),
        ("settings-profile", "/app/settings/profile"),
        ("settings-series", "/app/settings/series"),
        ("settings-tokens", "/app/settings/tokens"),
        ("settings-webhooks", "/app/settings/webhooks"),
        ("settings-users", "/app/settings/users"),
    ]


def shoot(page: Page, url: str, path: Path) -> None:
    response = page.goto(url)
    if response is None or response.status != 200:
        raise SystemExit(f"{url}: {response.status if response else 'no answer'}")
    page.wait_for_load_state("networkidle")
    # The whole page in one frame: the viewport grows to the page's height rather than using a
    # full-page capture, which leaves Chromium's PDF viewer (the invoice's preview) black.
    width = page.viewport_size["width"] if page.viewport_size else 1280
    height = page.evaluate("document.documentElement.scrollHeight")
    original = page.viewport_size
    page.set_viewport_size({"width": width, "height": height})
    page.wait_for_timeout(1500 if page.locator("iframe.pdf-preview").count() else 100)
    page.screenshot(path=str(path))
    if original:
        page.set_viewport_size(original)


def main() -> None:
    output = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="invoicing-screens-") as scratch:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        environment = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{scratch}/invoicing.db",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "SECRET_KEY_FILE": f"{scratch}/secret_key",
            "DELIVERY_IN_SERVER": "off",
            "INVOICING_USER_PASSWORD": "a viewer's password",
            "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",  # the sample endpoint is on this machine
        }
        invoicing(environment, "migrate")
        demo = invoicing(environment, "demo")
        for email, name, role in (
            ("ayla@demo-tekstil.example", "Ayla Accountant", "accountant"),
            ("veli@demo-tekstil.example", "Veli Viewer", "viewer"),
        ):
            invoicing(
                environment,
                "user",
                "create",
                "--tenant",
                str(demo["tenant_id"]),
                "--email",
                email,
                "--name",
                name,
                "--role",
                role,
            )
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, "-m", "invoicing", "serve"],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not start")
                time.sleep(0.2)
            ids = history(Api(url, demo["token"], demo["tenant_id"]))
            manager = invoicing(
                environment, "token", "create", "--tenant", str(demo["tenant_id"]), "--scopes", "tenant:manage"
            )
            Api(url, manager["token"], demo["tenant_id"]).post(
                "/webhook-endpoints",
                {
                    "url": "http://127.0.0.1:9/hooks/invoicing",
                    "description": "Accounting system",
                    "event_types": ["invoice.issued", "invoice.payment_recorded"],
                },
            )
            login = demo["dashboard_login"]
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                for width, viewport in VIEWPORTS.items():
                    context = browser.new_context(viewport=viewport)  # type: ignore[arg-type]
                    page = context.new_page()
                    shoot(page, f"{url}/app/login", output / f"login-{width}.png")
                    page.get_by_label("E-mail").fill(login["email"])
                    page.get_by_label("Password").fill(login["password"])
                    page.get_by_role("button", name="Sign in").click()
                    page.wait_for_url(f"{url}/app/invoices")
                    for name, path in screens(ids):
                        shoot(page, url + path, output / f"{name}-{width}.png")
                        print(f"{name}-{width}.png")
                    context.close()
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
