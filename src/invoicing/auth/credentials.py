"""The credential a request presents, read exactly as the route that serves it will read it.

The rate limit keys its buckets on `credential_key`, so every spelling of one credential (the
scheme's case, blanks after it, a decoy header the route ignores) shares one bucket. Each reader
here is the one its route uses, or mirrors it exactly (tests/test_rate_limit_credentials.py holds
the mirrors to FastAPI's `HTTPBearer` and `APIKeyHeader`).
"""

import base64
import binascii
import hashlib
from urllib.parse import unquote

from fastapi.security.utils import get_authorization_scheme_param
from starlette.types import Scope

FLOWPAYROLL_PREFIX = "/flowpayroll/v1/billing"
OAUTH_GRANT_PATH = "/api/oauth/token"


def bearer_token(authorization: str | None) -> str | None:
    """The token of `Authorization: Bearer <token>`, as `HTTPBearer` and then the dependencies read it."""
    scheme, credentials = get_authorization_scheme_param(authorization)
    if not (authorization and scheme and credentials) or scheme.lower() != "bearer":
        return None
    return credentials.strip() or None


def auth_token(x_auth_token: str | None) -> str | None:
    """FlowPayroll's `X-Auth-Token`, blanks around it ignored."""
    return x_auth_token.strip() or None if x_auth_token else None


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """(client_id, client_secret) of `Authorization: Basic <base64>` (RFC 6749 section 2.3.1)."""
    if not authorization or not authorization.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    # Both parts are form-urlencoded before base64.
    return (unquote(client_id), unquote(secret)) if sep else None


def credential_key(scope: Scope) -> bytes | None:
    """Who the request claims to be, normalised: a token's digest or an OAuth client's id; None
    without one the route would read. One token is one key on every dialect that accepts it."""
    path: str = scope.get("path", "")
    if path == FLOWPAYROLL_PREFIX or path.startswith(FLOWPAYROLL_PREFIX + "/"):
        token = auth_token(_first_header(scope, b"x-auth-token"))
    elif path == OAUTH_GRANT_PATH:
        basic = basic_credentials(_first_header(scope, b"authorization"))
        # A client that sends its id in the form is keyed by its address (the body is not read here).
        return b"client:" + _digest(basic[0]) if basic else None
    else:
        token = bearer_token(_first_header(scope, b"authorization"))
    return b"token:" + _digest(token) if token else None


def _first_header(scope: Scope, name: bytes) -> str | None:
    # Starlette's `Headers.get`, which the routes use, answers the first header of that name.
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _digest(text: str) -> bytes:
    # Buckets keep no credential in the clear.
    return hashlib.sha256(text.encode()).digest()
