from typing import Any

from sqlalchemy import RowMapping

from invoicing.auth.dependencies import ReadContext, WriteContext
from invoicing.core.render import timestamp
from invoicing.core.responses import JsonResponse, envelope
from invoicing.core.routing import api_router
from invoicing.core.schemas import AUTHENTICATED, UNSAFE, Envelope, problem_responses
from invoicing.series import service
from invoicing.series.schemas import SeriesCreate, SeriesResource

router = api_router(prefix="/series", tags=["series"])


def series_resource(row: RowMapping) -> dict[str, Any]:
    return {
        "id": row["id"],
        "public_id": row["public_id"],
        "name": row["name"],
        "is_default": row["is_default"],
        "kind": row["kind"],
        "created_at": timestamp(row["created_at"]),
        "updated_at": timestamp(row["updated_at"]),
    }


@router.get(
    "",
    summary="List numbering series",
    response_model=Envelope[list[SeriesResource]],
    responses=problem_responses(*AUTHENTICATED),
)
async def list_series(context: ReadContext) -> JsonResponse:
    rows = await service.list_series(context.connection, tenant_id=context.tenant_id)
    return JsonResponse(envelope([series_resource(row) for row in rows]))


@router.post(
    "",
    status_code=201,
    summary="Create a numbering series",
    response_model=Envelope[SeriesResource],
    responses=problem_responses(*UNSAFE),
)
async def create_series(body: SeriesCreate, context: WriteContext) -> JsonResponse:
    row = await service.create_series(
        context.connection, tenant_id=context.tenant_id, name=body.name, is_default=body.is_default, kind=body.kind
    )
    return JsonResponse(envelope(series_resource(row)), status_code=201)
