"""Customers (create, read, search, page, partial update) and the ISO 4217 currency list, over HTTP."""

from typing import Any

import pytest

from invoicing.currencies.catalog import CATALOG_FILE, all_currencies, catalog_document, derive_catalog
from tests.conftest import Tenant
from tests.shapes import assert_shape, currency_shape, customer_shape


async def ids_of(tenant: Tenant, **params: Any) -> list[int]:
    response = await tenant.get("/customers", params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]]


# -- create and read -------------------------------------------------------------------------------


async def test_creating_a_customer_answers_201_with_every_seed_key(tenant: Tenant) -> None:
    response = await tenant.post(
        "/customers",
        json={"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.org", "tax_number": "1111111111"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["success"] == "true"
    customer = body["data"]
    assert_shape(customer, customer_shape(), "$.data")
    assert customer["tenant_id"] == tenant.id
    assert (customer["first_name"], customer["last_name"]) == ("Ada", "Lovelace")
    assert customer["email"] == "ada@example.org"
    assert customer["tax_number"] == "1111111111"
    assert customer["is_intake_completed"] is False
    assert customer["deleted_at"] is None
    assert len(customer["public_id"]) == 24


async def test_a_customer_reads_back_as_created(tenant: Tenant) -> None:
    created = await tenant.create_customer(email="ada@example.org", date_of_birth="1815-12-10", country_id=44)
    response = await tenant.get(f"/customers/{created['id']}")
    assert response.status_code == 200, response.text
    assert response.json()["data"] == created
    assert created["date_of_birth"] == "1815-12-10"


async def test_another_tenant_s_customer_is_not_found(tenant: Tenant, other_tenant: Tenant) -> None:
    created = await other_tenant.create_customer()
    response = await tenant.get(f"/customers/{created['id']}")
    assert response.status_code == 404
    assert response.json()["code"] == "customer_not_found"
    assert created["id"] not in await ids_of(tenant)


async def test_a_customer_needs_a_first_name_and_refuses_unknown_fields(tenant: Tenant) -> None:
    missing = await tenant.post("/customers", json={"last_name": "Nameless"})
    assert missing.status_code == 422
    assert "first_name" in str(missing.json()["errors"])
    unknown = await tenant.post("/customers", json={"first_name": "A", "nickname": "x"})
    assert unknown.status_code == 422


# -- search and paging ---------------------------------------------------------------------------


@pytest.fixture
async def people(tenant: Tenant) -> dict[str, int]:
    specs = {
        "ada": {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@analytical.example", "tax_number": "1001"},
        "grace": {"first_name": "Grace", "last_name": "Hopper", "email": "grace@navy.example", "tax_number": "2002"},
        "alan": {"first_name": "Alan", "last_name": "Turing", "email": "alan@bletchley.example", "tax_number": "3003"},
        "acme": {
            "first_name": "Wile",
            "last_name": "Coyote",
            "company_name": "ACME Anvils_100%",
            "tax_number": "TR-77",
        },
    }
    return {key: (await tenant.create_customer(**fields))["id"] for key, fields in specs.items()}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("lovelace", ["ada"]),
        ("LOVELACE", ["ada"]),
        ("gRaCe", ["grace"]),
        ("ada lovelace", ["ada"]),
        ("hopp", ["grace"]),
        ("NAVY.EXAMPLE", ["grace"]),
        ("alan@bletchley.example", ["alan"]),
        ("3003", ["alan"]),
        ("tr-77", ["acme"]),
        ("acme anvils", ["acme"]),
        (".example", ["alan", "grace", "ada"]),
        ("nobody", []),
    ],
)
async def test_the_list_searches_name_email_and_tax_number_case_insensitively(
    tenant: Tenant, people: dict[str, int], query: str, expected: list[str]
) -> None:
    assert await ids_of(tenant, q=query) == [people[key] for key in expected]


@pytest.mark.parametrize(("query", "expected"), [("_", ["acme"]), ("%", ["acme"]), ("s_1", ["acme"]), ("a%e", [])])
async def test_search_wildcards_are_literal_characters(
    tenant: Tenant, people: dict[str, int], query: str, expected: list[str]
) -> None:
    assert await ids_of(tenant, q=query) == [people[key] for key in expected]


async def test_the_list_pages_with_a_cursor_newest_first(tenant: Tenant) -> None:
    ids = [(await tenant.create_customer(first_name=f"P{n}"))["id"] for n in range(5)]
    first = (await tenant.get("/customers", params={"limit": 2})).json()
    assert [item["id"] for item in first["data"]] == ids[::-1][:2]
    assert first["meta"]["has_more"] is True
    second = (await tenant.get("/customers", params={"limit": 2, "cursor": first["meta"]["next_cursor"]})).json()
    assert [item["id"] for item in second["data"]] == ids[::-1][2:4]
    third = (await tenant.get("/customers", params={"limit": 2, "cursor": second["meta"]["next_cursor"]})).json()
    assert [item["id"] for item in third["data"]] == ids[:1]
    assert third["meta"] == {"limit": 2, "next_cursor": None, "has_more": False}


async def test_an_exactly_full_last_page_says_there_is_no_more(tenant: Tenant) -> None:
    ids = [(await tenant.create_customer(first_name=f"P{n}"))["id"] for n in range(4)]
    first = (await tenant.get("/customers", params={"limit": 2})).json()
    last = (await tenant.get("/customers", params={"limit": 2, "cursor": first["meta"]["next_cursor"]})).json()
    assert [item["id"] for item in last["data"]] == ids[1::-1]
    assert last["meta"] == {"limit": 2, "next_cursor": None, "has_more": False}


async def test_search_and_cursor_combine(tenant: Tenant) -> None:
    matching = []
    for n in range(5):
        matching.append((await tenant.create_customer(first_name=f"Match{n}"))["id"])
        await tenant.create_customer(first_name=f"Other{n}")
    first = (await tenant.get("/customers", params={"q": "match", "limit": 3})).json()
    rest = (
        await tenant.get("/customers", params={"q": "match", "limit": 3, "cursor": first["meta"]["next_cursor"]})
    ).json()
    assert [item["id"] for item in first["data"] + rest["data"]] == matching[::-1]
    assert rest["meta"]["has_more"] is False


async def test_a_cursor_the_api_did_not_give_is_refused(tenant: Tenant) -> None:
    response = await tenant.get("/customers", params={"cursor": "not-a-cursor"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_cursor"


# -- partial update --------------------------------------------------------------------------------


async def test_patch_changes_only_the_fields_sent(tenant: Tenant) -> None:
    created = await tenant.create_customer(email="old@example.org", job="Mathematician", tax_number="5005")
    response = await tenant.patch(f"/customers/{created['id']}", json={"email": "new@example.org"})
    assert response.status_code == 200, response.text
    updated = response.json()["data"]
    assert updated["email"] == "new@example.org"
    unchanged = {key for key in created if key not in ("email", "updated_at", "search_vector")}
    assert {key: updated[key] for key in unchanged} == {key: created[key] for key in unchanged}
    assert updated["updated_at"] >= created["updated_at"]
    assert (await tenant.get(f"/customers/{created['id']}")).json()["data"] == updated


async def test_patch_with_null_clears_an_optional_field(tenant: Tenant) -> None:
    created = await tenant.create_customer(job="Mathematician")
    updated = (await tenant.patch(f"/customers/{created['id']}", json={"job": None, "last_name": None})).json()["data"]
    assert updated["job"] is None
    assert updated["last_name"] is None
    assert updated["first_name"] == created["first_name"]


async def test_patch_updates_what_search_finds(tenant: Tenant) -> None:
    created = await tenant.create_customer(first_name="Ada", last_name="Lovelace", email="ada@old.example")
    await tenant.patch(
        f"/customers/{created['id']}", json={"email": "ada@new.example", "last_name": "King", "tax_number": "X9"}
    )
    assert await ids_of(tenant, q="old.example") == []
    assert await ids_of(tenant, q="lovelace") == []
    assert await ids_of(tenant, q="NEW.example") == [created["id"]]
    assert await ids_of(tenant, q="king") == [created["id"]]
    assert await ids_of(tenant, q="x9") == [created["id"]]
    assert await ids_of(tenant, q="ada") == [created["id"]]  # unchanged fields stay searchable


@pytest.mark.parametrize(
    "body", [{"first_name": None}, {"first_name": ""}, {"is_intake_completed": None}, {"colour": "red"}]
)
async def test_patch_refuses_invalid_changes_with_422(tenant: Tenant, body: dict[str, Any]) -> None:
    created = await tenant.create_customer()
    response = await tenant.patch(f"/customers/{created['id']}", json=body)
    assert response.status_code == 422, response.text
    assert (await tenant.get(f"/customers/{created['id']}")).json()["data"] == created


async def test_patching_another_tenant_s_customer_is_not_found(tenant: Tenant, other_tenant: Tenant) -> None:
    created = await other_tenant.create_customer()
    response = await tenant.patch(f"/customers/{created['id']}", json={"job": "Spy"})
    assert response.status_code == 404
    assert (await other_tenant.get(f"/customers/{created['id']}")).json()["data"]["job"] is None


# -- currencies ------------------------------------------------------------------------------------


@pytest.fixture
async def currencies(tenant: Tenant) -> dict[str, dict[str, Any]]:
    response = await tenant.get("/currencies")
    assert response.status_code == 200, response.text
    items = response.json()["data"]
    by_code = {item["code"]: item for item in items}
    assert len(by_code) == len(items), "currency codes repeat"
    return by_code


async def test_the_currency_list_has_the_turkish_lira_with_its_iso_number_and_symbol(
    currencies: dict[str, dict[str, Any]],
) -> None:
    lira = currencies["TRY"]
    assert lira["id"] == 949
    assert lira["symbol"] == "₺"
    assert lira["minor_units"] == 2
    assert lira["name"] == "Turkish Lira"


@pytest.mark.parametrize(("code", "number", "minor_units"), [("JPY", 392, 0), ("EUR", 978, 2), ("KWD", 414, 3)])
async def test_currencies_carry_iso_numbers_and_minor_units(
    currencies: dict[str, dict[str, Any]], code: str, number: int, minor_units: int
) -> None:
    assert currencies[code]["id"] == number
    assert currencies[code]["minor_units"] == minor_units


@pytest.mark.parametrize("code", ["XAU", "XAG", "XDR", "XXX"])
async def test_metals_and_funds_without_minor_units_are_not_listed(
    currencies: dict[str, dict[str, Any]], code: str
) -> None:
    assert code not in currencies


async def test_every_currency_has_the_seed_keys_and_a_unique_iso_number(
    currencies: dict[str, dict[str, Any]],
) -> None:
    for code, item in currencies.items():
        assert_shape(item, currency_shape(), f"$.data[{code}]")
        assert item["code"] == code
        assert item["is_active"] == "true"
        assert item["minor_units"] in (0, 2, 3, 4)
    assert len({item["id"] for item in currencies.values()}) == len(currencies)


async def test_the_currency_list_requires_a_token(tenant: Tenant) -> None:
    response = await tenant.client.get("/api/v1/currencies", headers={"X-Tenant": str(tenant.id)})
    assert response.status_code == 401


def test_the_stored_catalogue_is_what_iso4217_and_babel_give_now() -> None:
    # catalog.json is derived data, kept so workers need not load CLDR; `make currencies` renews it.
    published, derived = derive_catalog()
    assert CATALOG_FILE.read_text(encoding="utf-8") == catalog_document(published, derived)
    assert all_currencies() == derived
    assert {"EUR", "JPY", "KWD", "TRY", "CLF"} <= set(derived)
    assert "XAU" not in derived  # no minor units: cannot be invoiced
