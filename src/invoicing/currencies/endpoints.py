from invoicing.auth.dependencies import ReadContext
from invoicing.core.responses import JsonResponse, envelope
from invoicing.core.routing import api_router
from invoicing.core.schemas import AUTHENTICATED, Envelope, problem_responses
from invoicing.currencies.catalog import all_currencies
from invoicing.currencies.representation import currency_resource
from invoicing.currencies.schemas import CurrencyResource

router = api_router(prefix="/currencies", tags=["currencies"])


@router.get(
    "",
    summary="ISO 4217 currencies that can be invoiced",
    response_model=Envelope[list[CurrencyResource]],
    responses=problem_responses(*AUTHENTICATED),
)
async def list_currencies(context: ReadContext) -> JsonResponse:
    # The catalogue is static, but the call still authenticates like every /api/v1 call.
    del context
    return JsonResponse(envelope([currency_resource(currency) for currency in all_currencies().values()]))
