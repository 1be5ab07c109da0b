"""Domain and validation errors in FlowPayroll's envelope: `errors[]` says why, `message` sums up.

Statuses follow FlowPayroll, not the primary API: a lifecycle refusal (409 there) and invalid
input (422 there) are both rule violations, 400 here. `reasonId` is the service's stable code
(SPEC 3), the same vocabulary as the primary API's `code`. Bodies never echo the ids asked for,
so a probe for another tenant's or another client's invoice reads exactly like a missing one.
"""

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from invoicing.core.dialect import allowed_methods
from invoicing.core.errors import DomainError, Unprocessable
from invoicing.core.json_input import refused_json
from invoicing.core.problems import field_path
from invoicing.core.request_context import request_id_of
from invoicing.flowpayroll.representation import FLOWPAYROLL_STATUS, error_envelope, key_values, message
from invoicing.flowpayroll.responses import FlowPayrollResponse
from invoicing.invoices.lifecycle import LifecycleRefused

logger = logging.getLogger("invoicing.flowpayroll")

# The services' wording names the primary API's headers; these say it in FlowPayroll's terms.
REASON_TEXTS: Mapping[str, tuple[str, str]] = {
    "invoice_is_draft": ("status", "A draft invoice cannot be voided; delete the draft instead."),
    "invoice_has_payments": ("status", "An invoice with recorded payments cannot be voided."),
    "invoice_has_credit_notes": ("status", "An invoice with issued credit notes cannot be voided."),
    "invoice_already_void": ("status", "The invoice is already voided."),
    "invoice_changed_concurrently": ("status", "The invoice changed while the request ran; read it again."),
    "invoice_not_found": ("invoiceId", "No invoice with this id exists for this client."),
    "client_not_found": ("clientId", "No client with this id exists in this organisation."),
    "unauthenticated": ("X-Auth-Token", "The X-Auth-Token header is required."),
    "invalid_token": ("X-Auth-Token", "The token is unknown, expired or revoked."),
    "insufficient_scope": ("X-Auth-Token", "The token lacks the scope this request needs."),
}

SUMMARIES: Mapping[int, tuple[str, str]] = {
    400: ("The request has invalid fields.", "validation_failed"),
    401: ("Authentication failed.", "unauthorized"),
    403: ("The token may not do this.", "forbidden"),
    404: ("The requested resource was not found.", "not_found"),
    405: ("The method is not allowed here.", "method_not_allowed"),
    409: ("The request conflicts with a concurrent one; retry it.", "conflict"),
    500: ("An unexpected error occurred.", "internal_error"),
    503: ("The service is busy; retry shortly.", "service_busy"),
}


def reason(field: str, text: str, reason_id: str, **parameters: str) -> dict[str, Any]:
    return {"field": field, "reasonText": text, "reasonId": reason_id, "reasonParameters": key_values(parameters)}


def refusal_response(
    status: int, reasons: list[dict[str, Any]], said: dict[str, Any] | None = None
) -> FlowPayrollResponse:
    text, text_id = SUMMARIES.get(status, SUMMARIES[400])
    return FlowPayrollResponse(error_envelope(reasons, said=said or message(text, text_id)), status_code=status)


def lifecycle_refusal(exc: LifecycleRefused) -> FlowPayrollResponse:
    field, text = REASON_TEXTS.get(exc.error_code, ("status", exc.detail))
    parameters = {
        "status": FLOWPAYROLL_STATUS.get(exc.current_status, exc.current_status.value),
        "lifecycleStatus": exc.current_status.value,
        "action": exc.action.value,
    }
    said = message("The invoice's current state does not allow this action.", "rule_violation", action=exc.action.value)
    return refusal_response(400, [reason(field, text, exc.error_code, **parameters)], said)


def domain_reasons(exc: DomainError) -> list[dict[str, Any]]:
    if exc.errors:
        return [reason(field, text, exc.error_code) for field, texts in exc.errors.items() for text in texts]
    field, text = REASON_TEXTS.get(exc.error_code, ("", exc.detail))
    return [reason(field, text, exc.error_code)]


async def handle_domain_error(request: Request, exc: Exception) -> FlowPayrollResponse:
    assert isinstance(exc, DomainError)
    if isinstance(exc, LifecycleRefused):
        return lifecycle_refusal(exc)
    status = 400 if exc.status == 400 or isinstance(exc, Unprocessable) else exc.status
    return refusal_response(status, domain_reasons(exc))


async def handle_validation_error(request: Request, exc: Exception) -> FlowPayrollResponse:
    assert isinstance(exc, RequestValidationError)
    refused = refused_json(exc)
    if refused is not None:  # well-formed, but past a bound of core.json_input
        return refusal_response(400, [reason(field_path(refused.location), refused.reason, "invalid_value")])
    reasons = [
        reason(field_path(error.get("loc", ())), str(error.get("msg", "invalid value")), "invalid_value")
        for error in exc.errors()
    ]
    return refusal_response(400, reasons)


async def handle_http_error(request: Request, exc: Exception) -> FlowPayrollResponse:
    assert isinstance(exc, StarletteHTTPException)
    reason_id = {404: "endpoint_not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    response = refusal_response(exc.status_code, [reason("path", str(exc.detail), reason_id)])
    response.headers.update(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        response.headers["Allow"] = allowed_methods(request)
    return response


async def handle_integrity_error(request: Request, exc: Exception) -> FlowPayrollResponse:
    # A uniqueness rule lost to a concurrent request: a conflict to retry, not a 500.
    return refusal_response(409, [reason("", "The change conflicts with existing data.", "conflict")])


async def handle_pool_timeout(request: Request, exc: Exception) -> FlowPayrollResponse:
    # No free database connection in time: overloaded, not broken; nothing was changed, retry.
    response = refusal_response(503, [])
    response.headers["Retry-After"] = "1"
    return response


async def handle_unexpected_error(request: Request, exc: Exception) -> FlowPayrollResponse:
    request_id = request_id_of(request)
    logger.exception("unhandled error", extra={"request_id": request_id})
    # Mounted inside the parent's request-id middleware, so the response gets the id header there.
    return refusal_response(500, [])


def install_flowpayroll_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, handle_domain_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)
    app.add_exception_handler(IntegrityError, handle_integrity_error)
    app.add_exception_handler(PoolTimeout, handle_pool_timeout)
    app.add_exception_handler(Exception, handle_unexpected_error)
