from fastapi import Request
from starlette.responses import Response

from invoicing.core.pagination import cut_page, decode_cursor
from invoicing.core.paging_params import Cursor, Limit, page_size
from invoicing.core.responses import JsonResponse, envelope
from invoicing.core.routing import api_router
from invoicing.core.schemas import AUTHENTICATED, UNSAFE, Envelope, PageEnvelope, PositiveId, problem_responses
from invoicing.webhooks import service
from invoicing.webhooks.dependencies import WebhooksReadContext, WebhooksSecretContext, WebhooksWriteContext
from invoicing.webhooks.representation import (
    attempt_resource,
    endpoint_resource,
    endpoint_response,
    event_type_resources,
)
from invoicing.webhooks.schemas import (
    DeliveryAttemptResource,
    EventTypeResource,
    ReplayRequest,
    ReplayResult,
    WebhookEndpointCreate,
    WebhookEndpointResource,
    WebhookEndpointUpdate,
    WebhookEndpointWithSecretResource,
)

router = api_router(tags=["webhooks"])
ENDPOINTS = "/webhook-endpoints"
ONE = ENDPOINTS + "/{webhook_endpoint_id}"

# Create and rotate-secret take no Idempotency-Key (webhooks/dependencies.py), so no 409 for one.
ISSUES_SECRET = (*AUTHENTICATED, 400)
CHANGES_ENDPOINT = (*UNSAFE, 404, 412)


def _allow_private(request: Request) -> bool:
    return bool(request.app.state.settings.webhook_allow_private_networks)


@router.post(
    ENDPOINTS,
    status_code=201,
    summary="Create a webhook endpoint; its signing secret is in this answer only (scope tenant:manage)",
    response_model=Envelope[WebhookEndpointWithSecretResource],
    responses=problem_responses(*ISSUES_SECRET),
)
async def create_webhook_endpoint(
    request: Request, body: WebhookEndpointCreate, context: WebhooksSecretContext
) -> JsonResponse:
    created = await service.create_endpoint(context, data=body, allow_private=_allow_private(request))
    return endpoint_response(created.row, secret=created.secret, status_code=201)


@router.get(
    ENDPOINTS,
    summary="List the tenant's webhook endpoints, newest first (scope tenant:manage)",
    response_model=PageEnvelope[WebhookEndpointResource],
    responses=problem_responses(*AUTHENTICATED),
)
async def list_webhook_endpoints(
    request: Request, context: WebhooksReadContext, cursor: Cursor = None, limit: Limit = None
) -> JsonResponse:
    size = page_size(request, limit)
    rows = await service.list_endpoints(
        context.connection, tenant_id=context.tenant_id, after_id=decode_cursor(cursor), limit=size
    )
    shown, meta = cut_page(rows, size, lambda row: int(row["id"]))
    return JsonResponse(envelope([endpoint_resource(row) for row in shown], meta=meta))


@router.get(
    ONE,
    summary="Get a webhook endpoint (scope tenant:manage)",
    response_model=Envelope[WebhookEndpointResource],
    responses=problem_responses(*AUTHENTICATED, 404),
)
async def get_webhook_endpoint(webhook_endpoint_id: PositiveId, context: WebhooksReadContext) -> JsonResponse:
    row = await service.get_endpoint(context.connection, tenant_id=context.tenant_id, endpoint_id=webhook_endpoint_id)
    return endpoint_response(row)


@router.patch(
    ONE,
    summary="Change a webhook endpoint's URL, description, event types or enabled flag (scope tenant:manage)",
    response_model=Envelope[WebhookEndpointResource],
    responses=problem_responses(*CHANGES_ENDPOINT),
)
async def update_webhook_endpoint(
    request: Request, webhook_endpoint_id: PositiveId, body: WebhookEndpointUpdate, context: WebhooksWriteContext
) -> JsonResponse:
    row = await service.update_endpoint(
        context, endpoint_id=webhook_endpoint_id, data=body, allow_private=_allow_private(request)
    )
    return endpoint_response(row)


@router.delete(
    ONE,
    status_code=204,
    summary="Delete a webhook endpoint, its deliveries and their attempts (scope tenant:manage)",
    response_class=Response,
    responses=problem_responses(*CHANGES_ENDPOINT),
)
async def delete_webhook_endpoint(webhook_endpoint_id: PositiveId, context: WebhooksWriteContext) -> Response:
    await service.delete_endpoint(context, endpoint_id=webhook_endpoint_id)
    return Response(status_code=204)


@router.post(
    ONE + "/rotate-secret",
    summary="Give a webhook endpoint a new secret; the old one signs beside it for 24 h (scope tenant:manage)",
    response_model=Envelope[WebhookEndpointWithSecretResource],
    responses=problem_responses(*ISSUES_SECRET, 404),
)
async def rotate_webhook_secret(webhook_endpoint_id: PositiveId, context: WebhooksSecretContext) -> JsonResponse:
    rotated = await service.rotate_secret(context, endpoint_id=webhook_endpoint_id)
    return endpoint_response(rotated.row, secret=rotated.secret)


@router.get(
    ONE + "/deliveries",
    summary="The endpoint's delivery attempts, newest first (scope tenant:manage)",
    response_model=PageEnvelope[DeliveryAttemptResource],
    responses=problem_responses(*AUTHENTICATED, 404),
)
async def list_webhook_deliveries(
    request: Request,
    webhook_endpoint_id: PositiveId,
    context: WebhooksReadContext,
    cursor: Cursor = None,
    limit: Limit = None,
) -> JsonResponse:
    size = page_size(request, limit)
    rows = await service.list_deliveries(
        context.connection,
        tenant_id=context.tenant_id,
        endpoint_id=webhook_endpoint_id,
        after_id=decode_cursor(cursor),
        limit=size,
    )
    shown, meta = cut_page(rows, size, lambda row: int(row["id"]))
    return JsonResponse(envelope([attempt_resource(row) for row in shown], meta=meta))


@router.post(
    ONE + "/replay",
    status_code=202,
    summary="Deliver one message, or every message since a time, to the endpoint again (scope tenant:manage)",
    response_model=Envelope[ReplayResult],
    responses=problem_responses(*CHANGES_ENDPOINT),
)
async def replay_webhook_messages(
    webhook_endpoint_id: PositiveId, body: ReplayRequest, context: WebhooksWriteContext
) -> JsonResponse:
    queued = await service.replay(context, endpoint_id=webhook_endpoint_id, request=body)
    return JsonResponse(envelope({"queued": queued}), status_code=202)


@router.get(
    "/webhook-event-types",
    summary="Every event type an endpoint may receive, with what it means (scope tenant:manage)",
    response_model=Envelope[list[EventTypeResource]],
    responses=problem_responses(*AUTHENTICATED),
)
async def list_webhook_event_types(context: WebhooksReadContext) -> JsonResponse:
    return JsonResponse(envelope(event_type_resources()))
