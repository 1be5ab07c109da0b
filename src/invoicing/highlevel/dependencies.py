"""HighLevel's auth: `Version` header first, then the bearer token, for the token's own tenant.

A token of this service for one tenant plays the part of a HighLevel private integration
token: it acts for that tenant only, whose public_id is the `altId` every request names
(checked by the endpoints with `lookups.location_of`, since `altId` may sit in the body).
Other headers the SDK sends (`GHL-SDK-Version`, ...) are ignored.
"""

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials

from invoicing.auth.dependencies import IdempotencyKeyHeader, bearer_scheme, open_tenant_context
from invoicing.auth.scopes import INVOICES_READ, INVOICES_WRITE
from invoicing.core.context import TenantContext
from invoicing.highlevel.errors import VersionRefused
from invoicing.highlevel.schemas import ACCEPTED_VERSIONS

VersionHeader = Annotated[
    str | None,
    # Required and listed as an enum by the document (highlevel.openapi); checked by check_version,
    # so that a missing or unknown one answers HighLevel's 401 rather than a 422.
    Header(alias="Version", description=f"API version: one of {', '.join(sorted(ACCEPTED_VERSIONS))}."),
]


def check_version(version: str | None) -> None:
    if version is None:
        raise VersionRefused("version header was not found.", code="version_missing")
    # Exactly one of the values the document lists (HTTP servers strip the field's outer blanks).
    if version not in ACCEPTED_VERSIONS:
        raise VersionRefused("version header is invalid", code="version_invalid")


async def _open(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None,
    *,
    scope: str,
    write: bool,
    idempotency_key: str | None = None,
) -> TenantContext:
    return await open_tenant_context(
        request,
        token=credentials.credentials.strip() if credentials else None,
        scope=scope,
        write=write,
        tenant_header=None,  # HighLevel has no tenant header: the token's own tenant
        idempotency_key=idempotency_key,
        if_match=None,
    )


async def open_read_context(
    request: Request,
    version: VersionHeader = None,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)] = None,
) -> TenantContext:
    check_version(version)
    return await _open(request, credentials, scope=INVOICES_READ, write=False)


async def open_write_context(
    request: Request,
    version: VersionHeader = None,
    idempotency_key: IdempotencyKeyHeader = None,  # reads take none: a safe request is never replayed
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)] = None,
) -> TenantContext:
    check_version(version)
    return await _open(request, credentials, scope=INVOICES_WRITE, write=True, idempotency_key=idempotency_key)


ReadContext = Annotated[TenantContext, Depends(open_read_context)]
WriteContext = Annotated[TenantContext, Depends(open_write_context)]
