"""RFC 9457 problem+json for the primary API, from domain and validation errors."""

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException

from invoicing.core.errors import DomainError
from invoicing.core.json_input import refused_json
from invoicing.core.request_context import request_id_of
from invoicing.core.responses import ProblemResponse

logger = logging.getLogger("invoicing")

# Validation error types (pydantic custom errors) that name a stable problem code of their own.
FIELD_ERROR_CODES = frozenset({"unknown_currency", "invalid_amount"})
PROBLEM_TYPE_BASE = "https://invoicing.dev/problems/"


def problem(
    request: Request,
    *,
    status: int,
    code: str,
    detail: str,
    title: str | None = None,
    errors: Mapping[str, Sequence[str]] | None = None,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> ProblemResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
        "success": "false",
        "request_id": request_id_of(request),
    }
    if errors:
        body["errors"] = {field: list(messages) for field, messages in errors.items()}
    if extra:
        clashing = set(extra) & set(body)
        assert not clashing, f"problem extras would overwrite {clashing}"
        body.update(extra)
    return ProblemResponse(body, status_code=status, headers=dict(headers or {}))


def field_path(location: Sequence[int | str]) -> str:
    """`("body", "lines", 0, "quantity")` -> `lines[0].quantity`; headers and queries by name."""
    parts = list(location[1:]) if location and location[0] in ("body", "query", "path", "header") else list(location)
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"


def validation_errors(exc: RequestValidationError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for error in exc.errors():
        message = str(error.get("msg", "invalid value"))
        errors.setdefault(field_path(error.get("loc", ())), []).append(message)
    return errors


async def handle_domain_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, DomainError)
    headers = {"WWW-Authenticate": 'Bearer realm="invoicing"'} if exc.status == 401 else None
    return problem(
        request,
        status=exc.status,
        code=exc.error_code,
        title=exc.title,
        detail=exc.detail,
        errors=exc.errors,
        extra=exc.extra,
        headers=headers,
    )


async def handle_validation_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    refused = refused_json(exc)
    if refused is not None:  # well-formed, but past a bound of core.json_input
        errors = {field_path(refused.location): [refused.reason]}
        return problem(
            request,
            status=422,
            code="validation_failed",
            title="Unprocessable content",
            detail="The request has invalid fields.",
            errors=errors,
        )
    if any(error.get("type") == "json_invalid" for error in exc.errors()):
        return problem(request, status=400, code="malformed_json", detail="The request body is not valid JSON.")
    # A field error whose type is one of the service's own codes keeps that code when it is the only kind.
    kinds = {str(error.get("type")) for error in exc.errors()}
    code = kinds.pop() if len(kinds) == 1 and kinds <= FIELD_ERROR_CODES else "validation_failed"
    return problem(
        request,
        status=422,
        code=code,
        title="Unprocessable content",
        detail="The request has invalid fields.",
        errors=validation_errors(exc),
    )


def allowed_methods(request: Request) -> str:
    """Every method some route of this path takes (RFC 9110 section 10.2.1).

    Starlette answers 405 from the first route whose path matches, so its `Allow` names only
    that route's methods, though `POST` and `DELETE` of one path are often separate routes.
    """
    path = request.scope.get("path", "")
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):  # every route, as the OpenAPI document reads them
        path_regex = getattr(route, "path_regex", None)
        if path_regex is not None and route.methods and path_regex.match(path):
            methods |= route.methods
    return ", ".join(sorted(methods))


async def handle_http_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(exc.status_code, "http_error")
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request)
    return problem(request, status=exc.status_code, code=code, detail=str(exc.detail), headers=headers)


async def handle_unexpected_error(request: Request, exc: Exception) -> ProblemResponse:
    # Logged with the request id so an operator can find it; the client never sees internals.
    request_id = request_id_of(request)
    logger.exception("unhandled error", extra={"request_id": request_id})
    # Rendered by Starlette's outermost error middleware, outside RequestContextMiddleware,
    # so the request id header is added here.
    return problem(
        request,
        status=500,
        code="internal_error",
        detail="An unexpected error occurred.",
        headers={"x-request-id": request_id},
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, handle_domain_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)
    app.add_exception_handler(Exception, handle_unexpected_error)


def service_busy(request: Request) -> ProblemResponse:
    """Every pooled connection stayed busy past the pool timeout: the service is overloaded, not
    broken, and the client may retry (nothing was changed: no connection, no transaction)."""
    return problem(
        request,
        status=503,
        code="service_busy",
        detail="The service is busy; retry shortly.",
        headers={"Retry-After": "1"},
    )
