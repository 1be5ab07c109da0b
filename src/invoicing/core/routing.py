"""JSON bodies parsed with exact decimals, within the bounds of core.json_input.

FastAPI hands `request.json()` (stdlib, floats) to pydantic. A JSON number like 0.1 would then
pass through a binary float before becoming a Decimal; money must never touch float (SPEC 4),
so routes parse numbers straight to Decimal. NaN and Infinity are not JSON and are refused.
Every route of every API (dialects included) is an ExactJsonRoute, so every body passes here.
"""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute

from invoicing.core.json_input import loads_exact
from invoicing.core.request_transaction import RequestTransaction
from invoicing.idempotency.service import IdempotentReplay


class ExactJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = loads_exact(await self.body(), max_depth=self.app.state.settings.max_json_depth)
        return self._json


class ExactJsonRoute(APIRoute):
    """Exact-decimal JSON bodies, and the request's transaction (see core.request_transaction)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def transactional_handler(request: Request) -> Response:
            request = ExactJsonRequest(request.scope, request.receive)
            request_transaction = RequestTransaction(request.app.state.engine)
            request.state.transaction = request_transaction
            try:
                response = await handler(request)
            except IdempotentReplay as replay:
                await request_transaction.rollback(replay)
                return replay.response
            except BaseException as error:
                await request_transaction.rollback(error)
                raise
            await request_transaction.commit(response)
            return response

        return transactional_handler


def api_router(**options: Any) -> APIRouter:
    """Every primary-API router: `include_router` does not pass a parent's route class down."""
    return APIRouter(route_class=ExactJsonRoute, **options)
