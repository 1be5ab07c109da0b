import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.outbox.support import settle_earlier_work


@pytest.fixture(autouse=True)
async def only_this_tests_work(engine: AsyncEngine) -> None:
    await settle_earlier_work(engine)
