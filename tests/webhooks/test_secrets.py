"""Signing secrets: their form, sealing under SECRET_KEY or the key file, and a wrong key."""

import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError
from standardwebhooks import Webhook

from invoicing.config import Settings
from invoicing.webhooks import secrets
from invoicing.webhooks.secrets import SecretKeyUnusable

KEY = "k" * 40
OTHER_KEY = "o" * 40


@pytest.fixture(autouse=True)
def _restore_sealing(monkeypatch: pytest.MonkeyPatch) -> None:
    # configure() sets the process's key: the test session's is put back afterwards.
    for name in ("_secret_key", "_key_file", "_fernet"):
        monkeypatch.setattr(secrets, name, getattr(secrets, name))


def keyed(secret_key: str | None, key_file: Path) -> None:
    secrets.configure(
        Settings(
            database_url="sqlite://",
            secret_key=SecretStr(secret_key) if secret_key is not None else None,
            secret_key_file=key_file,
        )
    )


def test_a_new_secret_is_whsec_and_24_random_bytes_the_standard_library_signs_with() -> None:
    secret = secrets.new_secret()
    assert secret.startswith("whsec_")
    assert len(secret) == len("whsec_") + 32  # 24 bytes in base64, no padding
    assert secrets.new_secret() != secret
    body = json.dumps({"type": "invoice.issued", "timestamp": "2026-03-01T12:00:00Z", "data": {}})
    webhook = Webhook(secret)
    now = datetime.now(UTC)
    signature = webhook.sign("msg_0123456789abcdef01234567", now, body)
    headers = {
        "webhook-id": "msg_0123456789abcdef01234567",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    assert webhook.verify(body, headers) == json.loads(body)


def test_a_seal_under_secret_key_opens_to_the_secret_and_shows_nothing_of_it(tmp_path: Path) -> None:
    keyed(KEY, tmp_path / "unused")
    secret = secrets.new_secret()
    sealed = secrets.seal(secret)
    assert secret not in sealed
    assert secret.removeprefix("whsec_") not in sealed
    assert secrets.seal(secret) != sealed  # every seal is fresh (its own IV and time)
    assert secrets.open_sealed(sealed) == secret
    assert not (tmp_path / "unused").exists()  # with SECRET_KEY no key file is made


def test_the_same_secret_key_opens_seals_on_another_process(tmp_path: Path) -> None:
    keyed(KEY, tmp_path / "a")
    sealed = secrets.seal("whsec_AAAA")
    keyed(KEY, tmp_path / "b")  # another machine, the same SECRET_KEY
    assert secrets.open_sealed(sealed) == "whsec_AAAA"


def test_without_secret_key_a_key_file_is_made_once_with_mode_0600_and_reused(tmp_path: Path) -> None:
    key_file = tmp_path / "var" / "secret_key"
    keyed(None, key_file)
    assert not key_file.exists()  # made on first use, not at configuration
    sealed = secrets.seal("whsec_BBBB")
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    contents = key_file.read_bytes()
    assert len(contents) >= 32
    keyed(None, key_file)  # a restart
    assert secrets.open_sealed(sealed) == "whsec_BBBB"
    assert key_file.read_bytes() == contents
    assert [path.name for path in key_file.parent.iterdir()] == ["secret_key"]  # no temporary left


def test_a_wrong_key_is_a_clear_error_not_fernet_internals(tmp_path: Path) -> None:
    keyed(KEY, tmp_path / "unused")
    sealed = secrets.seal("whsec_CCCC")
    keyed(OTHER_KEY, tmp_path / "unused")
    with pytest.raises(SecretKeyUnusable, match="cannot be opened with SECRET_KEY") as raised:
        secrets.open_sealed(sealed)
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__ is True
    keyed(None, tmp_path / "secret_key")
    with pytest.raises(SecretKeyUnusable, match=r"cannot be opened with the key file .*secret_key"):
        secrets.open_sealed(sealed)
    with pytest.raises(SecretKeyUnusable):
        secrets.open_sealed("not a seal at all")


def test_a_key_file_too_short_to_be_a_key_is_refused(tmp_path: Path) -> None:
    key_file = tmp_path / "secret_key"
    key_file.write_text("short\n")
    keyed(None, key_file)
    with pytest.raises(SecretKeyUnusable, match="fewer than 32 characters"):
        secrets.seal("whsec_DDDD")


def test_a_secret_key_shorter_than_32_characters_is_refused_by_the_settings() -> None:
    with pytest.raises(ValidationError, match="secret_key"):
        Settings(database_url="sqlite://", secret_key=SecretStr("too short"))
