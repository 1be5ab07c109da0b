"""Wires operations into the app: one call from `create_app`, one from its lifespan."""

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.config import Settings
from invoicing.operations import metrics
from invoicing.operations.endpoints import router
from invoicing.operations.log_format import configure_logging
from invoicing.operations.middleware import ObservabilityMiddleware
from invoicing.operations.readiness import default_checks


def install_operations(app: FastAPI, settings: Settings) -> None:
    """Call after every other middleware is added: this one must be outermost to see every answer.

    Other features extend the seams it leaves on `app.state`: `readiness_checks` (name -> async
    check answering None or why not) and `metrics_samplers` (called before each scrape).
    """
    configure_logging(settings.log_format)
    app.state.readiness_checks = default_checks()
    app.state.metrics_samplers = []
    app.include_router(router)
    app.add_middleware(ObservabilityMiddleware)


def on_startup(engine: AsyncEngine) -> None:
    metrics.track_pool(engine)
