from fastapi import Request
from starlette.responses import Response

from invoicing.auth.dependencies import ReadContext
from invoicing.core.context import TenantContext
from invoicing.core.responses import JsonResponse, envelope
from invoicing.core.routing import api_router
from invoicing.core.schemas import AUTHENTICATED, UNSAFE, Envelope, problem_responses
from invoicing.tenants import profile
from invoicing.tenants.dependencies import TenantManageContext
from invoicing.tenants.logo import MAX_LOGO_BYTES, MEDIA_TYPES, checked_logo
from invoicing.tenants.representation import tenant_profile_resource
from invoicing.tenants.schemas import TenantProfilePatch, TenantProfileResource

router = api_router(prefix="/tenant", tags=["tenant"])
LOGO_PATH = "/api/v1/tenant/logo"

LOGO_BODY = {
    "requestBody": {
        "required": True,
        "description": f"The image itself: PNG, JPEG or SVG, at most {MAX_LOGO_BYTES} bytes (1 MiB).",
        "content": {media_type: {"schema": {"type": "string", "format": "binary"}} for media_type in MEDIA_TYPES},
    }
}
# An SVG is served as an image, never as a document that could run or load anything.
LOGO_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    "X-Content-Type-Options": "nosniff",
}


async def _profile_response(context: TenantContext) -> JsonResponse:
    tenant = await profile.get_tenant_row(context.connection, context.tenant_id)
    logo = await profile.logo_description(context.connection, tenant)
    return JsonResponse(envelope(tenant_profile_resource(tenant, logo)))


@router.get(
    "",
    summary="Get the tenant's profile: the seller's details on its invoices",
    response_model=Envelope[TenantProfileResource],
    responses=problem_responses(*AUTHENTICATED, 404),
)
async def get_tenant_profile(context: ReadContext) -> JsonResponse:
    return await _profile_response(context)


@router.patch(
    "",
    summary="Change the tenant's profile (JSON merge patch; scope tenant:manage)",
    response_model=Envelope[TenantProfileResource],
    responses=problem_responses(*UNSAFE, 404),
)
async def update_tenant_profile(body: TenantProfilePatch, context: TenantManageContext) -> JsonResponse:
    await profile.update_profile(context.connection, tenant_id=context.tenant_id, patch=body)
    return await _profile_response(context)


@router.put(
    "/logo",
    summary="Upload the tenant's logo: the image as the body (PNG, JPEG or SVG, 1 MiB; scope tenant:manage)",
    response_model=Envelope[TenantProfileResource],
    responses=problem_responses(*UNSAFE, 404),
    openapi_extra=LOGO_BODY,
)
async def put_tenant_logo(request: Request, context: TenantManageContext) -> JsonResponse:
    logo = checked_logo(await request.body(), request.headers.get("content-type"))
    await profile.put_logo(context.connection, tenant_id=context.tenant_id, logo=logo)
    return await _profile_response(context)


@router.get(
    "/logo",
    summary="Get the tenant's logo image",
    response_class=Response,
    responses={
        200: {
            "content": {media_type: {"schema": {"type": "string", "format": "binary"}} for media_type in MEDIA_TYPES}
        },
        **problem_responses(*AUTHENTICATED, 404),
    },
)
async def get_tenant_logo(context: ReadContext) -> Response:
    media_type, data = await profile.current_logo(context.connection, tenant_id=context.tenant_id)
    return Response(data, media_type=media_type, headers=LOGO_HEADERS)


@router.delete(
    "/logo",
    summary="Remove the tenant's logo; issued invoices keep theirs (scope tenant:manage)",
    response_model=Envelope[TenantProfileResource],
    responses=problem_responses(*UNSAFE, 404),
)
async def delete_tenant_logo(context: TenantManageContext) -> JsonResponse:
    await profile.delete_logo(context.connection, tenant_id=context.tenant_id)
    return await _profile_response(context)
