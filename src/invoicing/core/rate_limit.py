"""Per-caller rate limit: a token bucket per token (per client address without one).

The token is the `Authorization` header (primary API, HighLevel) or `X-Auth-Token` (FlowPayroll).

Checked before routing, so a refused request costs no database work and stores nothing.
Buckets live in each worker process: with N workers a caller gets up to N times the rate. That
is the single-host default; a shared limit (Redis, a gateway) belongs in front of many hosts.
"""

import hashlib
import math
import time
from collections import OrderedDict

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

MAX_TRACKED_CALLERS = 10_000  # the oldest buckets are forgotten first; a forgotten one starts full


class TokenBucket:
    __slots__ = ("tokens", "updated")

    def __init__(self, capacity: float, now: float) -> None:
        self.tokens = capacity
        self.updated = now


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, per_second: float, burst: int) -> None:
        self.app = app
        self.per_second = per_second
        self.burst = float(burst)
        self.buckets: OrderedDict[bytes, TokenBucket] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.per_second <= 0:
            await self.app(scope, receive, send)
            return
        wait = self._take(_caller(scope), time.monotonic())
        if wait is None:
            await self.app(scope, receive, send)
            return
        await _too_many_requests(scope, send, retry_after=max(1, math.ceil(wait)))

    def _take(self, caller: bytes, now: float) -> float | None:
        """None when the request may pass; otherwise the seconds until a token is back."""
        bucket = self.buckets.get(caller)
        if bucket is None:
            bucket = self.buckets[caller] = TokenBucket(self.burst, now)
            if len(self.buckets) > MAX_TRACKED_CALLERS:
                self.buckets.popitem(last=False)
        else:
            self.buckets.move_to_end(caller)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.per_second)
            bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        return (1 - bucket.tokens) / self.per_second


def _caller(scope: Scope) -> bytes:
    for name, value in scope.get("headers", []):
        if name in (b"authorization", b"x-auth-token"):
            return b"auth:" + hashlib.sha256(value).digest()
    client = scope.get("client")
    return b"addr:" + (client[0].encode() if client else b"?")


async def _too_many_requests(scope: Scope, send: Send, *, retry_after: int) -> None:
    request_id = str(scope.get("state", {}).get("request_id", ""))
    body = orjson.dumps(
        {
            "type": "https://invoicing.dev/problems/rate_limited",
            "title": "Too Many Requests",
            "status": 429,
            "detail": f"Too many requests for this token; retry after {retry_after} s.",
            "code": "rate_limited",
            "success": "false",
            "request_id": request_id,
        }
    )
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(retry_after).encode()),
    ]
    await send({"type": "http.response.start", "status": 429, "headers": headers})
    await send({"type": "http.response.body", "body": body})
