"""The same domain errors, in HighLevel's shapes and messages (SPEC 6, common-schemas.json).

400 `{statusCode, message}`; 401 (and 403) `{statusCode, message, error}`; 422
`{statusCode, message: [...], error}`. Lifecycle refusals, which the primary API answers with
409, are HighLevel's 400s with its own messages where the reference gives one.
"""

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from invoicing.core.dialect import allowed_methods
from invoicing.core.errors import DomainError, Unauthenticated
from invoicing.core.json_input import refused_json
from invoicing.core.problems import field_path
from invoicing.core.request_context import request_id_of
from invoicing.highlevel.responses import HighLevelResponse

logger = logging.getLogger("invoicing.highlevel")

INVALID_TOKEN = "Invalid token: access token is invalid"  # noqa: S105 (a message, not a secret)
NOT_AUTHORIZED_FOR_SCOPE = "The token is not authorized for this scope."

# HighLevel's 400 messages by the service's stable codes. The first three are the reference's own.
REFUSALS: Mapping[str, str] = {
    "invoice_not_found": "Unable to find an invoice with the given invoice id",
    "invoice_not_draft": "Invoice status need to be draft to delete an invoice",
    "invoice_is_draft": "Can not void draft invoice. You can delete draft invoice!",
    "invoice_has_payments": "Can not void an invoice which has recorded payments",
    "invoice_has_credit_notes": "Can not void an invoice which has credit notes",
    "invoice_already_void": "Invoice is already void",
    "invoice_not_editable": "Invoice status need to be draft to update an invoice",
    "invoice_not_sendable": "Can not send a void invoice",
    "invoice_not_payable": "Payment can only be recorded for a sent or partially paid invoice",
}


class VersionRefused(Unauthenticated):
    """A missing or unknown `Version` header: HighLevel answers 401 before looking at the token."""


def body(status: int, message: str | list[str], *, error: bool = True) -> dict[str, Any]:
    content: dict[str, Any] = {"statusCode": status, "message": message}
    if error:
        content["error"] = HTTPStatus(status).phrase
    return content


def respond(status: int, message: str | list[str], *, error: bool = True) -> HighLevelResponse:
    return HighLevelResponse(body(status, message, error=error), status_code=status)


async def handle_domain_error(request: Request, exc: Exception) -> HighLevelResponse:
    assert isinstance(exc, DomainError)
    if exc.error_code in REFUSALS:
        return respond(400, REFUSALS[exc.error_code], error=False)
    if exc.status == 401:
        return respond(401, exc.detail if isinstance(exc, VersionRefused) else INVALID_TOKEN)
    if exc.status == 403 and exc.error_code in ("insufficient_scope", "tenant_forbidden"):
        return respond(401, NOT_AUTHORIZED_FOR_SCOPE)
    if exc.status == 422:
        messages = [message for messages in (exc.errors or {}).values() for message in messages]
        return respond(422, messages or [exc.detail])
    if exc.status == 400:
        return respond(400, exc.detail, error=False)
    # Other lifecycle refusals (a race lost under load) and the rest keep their status.
    return respond(exc.status, exc.detail)


def validation_messages(exc: RequestValidationError) -> list[str]:
    """One line per problem, naming the field HighLevel's way (`items[0].qty`)."""
    messages = []
    for error in exc.errors():
        path = field_path(error.get("loc", ()))
        if error.get("type") == "missing":
            messages.append(f"{path} should not be empty")
        else:
            messages.append(f"{path}: {error.get('msg', 'invalid value')}")
    return messages


async def handle_validation_error(request: Request, exc: Exception) -> HighLevelResponse:
    assert isinstance(exc, RequestValidationError)
    refused = refused_json(exc)
    if refused is not None:  # well-formed, but past a bound of core.json_input
        return respond(422, [f"{field_path(refused.location)}: {refused.reason}"])
    if any(error.get("type") == "json_invalid" for error in exc.errors()):
        return respond(400, "The request body is not valid JSON", error=False)
    return respond(422, validation_messages(exc))


async def handle_http_error(request: Request, exc: Exception) -> HighLevelResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:  # NestJS's words for a route that does not exist
        return respond(404, f"Cannot {request.method} {request.url.path}")
    response = respond(exc.status_code, str(exc.detail))
    response.headers.update(exc.headers or {})
    if exc.status_code == 405:
        response.headers["Allow"] = allowed_methods(request)
    return response


async def handle_integrity_error(request: Request, exc: Exception) -> HighLevelResponse:
    # A uniqueness rule can lose a race (two creates naming one new contact id at once).
    return respond(409, "The change conflicts with existing data.")


async def handle_pool_timeout(request: Request, exc: Exception) -> HighLevelResponse:
    # Overloaded, not broken: nothing was changed and the client may retry (as the primary API says it).
    response = respond(503, "The service is busy; retry shortly.")
    response.headers["Retry-After"] = "1"
    return response


async def handle_unexpected_error(request: Request, exc: Exception) -> HighLevelResponse:
    logger.exception("unhandled error", extra={"request_id": request_id_of(request)})
    response = respond(500, "Internal server error")
    response.headers["x-request-id"] = request_id_of(request)
    return response


def install_highlevel_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, handle_domain_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)
    app.add_exception_handler(IntegrityError, handle_integrity_error)
    app.add_exception_handler(PoolTimeout, handle_pool_timeout)
    app.add_exception_handler(Exception, handle_unexpected_error)
