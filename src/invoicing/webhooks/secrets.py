"""Webhook signing secrets: made here, shown once, stored sealed so only the server can sign.

A secret is `whsec_` + base64 of 24 random bytes, the form Standard Webhooks libraries (the
`standardwebhooks` package, Svix) take as it is. The database keeps it sealed with Fernet
(AES-128-CBC + HMAC-SHA256) under a key derived with HKDF-SHA256 from SECRET_KEY or, when that
is unset, from a random key kept in SECRET_KEY_FILE (var/secret_key, mode 0600, made on first
use). The key file suits one machine only: every process that signs must open the same seals,
so a deployment on several machines sets SECRET_KEY, the same on all of them.

Sealing needs the key only when a secret is made or opened, so the key is set once per process
from the settings (`configure`, called by `create_app` and by the worker) and derived lazily;
`cryptography` itself (about 7 MB of a worker's memory) is imported then too, so an API worker
that never touches a webhook secret never loads it.
"""

import base64
import contextlib
import os
import secrets
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from invoicing.config import Settings

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

SECRET_PREFIX = "whsec_"  # noqa: S105 (the Standard Webhooks prefix, not a secret)
SECRET_BYTES = 24
# Binds the derived key to this one use: the same SECRET_KEY may key something else later
# without either ever opening the other's data.
_HKDF_INFO = b"invoicing webhook secret sealing v1"
_KEY_FILE_BYTES = 48


class SecretKeyUnusable(RuntimeError):
    """The server's sealing key cannot open a stored secret: it is not the key that sealed it."""


_secret_key: str | None = None
_key_file = Path("var") / "secret_key"
_fernet: "Fernet | None" = None


def configure(settings: Settings) -> None:
    global _secret_key, _key_file, _fernet
    _secret_key = settings.secret_key.get_secret_value() if settings.secret_key is not None else None
    _key_file = settings.secret_key_file
    _fernet = None


def new_secret() -> str:
    """A new signing secret, `whsec_` + base64 of 24 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def seal(secret: str) -> str:
    """The secret encrypted and authenticated under the server's key (text, for a Text column)."""
    return _cipher().encrypt(secret.encode()).decode()


def open_sealed(sealed: str) -> str:
    """The secret `seal` made. Raises SecretKeyUnusable when the key is not the one that sealed
    it (SECRET_KEY changed, or the key file was replaced), or the seal is damaged."""
    from cryptography.fernet import InvalidToken

    try:
        return _cipher().decrypt(sealed.encode()).decode()
    except InvalidToken:
        source = "SECRET_KEY" if _secret_key is not None else f"the key file {_key_file}"
        raise SecretKeyUnusable(
            f"A stored webhook secret cannot be opened with {source}: it was sealed under another key "
            "(SECRET_KEY changed, or the key file was replaced or differs between machines). Restore that key, "
            "or rotate the endpoint's secret."
        ) from None


def _cipher() -> "Fernet":
    global _fernet
    if _fernet is None:
        from cryptography.fernet import Fernet
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF

        material = _secret_key.encode() if _secret_key is not None else _key_file_contents(_key_file)
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(material)
        _fernet = Fernet(base64.urlsafe_b64encode(derived))
    return _fernet


def _key_file_contents(path: Path) -> bytes:
    """The key file's bytes, making it first if there is none yet."""
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole under a temporary name, then linked into place: two processes starting at
    # once never see a half-written key, and the one that loses the race uses the winner's.
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret_key.")  # mode 0600
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(base64.urlsafe_b64encode(secrets.token_bytes(_KEY_FILE_BYTES)))
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)
    return _read_key(path)


def _read_key(path: Path) -> bytes:
    key = path.read_bytes().strip()
    if len(key) < 32:
        raise SecretKeyUnusable(
            f"The key file {path} holds fewer than 32 characters; it is not a key this server made."
        )
    return key
