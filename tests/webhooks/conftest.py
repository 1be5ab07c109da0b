"""Fixtures of the webhook endpoint tests (helpers in tests/webhooks/support.py)."""

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.app import create_app
from invoicing.config import Settings
from invoicing.webhooks import targets
from tests.webhooks.support import FakeResolver


@pytest.fixture(autouse=True)
def resolver(monkeypatch: pytest.MonkeyPatch) -> FakeResolver:
    """Host names resolve as each test says, never through real DNS."""
    fake = FakeResolver()
    monkeypatch.setattr(targets, "lookup", fake.lookup)
    return fake


@pytest.fixture
async def lan_client(settings: Settings, app_engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    """The app as a self-hosted LAN runs it: WEBHOOK_ALLOW_PRIVATE_NETWORKS=true."""
    app = create_app(settings.model_copy(update={"webhook_allow_private_networks": True}))
    app.state.engine = app_engine
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        yield http
