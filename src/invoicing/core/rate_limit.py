"""Per-caller rate limit, and a limit on failed authentications per client address.

A caller is the credential as its route will resolve it (`auth.credentials.credential_key`: a
token whatever its spelling, an OAuth client by its id), or the client address without one.
Each caller has a token bucket of requests. Each address also has a bucket of authentication
failures, charged by every 401 answer it gets; once that is empty, the address's requests are
refused before any token lookup, except those of a credential whose last answer was not a 401
(a working client is not locked out by a broken neighbour behind the same address).

Checked before routing, so a refused request costs no database work and stores nothing.
Buckets live in each worker process: with N workers a caller gets up to N times the rate. That
is the single-host default; a shared limit (Redis, a gateway) belongs in front of many hosts.
"""

import math
import time
from collections import OrderedDict
from collections.abc import Callable

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_TRACKED_CALLERS = 10_000  # the oldest buckets are forgotten first; a forgotten one starts full

CredentialOf = Callable[[Scope], bytes | None]


class TokenBucket:
    __slots__ = ("proven", "tokens", "updated")

    def __init__(self, capacity: float, now: float) -> None:
        self.tokens = capacity
        self.updated = now
        self.proven = False  # a credential bucket: its last answer was not a 401


class Buckets:
    """Token buckets by key, refilled at `per_second` up to `burst`; the least recently used forgotten first."""

    def __init__(self, *, per_second: float, burst: int) -> None:
        self.per_second = per_second
        self.burst = float(burst)
        self.by_key: OrderedDict[bytes, TokenBucket] = OrderedDict()

    def refilled(self, key: bytes, now: float) -> TokenBucket:
        bucket = self.by_key.get(key)
        if bucket is None:
            bucket = self.by_key[key] = TokenBucket(self.burst, now)
            if len(self.by_key) > MAX_TRACKED_CALLERS:
                self.by_key.popitem(last=False)
        else:
            self.by_key.move_to_end(key)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.per_second)
            bucket.updated = now
        return bucket

    def wait(self, bucket: TokenBucket) -> float | None:
        """None while the bucket holds a token; otherwise the seconds until one is back."""
        return None if bucket.tokens >= 1 else (1 - bucket.tokens) / self.per_second

    def take(self, key: bytes, now: float) -> float | None:
        """Takes a token: None when the request may pass; otherwise the seconds until a token is back."""
        bucket = self.refilled(key, now)
        wait = self.wait(bucket)
        if wait is None:
            bucket.tokens -= 1
        return wait


class RateLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        per_second: float,
        burst: int,
        failures_per_minute: float,
        failure_burst: int,
        credential_of: CredentialOf,
        exempt_paths: frozenset[str] = frozenset(),
    ) -> None:
        """`exempt_paths`: the probes and the metrics scrape, which a busy neighbour must not starve."""
        self.app = app
        self.exempt_paths = exempt_paths
        self.limits_requests = per_second > 0
        # Kept with the request limit off too: a credential's bucket remembers whether it is proven.
        self.callers = Buckets(per_second=per_second, burst=burst)
        self.failures = (
            Buckets(per_second=failures_per_minute / 60, burst=failure_burst) if failures_per_minute > 0 else None
        )
        self.credential_of = credential_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or (not self.limits_requests and self.failures is None)
            or scope["path"] in self.exempt_paths
        ):
            await self.app(scope, receive, send)
            return
        now = time.monotonic()
        credential = self.credential_of(scope)
        address = client_address(scope)
        caller = self.callers.refilled(credential or address, now)
        if self.failures is not None and not caller.proven:
            wait = self.failures.wait(self.failures.refilled(address, now))
            if wait is not None:
                await _too_many_requests(
                    scope, send, retry_after=wait, detail="failed authentications from this address"
                )
                return
        if self.limits_requests:
            wait = self.callers.wait(caller)
            if wait is not None:
                await _too_many_requests(scope, send, retry_after=wait, detail="requests for this token")
                return
            caller.tokens -= 1
        if self.failures is None:
            await self.app(scope, receive, send)
            return
        failures = self.failures

        async def send_counting_failures(message: Message) -> None:
            if message["type"] == "http.response.start":
                refused = message["status"] == 401
                if refused:
                    failures.take(address, time.monotonic())
                if credential is not None:
                    caller.proven = not refused
            await send(message)

        await self.app(scope, receive, send_counting_failures)


def client_address(scope: Scope) -> bytes:
    client = scope.get("client")
    return b"addr:" + (client[0].encode() if client else b"?")


async def _too_many_requests(scope: Scope, send: Send, *, retry_after: float, detail: str) -> None:
    seconds = max(1, math.ceil(retry_after))
    request_id = str(scope.get("state", {}).get("request_id", ""))
    body = orjson.dumps(
        {
            "type": "https://invoicing.dev/problems/rate_limited",
            "title": "Too Many Requests",
            "status": 429,
            "detail": f"Too many {detail}; retry after {seconds} s.",
            "code": "rate_limited",
            "success": "false",
            "request_id": request_id,
        }
    )
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(seconds).encode()),
    ]
    await send({"type": "http.response.start", "status": 429, "headers": headers})
    await send({"type": "http.response.body", "body": body})
