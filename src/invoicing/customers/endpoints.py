from typing import Annotated

from fastapi import Query, Request

from invoicing.auth.dependencies import ReadContext, WriteContext
from invoicing.core.pagination import cut_page, decode_cursor
from invoicing.core.paging_params import NO_NUL, Cursor, Limit, page_size
from invoicing.core.responses import JsonResponse, envelope
from invoicing.core.routing import api_router
from invoicing.core.schemas import (
    AUTHENTICATED,
    UNSAFE,
    Envelope,
    PageEnvelope,
    PositiveId,
    problem_responses,
)
from invoicing.customers import service
from invoicing.customers.representation import customer_resource
from invoicing.customers.schemas import CustomerCreate, CustomerResource, CustomerUpdate

router = api_router(prefix="/customers", tags=["customers"])


@router.post(
    "",
    status_code=201,
    summary="Create a customer",
    response_model=Envelope[CustomerResource],
    responses=problem_responses(*UNSAFE),
)
async def create_customer(body: CustomerCreate, context: WriteContext) -> JsonResponse:
    row = await service.create_customer(context.connection, tenant_id=context.tenant_id, data=body)
    return JsonResponse(envelope(customer_resource(row)), status_code=201)


@router.get(
    "",
    summary="List customers (search by name, email or tax number)",
    response_model=PageEnvelope[CustomerResource],
    responses=problem_responses(*AUTHENTICATED),
)
async def list_customers(
    request: Request,
    context: ReadContext,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=NO_NUL,
            description="Matches name, email or tax number, in any case (Turkish I/İ/ı/i alike).",
        ),
    ] = None,
    cursor: Cursor = None,
    limit: Limit = None,
) -> JsonResponse:
    size = page_size(request, limit)
    rows = await service.list_customers(
        context.connection, tenant_id=context.tenant_id, search=q, after_id=decode_cursor(cursor), limit=size
    )
    shown, meta = cut_page(rows, size, lambda row: int(row["id"]))
    return JsonResponse(envelope([customer_resource(row) for row in shown], meta=meta))


@router.get(
    "/{customer_id}",
    summary="Get a customer",
    response_model=Envelope[CustomerResource],
    responses=problem_responses(*AUTHENTICATED, 404),
)
async def get_customer(customer_id: PositiveId, context: ReadContext) -> JsonResponse:
    row = await service.get_customer(context.connection, tenant_id=context.tenant_id, customer_id=customer_id)
    return JsonResponse(envelope(customer_resource(row)))


@router.patch(
    "/{customer_id}",
    summary="Update a customer",
    response_model=Envelope[CustomerResource],
    responses=problem_responses(*UNSAFE, 404),
)
async def update_customer(customer_id: PositiveId, body: CustomerUpdate, context: WriteContext) -> JsonResponse:
    row = await service.update_customer(
        context.connection, tenant_id=context.tenant_id, customer_id=customer_id, data=body
    )
    return JsonResponse(envelope(customer_resource(row)))


@router.delete(
    "/{customer_id}",
    summary="Delete a customer (soft: its invoices keep the details frozen on them)",
    response_model=Envelope[CustomerResource],
    responses=problem_responses(*UNSAFE, 404),
)
async def delete_customer(customer_id: PositiveId, context: WriteContext) -> JsonResponse:
    row = await service.delete_customer(context.connection, tenant_id=context.tenant_id, customer_id=customer_id)
    return JsonResponse(envelope(customer_resource(row)))
