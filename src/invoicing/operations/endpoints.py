"""`/healthz`, `/readyz` and `/metrics`: for the process manager and Prometheus, not for API
clients. Outside the OpenAPI document, without tenant or API token, and not rate limited."""

import hmac
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from invoicing.core.errors import Unauthenticated
from invoicing.operations import metrics
from invoicing.operations.readiness import failing_checks

router = APIRouter(include_in_schema=False)
PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Alive: the process answers. Touches nothing, so a slow database never gets it restarted."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """200 when every readiness check passes; 503 naming each failing check and why."""
    state = request.app.state
    failing = await failing_checks(state, seconds_each=state.settings.readiness_timeout_seconds)
    checks: dict[str, Any] = {name: {"ok": name not in failing} for name in state.readiness_checks}
    for name, reason in failing.items():
        checks[name]["reason"] = reason
    if not failing:
        return JSONResponse({"status": "ready", "checks": checks})
    return JSONResponse(
        {
            "status": "not_ready",
            "detail": "; ".join(f"{name}: {reason}" for name, reason in failing.items()),
            "checks": checks,
        },
        status_code=503,
        headers={"Cache-Control": "no-store"},
    )


@router.get("/metrics")
async def prometheus_metrics(request: Request) -> Response:
    state = request.app.state
    token = state.settings.metrics_token
    if token is not None and not _bearer_matches(request, token.get_secret_value()):
        raise Unauthenticated("A Bearer token equal to METRICS_TOKEN is required.", code="metrics_token_required")
    await metrics.run_samplers(state)
    return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)


def _bearer_matches(request: Request, expected: str) -> bool:
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), expected.encode())
