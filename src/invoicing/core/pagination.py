"""Keyset cursors: a page continues strictly after the last id it showed.

The cursor is that id's digits. Clients treat it as opaque, but a transparent cursor has one
exact syntax the OpenAPI document can state (CURSOR_PATTERN): any cursor of that form is a
valid place to continue from, so no well-formed cursor is ever refused.
"""

import re
from collections.abc import Callable, Sequence
from typing import TypeVar

from invoicing.core.errors import Unprocessable
from invoicing.core.wire_types import MAX_ID

T = TypeVar("T")
# Empty: the first page. `(?!\n)` refuses the final newline `$` alone admits under `re.search`.
CURSOR_PATTERN = r"^([1-9][0-9]{0,19})?(?!\n)$"
_CURSOR = re.compile(CURSOR_PATTERN)


def encode_cursor(last_id: int) -> str:
    return str(last_id)


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None or cursor == "":
        return None
    if not _CURSOR.search(cursor):
        raise Unprocessable.field("cursor", "The cursor is not one this API returned.", code="invalid_cursor")
    # Past the largest id there is nothing more to page through: an empty page, not an error.
    return min(int(cursor), MAX_ID)


def cut_page(fetched: Sequence[T], limit: int, id_of: Callable[[T], int]) -> tuple[Sequence[T], dict[str, object]]:
    """The page to show and its `meta`, from the `limit + 1` rows a repository fetched: the
    extra row is never shown, it only tells that another page exists."""
    shown = fetched[:limit]
    has_more = len(fetched) > limit
    next_cursor = encode_cursor(id_of(shown[-1])) if has_more and shown else None
    return shown, {"limit": limit, "next_cursor": next_cursor, "has_more": has_more}
