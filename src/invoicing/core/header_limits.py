"""Bounds on request headers: over them, 431 Request Header Fields Too Large (RFC 6585 section 5).

Enforced twice. Here, on the headers any ASGI server hands over, exactly and before any other
work. And in the HTTP parser of `invoicing serve` (core.http_protocol), which stops reading a
request head that outgrows the total: without it a 20 MB header is read whole into memory before
the application ever sees it.
"""

from collections.abc import Iterable
from dataclasses import dataclass

import orjson
from starlette.types import Send

LINE_OVERHEAD = 4  # ": " and CRLF, as the header travels


@dataclass(frozen=True, slots=True)
class HeaderLimits:
    total_bytes: int
    count: int
    field_bytes: int

    def exceeded_by(self, headers: Iterable[tuple[bytes, bytes]]) -> str | None:
        """Which limit the headers break (a phrase for the client), or None within them all."""
        total = count = 0
        for name, value in headers:
            count += 1
            size = len(name) + len(value) + LINE_OVERHEAD
            if size > self.field_bytes:
                return f"a header field is over {self.field_bytes} bytes"
            total += size
        if count > self.count:
            return f"there are more than {self.count} header fields"
        if total > self.total_bytes:
            return f"the header fields are over {self.total_bytes} bytes in all"
        return None


def header_fields_too_large_body(detail: str, request_id: str) -> bytes:
    return orjson.dumps(
        {
            "type": "https://invoicing.dev/problems/request_header_fields_too_large",
            "title": "Request Header Fields Too Large",
            "status": 431,
            "detail": f"The request headers are too large: {detail}.",
            "code": "request_header_fields_too_large",
            "success": "false",
            "request_id": request_id,
        }
    )


async def send_header_fields_too_large(send: Send, detail: str, request_id: str) -> None:
    body = header_fields_too_large_body(detail, request_id)
    headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 431, "headers": headers})
    await send({"type": "http.response.body", "body": body})
