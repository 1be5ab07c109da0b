"""Finding 4 of issue 10 on the command line: `invoicing client list|revoke|rotate-secret`, on
both databases (sync tests: the CLI runs its own event loop)."""

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner

from invoicing.auth.service import InvalidClient, authenticate, exchange_client_credentials
from invoicing.cli import main
from invoicing.config import get_settings
from invoicing.core.db import create_engine, transaction
from invoicing.core.errors import Unauthenticated


@pytest.fixture
def cli_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


def run_cli(*args: str) -> Any:
    result = CliRunner().invoke(main, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def run_cli_failing(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code != 0, result.output
    return result.output


def mint(database_url: str, client_id: str, client_secret: str) -> str | None:
    """A token for the client, or None when its credentials are refused."""

    async def exchange() -> str | None:
        engine = create_engine(database_url, pool_size=1)
        try:
            async with transaction(engine, write=True) as connection:
                issued = await exchange_client_credentials(
                    connection, client_id=client_id, client_secret=client_secret, requested_scopes=None, ttl_seconds=60
                )
            return issued.token
        except InvalidClient:
            return None
        finally:
            await engine.dispose()

    return asyncio.run(exchange())


def works(database_url: str, token: str) -> bool:
    async def check() -> bool:
        engine = create_engine(database_url, pool_size=1)
        try:
            async with transaction(engine, write=False) as connection:
                await authenticate(connection, token)
            return True
        except Unauthenticated:
            return False
        finally:
            await engine.dispose()

    return asyncio.run(check())


def test_client_list_shows_every_client_of_a_tenant_without_secrets(cli_database: str) -> None:
    tenant = run_cli("tenant", "create", "--name", "Acme")
    other = run_cli("tenant", "create", "--name", "Other")
    first = run_cli("client", "create", "--tenant", str(tenant["id"]), "--name", "Sync")
    second = run_cli("client", "create", "--tenant", str(tenant["id"]), "--scopes", "invoices:read")
    theirs = run_cli("client", "create", "--tenant", str(other["id"]))

    listed = run_cli("client", "list", "--tenant", str(tenant["id"]))

    assert [row["client_id"] for row in listed] == [first["client_id"], second["client_id"]]
    assert [row["scopes"] for row in listed] == [["invoices:read", "invoices:write"], ["invoices:read"]]
    assert {row["status"] for row in listed} == {"active"}
    assert all("client_secret" not in row and "secret_hash" not in row for row in listed)
    assert theirs["client_id"] in {row["client_id"] for row in run_cli("client", "list")}


def test_client_revoke_ends_the_secret_and_every_token_it_minted_and_is_idempotent(cli_database: str) -> None:
    tenant = run_cli("tenant", "create", "--name", "Acme")
    leaked = run_cli("client", "create", "--tenant", str(tenant["id"]))
    kept = run_cli("client", "create", "--tenant", str(tenant["id"]))
    tokens = [mint(cli_database, leaked["client_id"], leaked["client_secret"]) for _ in range(2)]
    kept_token = mint(cli_database, kept["client_id"], kept["client_secret"])
    assert None not in tokens
    assert kept_token is not None

    revoked = run_cli("client", "revoke", "--client-id", leaked["client_id"])

    assert revoked["status"] == "revoked"
    assert revoked["tokens_revoked"] == 2
    assert mint(cli_database, leaked["client_id"], leaked["client_secret"]) is None
    assert not any(works(cli_database, token) for token in tokens if token)
    assert works(cli_database, kept_token)
    again = run_cli("client", "revoke", "--client-id", leaked["client_id"])
    assert {**again, "tokens_revoked": 2} == revoked
    assert again["tokens_revoked"] == 0
    statuses = {row["client_id"]: row["status"] for row in run_cli("client", "list")}
    assert statuses[leaked["client_id"]] == "revoked"
    assert statuses[kept["client_id"]] == "active"


def test_client_rotate_secret_prints_a_new_secret_and_the_old_one_stops_working(cli_database: str) -> None:
    tenant = run_cli("tenant", "create", "--name", "Acme")
    created = run_cli("client", "create", "--tenant", str(tenant["id"]))
    token_before = mint(cli_database, created["client_id"], created["client_secret"])
    assert token_before is not None

    rotated = run_cli("client", "rotate-secret", "--client-id", created["client_id"])

    assert rotated["client_id"] == created["client_id"]
    assert rotated["client_secret"].startswith("sec_")
    assert rotated["client_secret"] != created["client_secret"]
    assert mint(cli_database, created["client_id"], created["client_secret"]) is None
    assert mint(cli_database, created["client_id"], rotated["client_secret"]) is not None
    assert works(cli_database, token_before), "tokens minted before a rotation keep working"


def test_unknown_or_revoked_clients_fail_with_a_message_and_nonzero_exit(cli_database: str) -> None:
    tenant = run_cli("tenant", "create", "--name", "Acme")
    created = run_cli("client", "create", "--tenant", str(tenant["id"]))
    assert "client_not_found" in run_cli_failing("client", "revoke", "--client-id", "cli_never_issued")
    assert "client_not_found" in run_cli_failing("client", "rotate-secret", "--client-id", "cli_never_issued")
    run_cli("client", "revoke", "--client-id", created["client_id"])
    assert "client_revoked" in run_cli_failing("client", "rotate-secret", "--client-id", created["client_id"])
    assert mint(cli_database, created["client_id"], created["client_secret"]) is None


@pytest.mark.parametrize("scopes", [",", " , ", "invoices:read,admin"])
def test_scopes_that_name_no_known_scope_are_refused_by_client_create(cli_database: str, scopes: str) -> None:
    tenant = run_cli("tenant", "create", "--name", "Acme")
    assert "unknown scope" in run_cli_failing("client", "create", "--tenant", str(tenant["id"]), "--scopes", scopes)
    assert run_cli("client", "list", "--tenant", str(tenant["id"])) == []
