"""Query parameters every list shares: a bounded page size and an opaque cursor."""

from typing import Annotated

from fastapi import Query, Request
from pydantic import WithJsonSchema

from invoicing.core.errors import Unprocessable
from invoicing.core.pagination import CURSOR_PATTERN
from invoicing.core.wire_types import MAX_ID, NO_NUL, PlainInteger

__all__ = ["NO_NUL", "Cursor", "Limit", "page_size"]

# Checked by decode_cursor (422 `invalid_cursor`), published here.
Cursor = Annotated[
    str | None,
    WithJsonSchema({"type": "string", "pattern": CURSOR_PATTERN}),
    Query(description="`meta.next_cursor` of the previous page."),
]
# The maximum is the configured MAX_PAGE_SIZE; core.openapi writes it into the document.
Limit = Annotated[
    Annotated[int, PlainInteger(minimum=1, maximum=MAX_ID)] | None,
    Query(description="Page size (default 50, at most the configured maximum)."),
]


def page_size(request: Request, limit: int | None) -> int:
    settings = request.app.state.settings
    if limit is None:
        return int(settings.default_page_size)
    if limit > settings.max_page_size:
        raise Unprocessable.field(
            "limit", f"limit must be at most {settings.max_page_size}.", code="page_size_too_large"
        )
    return limit
