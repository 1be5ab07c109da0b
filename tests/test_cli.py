"""The `invoicing` command line, end to end on a scratch SQLite file (sync tests: the CLI runs its own loop)."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from invoicing.app import create_app
from invoicing.cli import main
from invoicing.config import get_settings


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def invoke(*args: str) -> Any:
    result = CliRunner().invoke(main, [*args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_tenant_client_and_token_commands_print_json_for_scripts(database: str) -> None:
    assert invoke("migrate") == {"migrated": True}
    tenant = invoke("tenant", "create", "--name", "Acme", "--currency", "EUR", "--timezone", "Europe/Berlin")
    assert isinstance(tenant["id"], int)
    assert len(tenant["public_id"]) == 24
    assert tenant["base_currency"] == "EUR"
    assert [row["id"] for row in invoke("tenant", "list")] == [tenant["id"]]
    client = invoke("client", "create", "--tenant", str(tenant["id"]), "--scopes", "invoices:read")
    assert client["client_id"].startswith("cli_")
    assert client["scopes"] == ["invoices:read"]
    token = invoke("token", "create", "--tenant", str(tenant["id"]), "--expires-in", "3600")
    assert token["token"].startswith("inv_")
    assert token["expires_in"] == 3600


def test_a_cli_token_works_over_http_until_it_is_revoked(database: str) -> None:
    invoke("migrate")
    tenant = invoke("tenant", "create", "--name", "Acme")
    token = invoke("token", "create", "--tenant", str(tenant["id"]))
    headers = {"Authorization": f"Bearer {token['token']}", "X-Tenant": str(tenant["id"])}
    with TestClient(create_app(get_settings())) as http:
        assert http.get("/api/v1/series", headers=headers).status_code == 200
        assert invoke("token", "revoke", "--id", token["id"]) == {"revoked": True}
        refused = http.get("/api/v1/series", headers=headers)
        assert refused.status_code == 401
        assert "WWW-Authenticate" in refused.headers


def test_unknown_tenant_and_bad_input_fail_with_a_message_and_nonzero_exit(database: str) -> None:
    invoke("migrate")
    runner = CliRunner()
    missing = runner.invoke(main, ["token", "create", "--tenant", "999"])
    assert missing.exit_code != 0
    assert "Tenant 999 does not exist" in missing.output
    bad_currency = runner.invoke(main, ["tenant", "create", "--name", "X", "--currency", "ZZZ"])
    assert bad_currency.exit_code != 0
    assert "ISO 4217" in bad_currency.output
    bad_scope = runner.invoke(main, ["client", "create", "--tenant", "1", "--scopes", "admin"])
    assert bad_scope.exit_code != 0
    assert "unknown scope" in bad_scope.output


def test_demo_seeds_once_and_prints_a_working_curl_line(database: str) -> None:
    invoke("migrate")
    first = invoke("demo")
    second = invoke("demo")
    assert first["created"] is True
    assert second["created"] is False
    assert second["tenant_id"] == first["tenant_id"]
    assert first["token"] != second["token"]
    assert f"X-Tenant: {first['tenant_id']}" in first["curl"]
    headers = {"Authorization": f"Bearer {second['token']}", "X-Tenant": str(second["tenant_id"])}
    with TestClient(create_app(get_settings())) as http:
        listed = http.get("/api/v1/invoices", params={"limit": 200}, headers=headers).json()["data"]
    statuses = sorted(invoice["status"] for invoice in listed)
    assert statuses == ["draft"] * 3 + ["issued"] * 3


def test_commands_on_an_unmigrated_database_say_to_migrate_first(database: str) -> None:
    result = CliRunner().invoke(main, ["tenant", "list"])
    assert result.exit_code != 0
    assert "Run `invoicing migrate` first" in result.output


def test_tenant_update_sets_the_profile_and_logo_with_the_apis_checks(database: str, tmp_path: Path) -> None:
    invoke("migrate")
    tenant = invoke("tenant", "create", "--name", "Acme GmbH", "--currency", "EUR")
    patch = tmp_path / "profile.json"
    patch.write_text(json.dumps({"footer": "Danke", "bank_accounts": [{"iban": "DE89370400440532013000"}]}))
    logo = tmp_path / "logo.svg"
    logo.write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>')
    shown = invoke(
        "tenant", "update", "--tenant", "Acme GmbH", "--from-json", str(patch), "--country", "DE",
        "--city", "Berlin", "--tax-number", "DE136695976", "--locale", "de-DE", "--logo", str(logo),
    )  # fmt: skip
    assert shown["postal_address"]["country_code"] == "DE"
    assert shown["postal_address"]["city"] == "Berlin"
    assert shown["footer"] == "Danke"
    assert shown["locale"] == "de_DE"
    assert shown["bank_accounts"] == [{"iban": "DE89370400440532013000", "bic": None, "bank_name": None}]
    assert shown["logo"]["media_type"] == "image/svg+xml"
    again = invoke("tenant", "update", "--tenant", str(tenant["id"]), "--footer", "")
    assert again["footer"] is None
    assert again["postal_address"]["city"] == "Berlin"

    token = invoke("token", "create", "--tenant", str(tenant["id"]))
    headers = {"Authorization": f"Bearer {token['token']}", "X-Tenant": str(tenant["id"])}
    with TestClient(create_app(get_settings())) as http:
        assert http.get("/api/v1/tenant", headers=headers).json()["data"] == again


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--country", "DE", "--tax-number", "DE123"), "tax_number"),
        (("--iban", "DE00 0000"), "bank_accounts[0].iban"),
        (("--country", "QQ"), "postal_address.country_code"),
        (("--locale", "zz"), "locale"),
    ],
)
def test_tenant_update_refuses_bad_input_naming_the_field_and_stores_nothing(
    database: str, args: tuple[str, ...], message: str
) -> None:
    invoke("migrate")
    tenant = invoke("tenant", "create", "--name", "Acme")
    result = CliRunner().invoke(main, ["tenant", "update", "--tenant", str(tenant["id"]), *args, "--json"])
    assert result.exit_code != 0
    assert message in result.output
    unchanged = invoke("tenant", "update", "--tenant", str(tenant["id"]))
    assert unchanged["postal_address"] is None
    assert unchanged["locale"] is None
