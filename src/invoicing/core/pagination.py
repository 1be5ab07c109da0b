"""Opaque keyset cursors: a page continues strictly after the last id it showed."""

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import TypeVar

from invoicing.core.errors import Unprocessable

T = TypeVar("T")
MAX_ID = 2**63 - 1


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None or cursor == "":
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = text.partition(":")
        if prefix != "id" or not value.isascii() or not value.isdigit():
            raise ValueError(text)
        # Past the largest id there is nothing more to page through (and the database's
        # 64-bit integers could not even compare it): an empty page, not an error.
        return min(int(value), MAX_ID)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Unprocessable.field("cursor", "The cursor is not one this API returned.", code="invalid_cursor") from None


def cut_page(fetched: Sequence[T], limit: int, id_of: Callable[[T], int]) -> tuple[Sequence[T], dict[str, object]]:
    """The page to show and its `meta`, from the `limit + 1` rows a repository fetched: the
    extra row is never shown, it only tells that another page exists."""
    shown = fetched[:limit]
    has_more = len(fetched) > limit
    next_cursor = encode_cursor(id_of(shown[-1])) if has_more and shown else None
    return shown, {"limit": limit, "next_cursor": next_cursor, "has_more": has_more}
