"""`POST /api/oauth/token`: the OAuth 2.0 client credentials grant (RFC 6749 section 4.4).

Errors follow RFC 6749 section 5.2 (`{"error", "error_description"}`), not problem+json: OAuth
client libraries parse that shape.
"""

from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request

from invoicing.auth.credentials import basic_credentials
from invoicing.auth.scopes import SCOPE_PATTERN, parse_requested_scope
from invoicing.auth.service import InvalidClient, InvalidScope, exchange_client_credentials
from invoicing.core.db import transaction
from invoicing.core.responses import JsonResponse

router = APIRouter(tags=["auth"])

OAUTH_PARAMETERS = ("grant_type", "client_id", "client_secret", "scope")
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

_FORM_SCHEMA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["grant_type"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["client_credentials"]},
                        "client_id": {"type": "string"},
                        "client_secret": {"type": "string"},
                        "scope": {
                            "type": "string",
                            "pattern": SCOPE_PATTERN,
                            "example": "invoices:read invoices:write",
                        },
                    },
                    # RFC 6749 section 3.2: parameters the server does not know are ignored.
                    "additionalProperties": {"type": "string"},
                }
            }
        },
    }
}

_TOKEN_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "An access token.",
        "content": {
            "application/json": {
                "example": {
                    "access_token": "inv_…",
                    "token_type": "Bearer",
                    "expires_in": 3600,
                    "scope": "invoices:read invoices:write",
                }
            }
        },
    },
    400: {"description": "RFC 6749 error: invalid_request, unsupported_grant_type, invalid_scope."},
    401: {"description": "RFC 6749 error: invalid_client."},
}


def oauth_error(status: int, error: str, description: str, *, basic: bool = False) -> JsonResponse:
    headers = dict(NO_STORE)
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="invoicing"' if basic else 'Bearer realm="invoicing"'
    return JsonResponse({"error": error, "error_description": description}, status_code=status, headers=headers)


@router.post(
    "/oauth/token",
    summary="Get an access token (client credentials grant)",
    openapi_extra=_FORM_SCHEMA,
    responses=_TOKEN_RESPONSE,
)
async def issue_token(request: Request) -> JsonResponse:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return oauth_error(400, "invalid_request", "Send the form as application/x-www-form-urlencoded.")
    try:
        pairs = parse_qsl((await request.body()).decode(), keep_blank_values=True)
    except UnicodeDecodeError:
        return oauth_error(400, "invalid_request", "The form is not valid UTF-8.")
    form = dict(pairs)
    # RFC 6749 section 3.2: the grant's parameters must not repeat; unknown ones are ignored.
    if any(sum(name == known for name, _ in pairs) > 1 for known in OAUTH_PARAMETERS):
        return oauth_error(400, "invalid_request", "A parameter is repeated.")
    if "grant_type" not in form:
        return oauth_error(400, "invalid_request", "grant_type is required.")
    if form["grant_type"] != "client_credentials":
        return oauth_error(400, "unsupported_grant_type", "Only grant_type=client_credentials is supported.")
    basic = basic_credentials(request.headers.get("authorization"))
    if basic is not None and ("client_id" in form or "client_secret" in form):
        return oauth_error(400, "invalid_request", "Authenticate the client one way only.")
    client_id, client_secret = basic or (form.get("client_id", ""), form.get("client_secret", ""))
    if not client_id or not client_secret or "\x00" in client_id + client_secret:
        return oauth_error(401, "invalid_client", "Client credentials are required.", basic=basic is not None)
    try:
        requested = parse_requested_scope(form.get("scope"))
    except ValueError as error:
        return oauth_error(400, "invalid_scope", str(error))
    try:
        async with transaction(request.app.state.engine, write=True) as connection:
            issued = await exchange_client_credentials(
                connection,
                client_id=client_id,
                client_secret=client_secret,
                requested_scopes=requested,
                ttl_seconds=request.app.state.settings.access_token_ttl_seconds,
            )
    except InvalidClient:
        return oauth_error(401, "invalid_client", "Client authentication failed.", basic=basic is not None)
    except InvalidScope as error:
        return oauth_error(400, "invalid_scope", error.detail)
    return JsonResponse(
        {
            "access_token": issued.token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
            "scope": " ".join(issued.scopes),
        },
        headers=NO_STORE,
    )
