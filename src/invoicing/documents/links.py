"""Public links to an invoice's documents: its hosted page.

Representations are plain functions of a row, so the base URL is set once per process from the
settings (`configure`, called by `create_app`) rather than passed down every call that renders
an invoice.
"""

import secrets

from invoicing.config import Settings

HOSTED_PATH = "/i"

# Until `configure` runs (tools importing representations), links point at the default address.
_base_url = "http://127.0.0.1:8000"


def configure(settings: Settings) -> None:
    global _base_url
    _base_url = settings.base_url


def new_hosted_token() -> str:
    """256 random bits, URL-safe: the hosted page's only credential."""
    return secrets.token_urlsafe(32)


def public_url(path: str) -> str:
    """`path` (starting with /) where customers reach the service."""
    return f"{_base_url}{path}"


def hosted_url(token: str | None) -> str | None:
    return public_url(f"{HOSTED_PATH}/{token}") if token else None
