from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import Tenant
from tests.dashboard.support import Person, signed_in_person


@pytest.fixture
async def owner(app: FastAPI, engine: AsyncEngine, tenant: Tenant) -> AsyncIterator[Person]:
    person = await signed_in_person(app, engine, tenant, role="owner")
    yield person
    await person.http.aclose()


@pytest.fixture
async def accountant(app: FastAPI, engine: AsyncEngine, tenant: Tenant) -> AsyncIterator[Person]:
    person = await signed_in_person(app, engine, tenant, role="accountant")
    yield person
    await person.http.aclose()


@pytest.fixture
async def viewer(app: FastAPI, engine: AsyncEngine, tenant: Tenant) -> AsyncIterator[Person]:
    person = await signed_in_person(app, engine, tenant, role="viewer")
    yield person
    await person.http.aclose()
