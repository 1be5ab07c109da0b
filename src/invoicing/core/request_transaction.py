"""The request's one transaction, owned by the route.

The auth dependency opens it on first use; the route commits it after the endpoint returned
and after the `before_commit` hooks ran with the response (an idempotent response is stored
there, in the same transaction as the change). Any exception rolls it back. Committing
before the response is sent means a client that saw 2xx knows the change is durable.
"""

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.responses import Response

from invoicing.core.db import transaction

BeforeCommit = Callable[[AsyncConnection, Response], Awaitable[None]]


class RequestTransaction:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.connection: AsyncConnection | None = None
        self.before_commit: list[BeforeCommit] = []
        self._context: AbstractAsyncContextManager[AsyncConnection] | None = None

    async def open(self, *, write: bool) -> AsyncConnection:
        if self.connection is None:
            context = transaction(self.engine, write=write)
            # Kept only once entered: a transaction that failed to open has nothing to roll back.
            self.connection = await context.__aenter__()
            self._context = context
        return self.connection

    async def commit(self, response: Response) -> None:
        if self._context is None or self.connection is None:
            return
        try:
            for hook in self.before_commit:
                await hook(self.connection, response)
        except BaseException as error:
            await self.rollback(error)
            raise
        context, self._context = self._context, None
        await context.__aexit__(None, None, None)

    async def rollback(self, error: BaseException) -> None:
        if self._context is None:
            return
        context, self._context = self._context, None
        await context.__aexit__(type(error), error, error.__traceback__)
