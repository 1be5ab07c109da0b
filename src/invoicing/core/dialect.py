"""Vendor dialects (HighLevel, FlowPayroll) as mounted sub-applications over the same core.

A dialect is its own ASGI app so that it owns its error shapes (its exception handlers) and its
own OpenAPI document, while sharing the parent's engine and settings: `state` is the parent's,
filled by the parent's lifespan (a mounted app's lifespan never runs). The parent's middlewares
(request id, body cap, rate limit) wrap the mount, so every dialect gets them.
"""

from fastapi import FastAPI
from starlette.datastructures import State


def dialect_app(parent_state: State, *, title: str, description: str, version: str) -> FastAPI:
    app = FastAPI(
        title=title,
        description=description,
        version=version,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state = parent_state
    return app
