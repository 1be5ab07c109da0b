"""One signed webhook POST, per the Standard Webhooks specification.

Headers `webhook-id` (the message's stable id: the same on every retry, so a receiver can
deduplicate), `webhook-timestamp` (seconds, when this attempt was made) and `webhook-signature`
(`v1,<base64 HMAC-SHA256 of id.timestamp.body>`, one per valid secret, space-separated), signed
by the `standardwebhooks` package, so its verifier and Svix's accept them unchanged.

The connection goes to the address the target check resolved and approved (the URL's host in
the Host header and the TLS SNI, so certificates are still checked against the host): DNS
cannot point the request somewhere else between the check and the connect. Redirects are not
followed; the whole attempt has 10 seconds.
"""

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from standardwebhooks import Webhook

from invoicing.webhooks.targets import Target

TIMEOUT_SECONDS = 10.0
EXCERPT_BYTES = 1024
USER_AGENT = "invoicing-webhooks/1"


@dataclass(frozen=True, slots=True)
class Posted:
    status_code: int | None  # None: no answer (connection refused, timeout)
    duration_ms: int
    excerpt: str | None
    retry_after: str | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def pinned_url(target: Target) -> str:
    """The target's URL with its approved address in place of its host name."""
    address = f"[{target.address}]" if ":" in target.address else target.address
    return f"{target.scheme}://{address}:{target.port}{target.path}"


def signature_header(webhook_id: str, sent_at: datetime, body: str, secrets: Sequence[str]) -> str:
    return " ".join(Webhook(secret).sign(webhook_id, sent_at, body) for secret in secrets)


async def post_signed(
    client: httpx.AsyncClient,
    target: Target,
    *,
    webhook_id: str,
    body: str,
    secrets: Sequence[str],
    seconds: float = TIMEOUT_SECONDS,
) -> Posted:
    """POSTs `body` to `target` signed with each of `secrets`; never raises for the receiver's
    faults (they come back as a Posted with an error)."""
    sent_at = datetime.fromtimestamp(int(time.time()), UTC)
    headers = {
        "host": target.host_header,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signature_header(webhook_id, sent_at, body, secrets),
    }
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    started = time.perf_counter()
    try:
        async with asyncio.timeout(seconds):
            request = client.build_request(
                "POST", pinned_url(target), content=body.encode(), headers=headers, extensions=extensions
            )
            response = await client.send(request, stream=True, follow_redirects=False)
            try:
                excerpt = await _excerpt(response)
            finally:
                await response.aclose()
    except TimeoutError:
        return Posted(None, _since(started), None, None, f"no answer within {seconds:g} s")
    except httpx.HTTPError as error:
        return Posted(None, _since(started), None, None, f"{type(error).__name__}: {error}"[:500])
    return Posted(response.status_code, _since(started), excerpt, response.headers.get("retry-after"), None)


async def _excerpt(response: httpx.Response) -> str | None:
    read = bytearray()
    async for chunk in response.aiter_raw():
        read += chunk
        if len(read) >= EXCERPT_BYTES:
            break
    return bytes(read[:EXCERPT_BYTES]).decode("utf-8", errors="replace") if read else None


def _since(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
