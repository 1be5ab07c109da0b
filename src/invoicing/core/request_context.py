"""Request id, header and body-size limits, and `Cache-Control` of authenticated answers, as one pure
ASGI middleware (no per-request task overhead)."""

import re
import uuid
from collections.abc import Mapping

import orjson
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from invoicing.core.header_limits import HeaderLimits, send_header_fields_too_large

REQUEST_ID_HEADER = "x-request-id"
_VALID_INCOMING_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
CREDENTIAL_HEADERS = (b"authorization", b"x-auth-token")
NO_STORE = (b"cache-control", b"no-store")


def request_id_of(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", ""))


class RequestContextMiddleware:
    """Gives every request an id (echoing a sane incoming `X-Request-ID`), bounds its headers and
    body, and marks every answer to a request that presents a credential `Cache-Control: no-store`
    (unless the route chose its own): what a token reads is nobody else's to keep."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        header_limits: HeaderLimits,
        body_limits: Mapping[str, int] | None = None,
    ) -> None:
        """`body_limits`: paths with a limit of their own (an upload whose own bound is the
        configured limit itself answers a slightly larger body with its own clear 422)."""
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.header_limits = header_limits
        self.body_limits = dict(body_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        header = (REQUEST_ID_HEADER.encode(), request_id.encode())
        request_headers = scope.get("headers", [])
        oversized = self.header_limits.exceeded_by(request_headers)
        if oversized is not None:
            await send_header_fields_too_large(_with_header(send, header), oversized, request_id)
            return
        if any(name in CREDENTIAL_HEADERS for name, _ in request_headers):
            send_with_id = _with_header(send, header, unless_set=NO_STORE)
        else:
            send_with_id = _with_header(send, header)

        limit = self.body_limits.get(scope.get("path", ""), self.max_body_bytes)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._too_large(request_id, send_with_id)
            return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send_with_id)
        except BodyTooLarge:
            await self._too_large(request_id, send_with_id)

    async def _too_large(self, request_id: str, send: Send) -> None:
        body = orjson.dumps(
            {
                "type": "https://invoicing.dev/problems/payload_too_large",
                "title": "Content Too Large",
                "status": 413,
                "detail": "The request body exceeds the configured size limit.",
                "code": "payload_too_large",
                "success": "false",
                "request_id": request_id,
            }
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _with_header(send: Send, header: tuple[bytes, bytes], *, unless_set: tuple[bytes, bytes] | None = None) -> Send:
    """`send` adding `header` to the response, and `unless_set` too when the response has no header of its name."""

    async def send_with_header(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [*message.get("headers", []), header]
            if unless_set is not None and all(name.lower() != unless_set[0] for name, _ in headers):
                headers.append(unless_set)
            message["headers"] = headers
        await send(message)

    return send_with_header


class BodyTooLarge(HTTPException):
    """Raised while the app reads the body; FastAPI passes HTTPExceptions through unchanged."""

    def __init__(self) -> None:
        super().__init__(413, "The request body exceeds the configured size limit.")


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value)
    return None


def _incoming_request_id(scope: Scope) -> str | None:
    value = _header(scope, REQUEST_ID_HEADER.encode())
    if value is None:
        return None
    text = value.decode("latin-1")
    return text if _VALID_INCOMING_ID.match(text) else None


def _content_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
