"""Opaque keyset cursors: a page continues strictly after the last id it showed."""

import base64
import binascii

from invoicing.core.errors import Unprocessable


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None or cursor == "":
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = text.partition(":")
        if prefix != "id" or not value.isdigit():
            raise ValueError(text)
        return int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Unprocessable.field("cursor", "The cursor is not one this API returned.", code="invalid_cursor") from None


def page_meta(rows_fetched: int, limit: int, last_id: int | None) -> dict[str, object]:
    """Callers fetch `limit + 1` rows; the extra one only tells whether another page exists."""
    has_more = rows_fetched > limit
    return {
        "limit": limit,
        "next_cursor": encode_cursor(last_id) if has_more and last_id else None,
        "has_more": has_more,
    }
