"""The hot routes answered before FastAPI, on PostgreSQL: one invoice, a page of invoices, and
cancel / revert-cancel (issue 14).

A pure ASGI layer, innermost of the middleware (request id, limits, rate limit, logs and metrics
all still see every request). It answers only the plain, successful case of a route, where it is
exactly the full path's answer (the same bytes' meaning, status and headers; tests/hotpath holds
the two to that): a request it does not take (another route, an Idempotency-Key, a query or body
it does not read, an X-Tenant or If-Match it cannot parse) or cannot finish (a bad token, another
tenant, a missing scope, no such invoice, a refused or lost transition) goes to FastAPI
untouched, its body replayed, and the full path answers it, errors in its usual words. Nothing
was written by then: a hot transition's only write is its claim, which either commits whole or
changes nothing.

Where the rules live: the lifecycle table decides (guard and next status, in Python, on the facts
the read returned), the action's own function says what it writes (invoices.actions), the
database renders the representation (invoices.sql_representation).
"""

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson
from starlette.datastructures import State
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from invoicing.auth import secrets
from invoicing.auth.credentials import bearer_token
from invoicing.auth.dependencies import parse_tenant_header
from invoicing.auth.scopes import INVOICES_READ, INVOICES_WRITE
from invoicing.core.clock import utc_now
from invoicing.core.conditional import IfMatch, entity_tag, parse_if_match
from invoicing.core.errors import DomainError
from invoicing.core.ids import new_public_id
from invoicing.core.pagination import decode_cursor
from invoicing.core.problems import service_busy
from invoicing.core.wire_types import MAX_ID
from invoicing.documents.links import HOSTED_PATH, public_url
from invoicing.invoices.actions import HOT_ACTIONS
from invoicing.invoices.lifecycle import LIFECYCLE, Action, next_status, refusal
from invoicing.invoices.transitions import facts_of
from invoicing.operations import metrics
from invoicing.operations.middleware import HOT_ROUTE_KEY
from invoicing.outbox.messages import announce_new_work

logger = logging.getLogger("invoicing.hotpath")

PREFIX = "/api/v1/invoices"
# Matched whole (`fullmatch`): `$` would let a trailing newline through.
_PATH = re.compile(r"/api/v1/invoices(?:/([1-9][0-9]{0,18})(?:/(cancel|revert-cancel))?)?")
_LIMIT = re.compile(r"[1-9][0-9]{0,5}")
ACTIONS = {"cancel": Action.CANCEL, "revert-cancel": Action.REVERT_CANCEL}
_WANTED = {b"authorization", b"x-tenant", b"idempotency-key", b"if-match", b"content-type"}
_NO_ROW = 2**63 - 1  # a page with no cursor starts before every id

READ = "SELECT * FROM invoicing_hot_read($1, $2, $3, $4, $5, $6, $7)"
PAGE = "SELECT * FROM invoicing_hot_page($1, $2, $3, $4, $5, $6, $7)"
CLAIM = "SELECT * FROM invoicing_hot_claim($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"


class Fallback(Exception):
    """This request is the full path's to answer."""


class PoolBusy(Exception):
    """No hot connection freed up within the pool timeout: 503, as the full path answers then."""


@dataclass(frozen=True, slots=True)
class HotPool:
    pool: asyncpg.Pool
    wait_seconds: float  # for a free connection, as the full path waits on its own pool


class HotPathMiddleware:
    def __init__(self, app: ASGIApp, *, state: State) -> None:
        self.app = app
        self.state = state  # the app's: `hot_pool` is set there by the lifespan (None: off)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        pool: asyncpg.Pool | None = getattr(self.state, "hot_pool", None)
        route = _PATH.fullmatch(scope["path"]) if pool is not None and scope["type"] == "http" else None
        if route is None or pool is None:
            await self.app(scope, receive, send)
            return
        hot = HotPool(pool, self.state.settings.db_pool_timeout_seconds)
        body: bytes | None = None  # read only by the routes that take one
        invoice_id, action = route.group(1), route.group(2)
        template = _template(invoice_id, action)
        try:
            headers = _headers(scope)
            method = scope["method"]
            if method == "GET" and action is None:
                if invoice_id is None:
                    answer = await _page(hot, scope, headers, self.state)
                else:
                    answer = await _one(hot, scope, headers, _invoice_id(invoice_id))
            elif method == "POST" and action is not None and invoice_id is not None:
                body = await _whole_body(receive)
                answer = await _transition(hot, scope, headers, _invoice_id(invoice_id), ACTIONS[action], body)
            else:
                raise Fallback
        except asyncpg.PostgresError as error:
            # The statement failed whole (a function replaced under a running server, a deadlock):
            # nothing was written, and the full path can answer.
            logger.warning("hot path passed %s to the full path: %s", template, error)
            _count(template, answered=False)
            await self.app(scope, _replaying(body, receive), send)
            return
        except Fallback:
            _count(template, answered=False)
            await self.app(scope, _replaying(body, receive), send)
            return
        except PoolBusy:
            _count(template, answered=True)
            scope[HOT_ROUTE_KEY] = template
            await service_busy(Request(scope))(scope, receive, send)
            return
        _count(template, answered=True)
        status, payload, extra = answer
        scope[HOT_ROUTE_KEY] = template
        response_headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
            *extra,
        ]
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": payload})


Answer = tuple[int, bytes, list[tuple[bytes, bytes]]]


def _template(invoice_id: str | None, action: str | None) -> str:
    if invoice_id is None:
        return PREFIX
    return PREFIX + "/{invoice_id}" + (f"/{action}" if action else "")


_COUNTERS: dict[tuple[str, bool], Any] = {}


def _count(template: str, *, answered: bool) -> None:
    counter = _COUNTERS.get((template, answered))
    if counter is None:
        labels = (template, "hot_path" if answered else "full_path")
        counter = _COUNTERS[(template, answered)] = metrics.HOT_PATH_REQUESTS.labels(*labels)
    counter.inc()


def _headers(scope: Scope) -> dict[bytes, str]:
    """The headers the hot routes read; a request repeating one of them is the full path's."""
    found: dict[bytes, str] = {}
    for name, value in scope["headers"]:
        if name in _WANTED:
            if name in found:
                raise Fallback
            found[name] = value.decode("latin-1")
    return found


def _invoice_id(text: str) -> int:
    value = int(text)
    if value > MAX_ID:
        raise Fallback
    return value


def _caller(scope: Scope, headers: dict[bytes, str]) -> tuple[str, int]:
    """The token's digest and the tenant of X-Tenant, read as the full path reads them."""
    token = bearer_token(headers.get(b"authorization"))
    if token is None:
        raise Fallback
    try:
        tenant = parse_tenant_header(headers.get(b"x-tenant", ""))
    except DomainError:
        raise Fallback from None
    return secrets.digest(token), tenant


def _hosted_prefix() -> str:
    return public_url(f"{HOSTED_PATH}/")


def _note_caller(scope: Scope, token_public_id: str, tenant_id: int) -> None:
    # What the full path's auth dependency leaves for the request's log line.
    state = scope.setdefault("state", {})
    state["token_id"] = token_public_id
    state["tenant_id"] = tenant_id


def _envelope(data: bytes, *extra: bytes) -> bytes:
    return b'{"success":"true","data":' + data + b"".join(extra) + b"}"


async def _one(hot: HotPool, scope: Scope, headers: dict[bytes, str], invoice_id: int) -> Answer:
    token_hash, tenant_id = _caller(scope, headers)
    row = await _fetch(hot, READ, token_hash, tenant_id, INVOICES_READ, utc_now(), invoice_id, True, _hosted_prefix())
    if row["o_outcome"] != "ok":
        raise Fallback
    _note_caller(scope, row["o_token_public_id"], tenant_id)
    etag = entity_tag(row["version"]).encode()
    return 200, _envelope(row["o_body"]), [(b"etag", etag)]


def _page_query(scope: Scope, settings: Any) -> tuple[int | None, int]:
    """`limit` and `cursor` only, each at most once, in the forms the full path accepts."""
    given: dict[str, str] = {}
    query = scope.get("query_string", b"").decode("latin-1")
    for part in query.split("&") if query else ():
        name, _, value = part.partition("=")
        if name not in ("limit", "cursor") or name in given or "%" in value or "+" in value:
            raise Fallback
        given[name] = value
    limit_text = given.get("limit")
    if limit_text is None:
        limit = int(settings.default_page_size)
    elif _LIMIT.fullmatch(limit_text) and int(limit_text) <= settings.max_page_size:
        limit = int(limit_text)
    else:
        raise Fallback
    try:
        return decode_cursor(given.get("cursor")), limit
    except DomainError:
        raise Fallback from None


async def _page(hot: HotPool, scope: Scope, headers: dict[bytes, str], state: State) -> Answer:
    after_id, limit = _page_query(scope, state.settings)
    token_hash, tenant_id = _caller(scope, headers)
    before = after_id if after_id is not None else _NO_ROW
    row = await _fetch(hot, PAGE, token_hash, tenant_id, INVOICES_READ, utc_now(), before, limit, _hosted_prefix())
    if row["o_outcome"] != "ok":
        raise Fallback
    _note_caller(scope, row["o_token_public_id"], tenant_id)
    has_more = row["o_fetched"] > limit
    meta = {"limit": limit, "next_cursor": str(row["o_last_id"]) if has_more else None, "has_more": has_more}
    return 200, _envelope(row["o_body"], b',"meta":', orjson.dumps(meta)), []


def _transition_body(body: bytes, headers: dict[bytes, str], invoice_id: int) -> None:
    """Exactly `{"id": <the path's id>}` sent as JSON (the seeds repeat the id in the body): anything
    else, no body included, is the full path's, with its 422s."""
    if headers.get(b"content-type", "").split(";")[0].strip().lower() != "application/json":
        raise Fallback
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise Fallback from None
    if not isinstance(parsed, dict) or parsed.keys() != {"id"} or type(parsed["id"]) is not int:
        raise Fallback
    if parsed["id"] != invoice_id:
        raise Fallback


def _if_match(headers: dict[bytes, str]) -> IfMatch | None:
    try:
        return parse_if_match(headers.get(b"if-match"))
    except DomainError:
        raise Fallback from None


async def _transition(
    hot: HotPool, scope: Scope, headers: dict[bytes, str], invoice_id: int, action: Action, body: bytes
) -> Answer:
    if b"idempotency-key" in headers:
        raise Fallback  # its first answer is stored in the change's transaction, which the full path owns
    _transition_body(body, headers, invoice_id)
    if_match = _if_match(headers)
    token_hash, tenant_id = _caller(scope, headers)
    now = utc_now()
    prefix = _hosted_prefix()
    async with _connection(hot) as connection:
        read = await connection.fetchrow(READ, token_hash, tenant_id, INVOICES_WRITE, now, invoice_id, False, prefix)
        if read["o_outcome"] != "ok":
            raise Fallback
        version = read["version"]
        if if_match is not None and not if_match.matches(entity_tag(version)):
            raise Fallback  # 412, in the full path's words
        facts = facts_of(read)
        if refusal(action, facts) is not None:
            raise Fallback  # 409 with the lifecycle's reason
        values = HOT_ACTIONS[action](facts, now)
        claimed = await connection.fetchrow(
            CLAIM,
            tenant_id,
            invoice_id,
            version,
            facts.status.value,
            next_status(action, facts).value,
            orjson.dumps(values).decode(),
            now,
            prefix,
            new_public_id(),
            LIFECYCLE[action].event_type,
            f"token:{read['o_token_public_id']}",
            _request_id(scope),
            None,
            new_public_id(),
        )
    if claimed is None:
        raise Fallback  # the invoice moved on between the read and the claim: the full path decides again
    # Committed: what the full path does after its commit.
    metrics.count_transition(action.value)
    announce_new_work()
    _note_caller(scope, read["o_token_public_id"], tenant_id)
    message = orjson.dumps(LIFECYCLE[action].message)
    payload = _envelope(b'{"message":' + message + b',"invoice":' + claimed["o_body"] + b"}")
    return 200, payload, [(b"etag", entity_tag(claimed["o_version"]).encode())]


def _request_id(scope: Scope) -> str | None:
    request_id = scope.get("state", {}).get("request_id")
    return str(request_id) if request_id else None


@asynccontextmanager
async def _connection(hot: HotPool) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection; PoolBusy when none frees up within DB_POOL_TIMEOUT_SECONDS."""
    try:
        connection = await hot.pool.acquire(timeout=hot.wait_seconds)
    except TimeoutError:
        raise PoolBusy from None
    try:
        yield connection
    finally:
        await hot.pool.release(connection)


async def _fetch(hot: HotPool, query: str, *args: object) -> asyncpg.Record:
    async with _connection(hot) as connection:
        row: asyncpg.Record = await connection.fetchrow(query, *args)
    return row


async def _whole_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise Fallback  # the client went away; the full path deals with it
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replaying(body: bytes | None, receive: Receive) -> Receive:
    """`receive` for the full path, the body already read (if it was) given back first."""
    if body is None:
        return receive
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
