"""Browser tests: Playwright for Python driving Debian's Chromium against a real server.

The server is `invoicing serve` in a subprocess on a scratch SQLite database, set up the way a
user would: `invoicing migrate`, `invoicing demo` (the demo tenant and its owner's login),
`invoicing user create` for a viewer, a second tenant with its own owner and a draft made over
the API. Chromium is Debian's (`/usr/bin/chromium`): found on PATH, else installed with apt-get
when running as root. Without it these tests skip locally with the reason; under CI they fail
instead (a browser test that cannot run is not a pass).

Playwright's async API: the suite's event loop is running while fixtures and tests run, which
the sync API refuses.
"""

import fcntl
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, Response, async_playwright

from tests.conftest import IN_CI

CHROMIUM = "/usr/bin/chromium"
VIEWER_EMAIL = "viewer@browser.example"
OTHER_OWNER_EMAIL = "owner@other.example"
PASSWORD = "browser tests password"


def _installed() -> str | None:
    return shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)


def _chromium() -> str | None:
    found = _installed()
    if found is None and shutil.which("apt-get") and os.geteuid() == 0:
        # One installer at a time: every pytest-xdist worker may get here, and dpkg takes one.
        with (Path(tempfile.gettempdir()) / "invoicing-chromium-install.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            found = _installed()
            if found is None:
                environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
                for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
                    subprocess.run(command, check=False, capture_output=True, env=environment)
                found = _installed()
    return found


@pytest.fixture(scope="session")
def chromium_path() -> str:
    found = _chromium()
    if found is None:
        reason = "Debian's Chromium is not installed (apt-get install chromium) and could not be installed"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    return found


@dataclass(frozen=True)
class LiveServer:
    url: str
    owner_email: str
    owner_password: str
    viewer_email: str
    other_owner_email: str
    password: str
    other_tenant_invoice_id: int
    tenant_id: int  # the demo tenant's, with an API token for checking what the screens show
    token: str

    def api(self, path: str) -> Any:
        """GET /api/v1`path` as the demo tenant: the `data` of the answer."""
        headers = {"Authorization": f"Bearer {self.token}", "X-Tenant": str(self.tenant_id)}
        response = httpx.get(f"{self.url}/api/v1{path}", headers=headers, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()["data"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _invoicing(environment: dict[str, str], *arguments: str) -> Any:
    """One `invoicing ... --json` command, its JSON answer."""
    finished = subprocess.run(
        [sys.executable, "-m", "invoicing", *arguments, "--json"],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert finished.returncode == 0, f"invoicing {' '.join(arguments)}: {finished.stderr}"
    return json.loads(finished.stdout) if finished.stdout.strip() else None


def _wait_until_up(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the server did not start: {log.read_text()[-2000:]}")
        time.sleep(0.2)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    directory = tmp_path_factory.mktemp("browser")
    port = _free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{directory / 'invoicing.db'}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WORKERS": "1",
        "SECRET_KEY_FILE": str(directory / "secret_key"),
        "DELIVERY_IN_SERVER": "off",
        "INVOICING_USER_PASSWORD": PASSWORD,
    }
    _invoicing(environment, "migrate")
    demo = _invoicing(environment, "demo")
    tenant_id = str(demo["tenant_id"])
    _invoicing(
        environment,
        "user",
        "create",
        "--tenant",
        tenant_id,
        "--email",
        VIEWER_EMAIL,
        "--name",
        "Val Viewer",
        "--role",
        "viewer",
    )
    other = _invoicing(environment, "tenant", "create", "--name", "Other Tenant Ltd")
    other_id = str(other["id"])
    _invoicing(
        environment,
        "user",
        "create",
        "--tenant",
        other_id,
        "--email",
        OTHER_OWNER_EMAIL,
        "--name",
        "Olga Other",
        "--role",
        "owner",
    )
    other_token = _invoicing(environment, "token", "create", "--tenant", other_id)["token"]
    log_path = directory / "server.log"
    log = log_path.open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "invoicing", "serve"], env=environment, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, server, log_path)
        headers = {"Authorization": f"Bearer {other_token}", "X-Tenant": other_id}
        lines = [{"name": "Secret work", "quantity": "1", "unit_price": "99.00", "vat_rate_percent": "20"}]
        draft = httpx.post(f"{url}/api/v1/invoices", json={"lines": lines}, headers=headers, timeout=30)
        assert draft.status_code == 201, draft.text
        yield LiveServer(
            url=url,
            owner_email=demo["dashboard_login"]["email"],
            owner_password=demo["dashboard_login"]["password"],
            viewer_email=VIEWER_EMAIL,
            other_owner_email=OTHER_OWNER_EMAIL,
            password=PASSWORD,
            other_tenant_invoice_id=int(draft.json()["data"]["id"]),
            tenant_id=int(demo["tenant_id"]),
            token=demo["token"],
        )
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture(scope="session")
async def browser(chromium_path: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium_path, args=["--no-sandbox"])
        yield launched
        await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A fresh browser profile per test (no cookies carried over), failing on any console error (a
    CSP violation shows up there first) and on any stylesheet, script or image that did not load.
    A page answered with a 4xx is not an error in itself: refusals are pages too (401, 403, 404...)."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    opened = await context.new_page()
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    def on_response(response: Response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            errors.append(f"{response.status} for {response.url}")

    opened.on("console", on_console)
    opened.on("response", on_response)
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    await context.close()
    assert not errors, f"the browser reported errors: {errors}"


async def sign_in(page: Page, server: LiveServer, email: str, password: str) -> None:
    await page.goto(f"{server.url}/app/login")
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{server.url}/app/invoices")
