"""JSON responses encoded by orjson.

Representations are plain dicts built by each feature's `representation` module, so the
response path skips pydantic model construction and validation entirely (hot path, issue 6).
"""

from typing import Any

import orjson
from starlette.responses import Response


class JsonResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class ProblemResponse(JsonResponse):
    media_type = "application/problem+json"


def envelope(data: Any, **extra: Any) -> dict[str, Any]:
    """The seeds' envelope; `success` is a string there, so it is here."""
    return {"success": "true", "data": data, **extra}
