"""Metrics and the request log line, as one pure ASGI middleware (outermost, so it sees every
answer, the limits' 413, 431 and 429 included, and times the whole response)."""

import logging
import time

from fastapi.routing import APIRoute
from prometheus_client.metrics import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from invoicing.operations import metrics

logger = logging.getLogger("invoicing.requests")

# A route template, never the raw path: paths carry ids, hosted-link tokens and signed download
# tokens, which would be secrets in the log and unbounded label values in the metrics.
UNMATCHED = "unmatched"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Probes and scrapes arrive every few seconds: logged at DEBUG, counted like any request.
HOT_ROUTE_KEY = "invoicing.route"  # set by invoicing.hotpath.router for the requests it answers
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})


def route_template(scope: Scope, root_path: str) -> str:
    """The matched route's template with the prefix of any mount it sits under (the dialects)."""
    answered_by_hot_path = scope.get(HOT_ROUTE_KEY)
    if answered_by_hot_path is not None:
        return str(answered_by_hot_path)
    route = scope.get("route")
    if not isinstance(route, APIRoute):
        return UNMATCHED
    # FastAPI (0.16x) includes routers lazily: `scope["route"]` is the route as its router
    # declared it (no include prefix); the included copy it ran, prefix and all, is kept here.
    # tests/operations/test_metrics.py holds this to the full template.
    included = scope.get("fastapi", {}).get("effective_route_context")
    template = getattr(included, "path_format", None) if getattr(included, "original_route", None) is route else None
    mounted_under: str = scope.get("root_path", "")[len(root_path) :]
    return mounted_under + (template or route.path_format)


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # Label children by their values: `labels()` takes a lock and builds a key on each call.
        self._requests: dict[tuple[str, str, int], Counter] = {}
        self._durations: dict[tuple[str, str], Histogram] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        root_path = scope.get("root_path", "")
        status = 500  # what the client sees if the app fails before answering

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            self._finish(scope, root_path, status, time.perf_counter() - started)

    def _finish(self, scope: Scope, root_path: str, status: int, seconds: float) -> None:
        route = route_template(scope, root_path)
        method = scope["method"] if scope["method"] in KNOWN_METHODS else "OTHER"
        counter = self._requests.get((route, method, status))
        if counter is None:
            counter = self._requests[(route, method, status)] = metrics.HTTP_REQUESTS.labels(route, method, str(status))
        counter.inc()
        histogram = self._durations.get((route, method))
        if histogram is None:
            histogram = self._durations[(route, method)] = metrics.HTTP_DURATION.labels(route, method)
        histogram.observe(seconds)
        level = logging.DEBUG if route in QUIET_ROUTES else logging.INFO
        if logger.isEnabledFor(level):
            _log(level, scope, route, method, status, seconds)


def _log(level: int, scope: Scope, route: str, method: str, status: int, seconds: float) -> None:
    state = scope.get("state", {})
    request_id, tenant_id, token_id = state.get("request_id"), state.get("tenant_id"), state.get("token_id")
    duration_ms = round(seconds * 1000, 2)
    logger.log(
        level,
        "%s %s %s %.2fms request_id=%s tenant=%s token=%s",
        method,
        route,
        status,
        duration_ms,
        request_id or "-",
        tenant_id or "-",
        token_id or "-",
        extra={
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": duration_ms,
            "request_id": request_id,
            "tenant_id": tenant_id,
            "token_id": token_id,
        },
    )
