"""Finding 10 of issue 10, the scope part: `scope` is RFC 6749 section 3.3's grammar,
`scope-token *( SP scope-token )`, of known tokens; absent or empty means the client's own
scopes; anything else is `invalid_scope` (400) and mints nothing."""

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.auth.scopes import ALL_SCOPES, INVOICES_READ, INVOICES_WRITE, parse_requested_scope
from invoicing.auth.service import IssuedClient
from tests.conftest import Tenant
from tests.test_auth import form, make_client, token_count

TOKEN_URL = "/api/oauth/token"


READ_ONLY = (INVOICES_READ,)
BOTH = (INVOICES_READ, INVOICES_WRITE)


@pytest.mark.parametrize(
    ("registered", "scope", "granted"),
    [
        pytest.param(READ_ONLY, None, READ_ONLY, id="absent"),
        pytest.param(READ_ONLY, "", READ_ONLY, id="empty"),
        pytest.param(BOTH, "invoices:read", READ_ONLY, id="one"),
        pytest.param(BOTH, "invoices:write invoices:read", BOTH, id="two-in-any-order"),
        pytest.param(READ_ONLY, "invoices:read invoices:read", READ_ONLY, id="repeated"),
        pytest.param(READ_ONLY, "invoices:read\n", READ_ONLY, id="final-newline-as-schema-tools-allow"),
    ],
)
async def test_a_well_formed_or_empty_scope_gets_those_scopes_or_the_clients_own(
    engine: AsyncEngine,
    client: httpx.AsyncClient,
    tenant: Tenant,
    registered: tuple[str, ...],
    scope: str | None,
    granted: tuple[str, ...],
) -> None:
    issued = await make_client(engine, tenant, registered)
    data = form(issued) | ({} if scope is None else {"scope": scope})

    response = await client.post(TOKEN_URL, data=data)

    assert response.status_code == 200, response.text
    assert response.json()["scope"] == " ".join(granted)


MALFORMED = [
    pytest.param(",", id="a-lone-comma"),
    pytest.param(" ", id="spaces-only"),
    pytest.param("   ", id="more-spaces"),
    pytest.param("invoices:read,invoices:write", id="comma-separated"),
    pytest.param("invoices:read  invoices:write", id="two-spaces"),
    pytest.param(" invoices:read", id="leading-space"),
    pytest.param("invoices:read ", id="trailing-space"),
    pytest.param("invoices:read\tinvoices:write", id="tab"),
    pytest.param("invoices:read\n\n", id="newlines"),
    pytest.param('"invoices:read"', id="quoted"),
    pytest.param("invoices:réad", id="not-ascii"),
    pytest.param("INVOICES:READ", id="other-case"),
    pytest.param("admin", id="unknown"),
    pytest.param("invoices:read admin", id="one-unknown"),
]


@pytest.mark.parametrize("scope", MALFORMED)
async def test_a_scope_outside_the_grammar_or_unknown_is_invalid_scope_and_mints_nothing(
    engine: AsyncEngine, client: httpx.AsyncClient, tenant: Tenant, scope: str
) -> None:
    issued: IssuedClient = await make_client(engine, tenant, (INVOICES_READ,))
    before = await token_count(engine, tenant)

    response = await client.post(TOKEN_URL, data={**form(issued), "scope": scope})

    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_scope"
    assert await token_count(engine, tenant) == before


async def test_a_blank_scope_on_a_read_only_client_is_no_longer_refused_as_exceeding(
    engine: AsyncEngine, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    read_only = await make_client(engine, tenant, (INVOICES_READ,))
    response = await client.post(TOKEN_URL, data={**form(read_only), "scope": ""})
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == INVOICES_READ


# scope-token = 1*NQCHAR, NQCHAR = %x21 / %x23-5B / %x5D-7E
NQCHAR = st.sampled_from([chr(code) for code in [0x21, *range(0x23, 0x5C), *range(0x5D, 0x7F)]])


@given(st.lists(st.sampled_from(ALL_SCOPES), min_size=1, max_size=5))
def test_any_space_separated_list_of_known_scopes_parses_to_those_scopes(scopes: list[str]) -> None:
    assert parse_requested_scope(" ".join(scopes)) == tuple(scope for scope in ALL_SCOPES if scope in scopes)


@given(st.text(min_size=1, max_size=40))
def test_any_other_text_is_refused_or_names_only_known_scopes(text: str) -> None:
    try:
        parsed = parse_requested_scope(text)
    except ValueError:
        return
    assert parsed is None or set(parsed) <= set(ALL_SCOPES)
    assert text in ("\n",) or set(text.removesuffix("\n").split(" ")) <= set(ALL_SCOPES)


@given(st.lists(st.text(NQCHAR, min_size=1, max_size=20), min_size=1, max_size=4))
def test_grammatical_but_unknown_tokens_are_refused(tokens: list[str]) -> None:
    text = " ".join(tokens)
    if set(tokens) <= set(ALL_SCOPES):
        assert parse_requested_scope(text) is not None
    else:
        with pytest.raises(ValueError, match="unknown scope"):
            parse_requested_scope(text)
