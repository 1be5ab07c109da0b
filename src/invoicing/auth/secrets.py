"""Bearer tokens and client secrets: random, shown once, stored as SHA-256.

They carry 256 random bits, so a fast hash is enough (nothing to brute-force) and lets a
request find its token by an indexed equality lookup, with no per-request key stretching.
"""

import hashlib
import secrets

TOKEN_PREFIX = "inv_"  # noqa: S105 - a public prefix, not a secret
CLIENT_ID_PREFIX = "cli_"
CLIENT_SECRET_PREFIX = "sec_"  # noqa: S105 - a public prefix, not a secret


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_client_id() -> str:
    return CLIENT_ID_PREFIX + secrets.token_hex(12)


def new_client_secret() -> str:
    return CLIENT_SECRET_PREFIX + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def display_prefix(token: str) -> str:
    """Enough of a token to recognise it in a list, never enough to use it."""
    return token[:12]
