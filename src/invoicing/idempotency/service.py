"""Idempotency keys (Stripe's semantics; IETF draft-ietf-httpapi-idempotency-key-header).

A keyed unsafe request either replays the stored first response of its key, or runs and stores
its own response in the same transaction as its change. Keys belong to (tenant, caller).
Only 2xx responses are stored: a refused or invalid request changed nothing, so running it
again is safe, and it must run again to see the state as it is then.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import Response

from invoicing.core.errors import BadRequest, Conflict, Unprocessable
from invoicing.idempotency.repository import IdempotencyRepository

KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# Printable ASCII; HTTP strips surrounding spaces from header values, so none can arrive there.
KEY_PATTERN = r"^[!-~]([ -~]*[!-~])?$"
STORED_HEADERS = ("content-type", "etag", "location")
# Expired keys are deleted by `invoicing purge-idempotency-keys`, and a little on the way.
PURGE_ONE_IN = 64
PURGE_BATCH = 500


class InvalidIdempotencyKey(BadRequest):
    code = "invalid_idempotency_key"


class IdempotencyKeyInFlight(Conflict):
    code = "idempotency_key_in_flight"


class IdempotencyKeyReused(Unprocessable):
    code = "idempotency_key_reused"


class IdempotentReplay(Exception):
    """Carries the stored response out of the dependency; the route returns it as is."""

    def __init__(self, response: Response) -> None:
        super().__init__("replay")
        self.response = response


@dataclass(frozen=True, slots=True)
class PendingKey:
    tenant_id: int
    principal: str
    key: str
    fingerprint: str


def validate_key(value: str) -> str:
    if not 1 <= len(value) <= MAX_KEY_LENGTH or not all(" " <= char <= "~" for char in value):
        raise InvalidIdempotencyKey(
            f"{KEY_HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters.",
            errors={KEY_HEADER: ["1 to 255 printable ASCII characters"]},
        )
    return value


def fingerprint(method: str, path: str, query: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


async def begin(
    connection: AsyncConnection, *, tenant_id: int, principal: str, key: str, fingerprint: str, now: datetime
) -> PendingKey:
    """Raises IdempotentReplay (seen before), IdempotencyKeyInFlight, or IdempotencyKeyReused
    (same key, other request); otherwise the key to store with this request's response."""
    repository = IdempotencyRepository(connection, tenant_id)
    # A finished request replays at once; only a key with no stored response can be in flight.
    await _replay_if_stored(repository, principal, key, fingerprint, now)
    if not await repository.try_claim(principal, key):
        raise IdempotencyKeyInFlight("A request with this Idempotency-Key is still being processed; retry later.")
    # The first request may have committed between the look-up and the claim.
    await _replay_if_stored(repository, principal, key, fingerprint, now)
    if secrets.randbelow(PURGE_ONE_IN) == 0:
        await repository.purge_expired(now, limit=PURGE_BATCH)
    return PendingKey(tenant_id=tenant_id, principal=principal, key=key, fingerprint=fingerprint)


async def _replay_if_stored(
    repository: IdempotencyRepository, principal: str, key: str, fingerprint: str, now: datetime
) -> None:
    """Raises IdempotentReplay or IdempotencyKeyReused for a stored, unexpired key."""
    stored = await repository.find(principal, key)
    if stored is None:
        return
    if stored["expires_at"] <= now:
        await repository.delete_key(stored["id"])
        return
    if stored["fingerprint"] != fingerprint:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was used for a different request (method, path or body).",
            errors={KEY_HEADER: ["already used for a different request"]},
        )
    headers = dict(orjson.loads(stored["response_headers"]))
    headers[REPLAYED_HEADER] = "true"
    raise IdempotentReplay(Response(stored["response_body"], stored["response_status"], headers=headers))


async def remember(
    connection: AsyncConnection, pending: PendingKey, response: Response, *, now: datetime, ttl: timedelta
) -> None:
    """Stores a 2xx response for replay, in the caller's (the change's) transaction."""
    if not 200 <= response.status_code < 300:
        return
    headers = {name: value for name, value in response.headers.items() if name in STORED_HEADERS}
    await IdempotencyRepository(connection, pending.tenant_id).insert(
        principal=pending.principal,
        key=pending.key,
        fingerprint=pending.fingerprint,
        response_status=response.status_code,
        response_headers=orjson.dumps(headers).decode(),
        response_body=bytes(response.body),
        created_at=now,
        expires_at=now + ttl,
    )


async def purge_expired(connection: AsyncConnection, *, tenant_id: int, now: datetime) -> int:
    repository = IdempotencyRepository(connection, tenant_id)
    purged = 0
    while batch := await repository.purge_expired(now, limit=PURGE_BATCH):
        purged += batch
    return purged
