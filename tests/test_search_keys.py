"""Issue 10, finding 8: search compares one normalised form (core.search.search_key), stored with
the row and computed from the query term alike, so SQLite and PostgreSQL find the same rows and
Turkish text finds itself in any case (`ŞAHİN` / `şahin`, `İstanbul` / `ISTANBUL` / `ıstanbul`).
"""

import asyncio
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import insert, text

from invoicing.core.db import create_engine, transaction
from invoicing.core.migrate import upgrade_async
from invoicing.core.search import like_pattern, search_key
from invoicing.customers.repository import CustomerRepository
from invoicing.customers.tables import customers
from invoicing.invoices.repository import InvoiceFilter, InvoiceRepository
from invoicing.invoices.tables import invoices
from invoicing.series.tables import series
from tests.conftest import POSTGRES_ADMIN_URL, Tenant, _admin, _postgres_reachable
from tests.highlevel_support import VERSION

CASE_MAPPINGS: list[Callable[[str], str]] = [str.upper, str.lower, str.casefold, str.swapcase, str.title]

# -- the key, pure -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "searched"),
    [
        ("ŞAHİN", "şahin"),
        ("şahin", "ŞAHİN"),
        ("Ak Tekstil A.Ş.", "A.Ş."),
        ("Ak Tekstil A.Ş.", "a.ş."),
        ("Ümran Ünlü", "ü"),
        ("ümran ünlü", "Ü"),
        ("İstanbul", "ISTANBUL"),
        ("İstanbul", "istanbul"),
        ("ISTANBUL", "İstanbul"),
        ("ıstanbul", "Istanbul"),
        ("I\u0307stanbul", "istanbul"),  # İ decomposed: I + combining dot above
        ("Straße", "STRASSE"),
        ("ＡＢＣ", "abc"),  # full-width letters (NFKC)
        ("\ufb01nans", "finans"),  # the `fi` ligature
        ("\u1fb7", "\u1fb7".title()),  # Greek alpha with two marks: composing before folding would split it
    ],
)
def test_a_search_finds_the_text_whatever_its_case_and_form(stored: str, searched: str) -> None:
    assert search_key(searched) in search_key(stored)


@given(st.text())
def test_the_search_key_is_idempotent(text: str) -> None:
    assert search_key(search_key(text)) == search_key(text)


@given(st.text(), st.sampled_from(CASE_MAPPINGS))
def test_a_text_finds_itself_in_any_case_mapping(text: str, mapping: Callable[[str], str]) -> None:
    assert search_key(mapping(text)) == search_key(text)


def test_like_wildcards_in_a_term_stay_literal() -> None:
    assert like_pattern("50%_a\\b") == "%50\\%\\_a\\\\b%"


# -- over HTTP, on both databases --------------------------------------------------------------


async def receiver(tenant: Tenant, name: str, notes: str | None = None) -> int:
    customer = await tenant.create_customer(company_name=name)
    return int((await tenant.create_draft(customer_id=customer["id"], notes=notes))["id"])


async def found(tenant: Tenant, query: str) -> list[int]:
    response = await tenant.get("/invoices", params={"q": query})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]]


async def test_invoice_search_matches_turkish_text_in_any_case_on_either_database(tenant: Tenant) -> None:
    sahin = await receiver(tenant, "ŞAHİN Tekstil A.Ş.")
    umran = await receiver(tenant, "Ümran Ünlü")
    istanbul = await receiver(tenant, "Ada Ltd", notes="İstanbul şubesi")
    strasse = await receiver(tenant, "Hauptstraße GmbH")
    expectations = {
        "şahin": [sahin],
        "ŞAHİN": [sahin],
        "A.Ş.": [sahin],
        "a.ş.": [sahin],
        "Ü": [umran],
        "ü": [umran],
        "ISTANBUL": [istanbul],
        "istanbul": [istanbul],
        "İSTANBUL": [istanbul],
        "ıstanbul": [istanbul],
        "STRASSE": [strasse],
        "%": [],
        "_": [],
    }
    for query, expected in expectations.items():
        assert await found(tenant, query) == expected, query


async def test_an_issued_invoice_is_found_by_its_number_and_an_edit_moves_the_key(tenant: Tenant) -> None:
    invoice_id = await receiver(tenant, "Ada Ltd", notes="first words")
    issued = await tenant.issue(invoice_id)
    assert await found(tenant, issued["document_number"].lower()) == [invoice_id]
    draft_id = await receiver(tenant, "Grace Ltd", notes="ÇİÇEK")
    assert await found(tenant, "çiçek") == [draft_id]
    response = await tenant.patch(f"/invoices/{draft_id}", json={"notes": "Gül"})
    assert response.status_code == 200, response.text
    assert await found(tenant, "çiçek") == []
    assert await found(tenant, "GÜL") == [draft_id]


async def test_customer_search_matches_turkish_text_in_any_case(tenant: Tenant) -> None:
    customer = await tenant.create_customer(first_name="Işıl", last_name="ŞAHİN", email="ISIL@Example.com")
    for query in ("şahin", "IŞIL", "ışıl", "isil@example", "İŞİL"):
        response = await tenant.get("/customers", params={"q": query})
        assert response.status_code == 200, response.text
        assert [item["id"] for item in response.json()["data"]] == [customer["id"]], query


async def test_highlevel_search_uses_the_same_key(tenant: Tenant) -> None:
    invoice_id = await receiver(tenant, "ŞAHİN Ticaret")
    query = {"altId": tenant.public_id, "altType": "location", "limit": 10, "offset": 0, "search": "şahin"}
    headers = {"Authorization": f"Bearer {tenant.token}", "Version": VERSION}
    response = await tenant.client.get("/highlevel/invoices/", params=query, headers=headers)
    assert response.status_code == 200, response.text
    invoice = (await tenant.get(f"/invoices/{invoice_id}")).json()["data"]
    assert [item["_id"] for item in response.json()["invoices"]] == [invoice["public_id"]]


# -- the migration -----------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def scratch_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database of its own, migrated by the test itself."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'before-0007.db'}"
        return
    problem = _postgres_reachable()
    if problem is not None:
        pytest.skip(f"PostgreSQL not reachable ({problem})")
    name = f"invoicing_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def test_the_migration_gives_existing_rows_their_keys(scratch_url: str) -> None:
    await upgrade_async(scratch_url, "0005")
    engine = create_engine(scratch_url)
    now = datetime.now(UTC)
    try:
        async with transaction(engine, write=True) as connection:
            # Written as 0005's schema has them: today's services would write today's columns.
            tenant_row = {"id": 1}
            await connection.execute(
                text(
                    "INSERT INTO tenants (id, public_id, name, base_currency, timezone, created_at, updated_at)"
                    " VALUES (1, :public_id, 'Before 0007', 'TRY', 'Europe/Istanbul', :now, :now)"
                ),
                {"public_id": "t" * 24, "now": now},
            )
            await connection.execute(
                insert(series).values(
                    tenant_id=1, id=1, public_id="s" * 24, name="INV", is_default=True, created_at=now, updated_at=now
                )
            )
            series_id = 1
            # As 0005's code wrote them: no search key, search_text lower-cased by str.lower.
            await connection.execute(
                insert(customers).values(
                    tenant_id=tenant_row["id"], id=1, public_id="c" * 24, first_name="IŞIL", last_name="ŞAHİN",
                    is_intake_completed=False, search_text="ışıl şahi̇n", created_at=now, updated_at=now,
                )
            )  # fmt: skip
            await connection.execute(
                insert(invoices).values(
                    tenant_id=tenant_row["id"], id=1, public_id="a" * 24, customer_id=1, series_id=series_id,
                    series_name="INV", currency="TRY", document_class="TEMELFATURA", document_type="SATIS",
                    profile_id="TEMELFATURA", exchange_rate=Decimal(1), receiver_name="IŞIL ŞAHİN",
                    notes="İstanbul", amount_tax_exclusive=Decimal(0), amount_tax_total=Decimal(0),
                    amount_payable=Decimal(0), invoice_amount=Decimal(0), amount_paid=Decimal(0), status="draft",
                    is_archived=False, is_read=False, is_printed=False, version=1, created_at=now, updated_at=now,
                )
            )  # fmt: skip
        await engine.dispose()
        await upgrade_async(scratch_url)
        engine = create_engine(scratch_url)
        async with transaction(engine, write=False) as connection:
            invoice_repository = InvoiceRepository(connection, tenant_row["id"])
            for term in ("şahin", "IŞIL", "ISTANBUL"):
                page = await invoice_repository.page(InvoiceFilter(search=term), after_id=None, limit=5)
                assert [row.invoice["id"] for row in page] == [1], term
            customer_repository = CustomerRepository(connection, tenant_row["id"])
            page_of_customers = await customer_repository.page(search="şahin", after_id=None, limit=5)
            assert [row["id"] for row in page_of_customers] == [1]
    finally:
        await engine.dispose()
