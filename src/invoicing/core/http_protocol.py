"""The HTTP/1.1 protocol `invoicing serve` runs: uvicorn's httptools protocol with a bounded request head.

httptools (llhttp) sets no limit on the request line or the headers: it gathers every header in
memory before the application could refuse it. This protocol counts the bytes of a request head
as they arrive and answers 431 once they exceed MAX_HEADER_BYTES (plus one read of slack: a read
is counted whole), then closes the connection. The exact limits (count, size of one field, total)
are core.header_limits', checked again on the parsed headers.
"""

import logging
import uuid
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from invoicing.config import get_settings
from invoicing.core.header_limits import header_fields_too_large_body

logger = logging.getLogger("invoicing")

REQUEST_LINE_ALLOWANCE = 16 * 1024  # the method, the target and the version ride in the head too


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_head_bytes = get_settings().max_header_bytes + REQUEST_LINE_ALLOWANCE
        self.reading_head = True  # a connection opens with a request head
        self.head_bytes = 0
        self.refused = False

    def data_received(self, data: bytes) -> None:
        if self.refused:
            return
        super().data_received(data)
        # Still inside a head after this read: all of it belongs to that head (or, when a
        # pipelined request began inside it, to the tail of the one before: counted, to be safe).
        if self.reading_head:
            self.head_bytes += len(data)
            if self.head_bytes > self.max_head_bytes:
                self.send_431_response()

    def on_message_begin(self) -> None:
        self.reading_head, self.head_bytes = True, 0
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self.reading_head = False
        super().on_headers_complete()

    def send_431_response(self) -> None:
        self.refused = True
        request_id = uuid.uuid4().hex
        logger.warning(
            "request head over %d bytes refused with 431", self.max_head_bytes, extra={"request_id": request_id}
        )
        body = header_fields_too_large_body(f"the request head is over {self.max_head_bytes} bytes", request_id)
        content = [STATUS_LINE[431]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend(
            [
                b"content-type: application/problem+json\r\n",
                b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                b"x-request-id: " + request_id.encode("ascii") + b"\r\n",
                b"connection: close\r\n",
                b"\r\n",
                body,
            ]
        )
        self.transport.write(b"".join(content))
        self.transport.close()
