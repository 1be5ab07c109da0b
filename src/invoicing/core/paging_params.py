"""Query parameters every list shares: a bounded page size and an opaque cursor."""

from typing import Annotated

from fastapi import Query, Request

from invoicing.core.errors import Unprocessable

NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL

Cursor = Annotated[str | None, Query(description="`meta.next_cursor` of the previous page.", max_length=200)]
Limit = Annotated[int | None, Query(ge=1, description="Page size (default 50, at most the configured maximum, 200).")]


def page_size(request: Request, limit: int | None) -> int:
    settings = request.app.state.settings
    if limit is None:
        return int(settings.default_page_size)
    if limit > settings.max_page_size:
        raise Unprocessable.field(
            "limit", f"limit must be at most {settings.max_page_size}.", code="page_size_too_large"
        )
    return limit
