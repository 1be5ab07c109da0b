from invoicing.auth.endpoints import NO_STORE
from invoicing.clients import service
from invoicing.clients.dependencies import ClientsReadContext, ClientsWriteContext
from invoicing.clients.representation import client_resource, client_with_secret
from invoicing.clients.schemas import ClientCreate, ClientResource, ClientWithSecretResource
from invoicing.core.responses import JsonResponse, envelope
from invoicing.core.routing import api_router
from invoicing.core.schemas import AUTHENTICATED, Envelope, PositiveId, problem_responses

router = api_router(prefix="/clients", tags=["clients"])

# No Idempotency-Key here (clients/dependencies.py), so no 400/409 for one.
WRITES = (*AUTHENTICATED, 400)


@router.get(
    "",
    summary="List the tenant's OAuth clients (scope clients:manage)",
    response_model=Envelope[list[ClientResource]],
    responses=problem_responses(*AUTHENTICATED),
)
async def list_clients(context: ClientsReadContext) -> JsonResponse:
    rows = await service.list_clients(context.connection, tenant_id=context.tenant_id)
    return JsonResponse(envelope([client_resource(row) for row in rows]))


@router.post(
    "",
    status_code=201,
    summary="Create an OAuth client; its secret is in this answer only (scope clients:manage)",
    response_model=Envelope[ClientWithSecretResource],
    responses=problem_responses(*WRITES),
)
async def create_client(body: ClientCreate, context: ClientsWriteContext) -> JsonResponse:
    created = await service.create_client(
        context.connection, tenant_id=context.tenant_id, name=body.name, scopes=tuple(dict.fromkeys(body.scopes))
    )
    return JsonResponse(
        envelope(client_with_secret(created.row, created.client_secret)), status_code=201, headers=NO_STORE
    )


@router.get(
    "/{api_client_id}",
    summary="Get an OAuth client (scope clients:manage)",
    response_model=Envelope[ClientResource],
    responses=problem_responses(*AUTHENTICATED, 404),
)
async def get_client(api_client_id: PositiveId, context: ClientsReadContext) -> JsonResponse:
    row = await service.get_client(context.connection, tenant_id=context.tenant_id, client_pk=api_client_id)
    return JsonResponse(envelope(client_resource(row)))


@router.post(
    "/{api_client_id}/revoke",
    summary="Revoke an OAuth client and every token it minted; idempotent (scope clients:manage)",
    response_model=Envelope[ClientResource],
    responses=problem_responses(*WRITES, 404),
)
async def revoke_client(api_client_id: PositiveId, context: ClientsWriteContext) -> JsonResponse:
    revocation = await service.revoke_client(context.connection, tenant_id=context.tenant_id, client_pk=api_client_id)
    return JsonResponse(envelope(client_resource(revocation.row)))


@router.post(
    "/{api_client_id}/rotate-secret",
    summary="Give an OAuth client a new secret; the old one stops working at once (scope clients:manage)",
    response_model=Envelope[ClientWithSecretResource],
    responses=problem_responses(*WRITES, 404, 409),
)
async def rotate_client_secret(api_client_id: PositiveId, context: ClientsWriteContext) -> JsonResponse:
    rotated = await service.rotate_client_secret(
        context.connection, tenant_id=context.tenant_id, client_pk=api_client_id
    )
    return JsonResponse(envelope(client_with_secret(rotated.row, rotated.client_secret)), headers=NO_STORE)
