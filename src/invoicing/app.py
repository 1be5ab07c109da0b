"""The ASGI application: one domain core, the primary API mounted at /api."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from invoicing import __version__
from invoicing.auth.credentials import FLOWPAYROLL_PREFIX, credential_key
from invoicing.auth.endpoints import router as oauth_router
from invoicing.clients.endpoints import router as clients_router
from invoicing.config import Settings, get_settings
from invoicing.core.db import APP_ROLE, check_app_role, create_engine
from invoicing.core.header_limits import HeaderLimits
from invoicing.core.openapi import install_openapi
from invoicing.core.problems import install_problem_handlers, problem, service_busy
from invoicing.core.rate_limit import RateLimitMiddleware
from invoicing.core.request_context import RequestContextMiddleware
from invoicing.core.responses import ProblemResponse
from invoicing.credit_notes.endpoints import router as credit_notes_router
from invoicing.currencies.catalog import all_currencies
from invoicing.currencies.endpoints import router as currencies_router
from invoicing.customers.endpoints import router as customers_router
from invoicing.dashboard.app import DASHBOARD_PREFIX, create_dashboard_app
from invoicing.dashboard.settings_profile import DASHBOARD_LOGO_PATH
from invoicing.documents import links
from invoicing.documents.downloads import signing as download_signing
from invoicing.documents.downloads.endpoints import router as downloads_router
from invoicing.documents.endpoints import router as documents_router
from invoicing.documents.hosted.endpoints import router as hosted_router
from invoicing.flowpayroll.app import create_flowpayroll_app
from invoicing.highlevel.app import create_highlevel_app
from invoicing.hotpath.pool import open_pool
from invoicing.hotpath.router import HotPathMiddleware
from invoicing.invoices.action_endpoints import router as invoice_actions_router
from invoicing.invoices.endpoints import router as invoices_router
from invoicing.operations import setup as operations
from invoicing.operations.endpoints import PATHS as OPERATIONS_PATHS
from invoicing.outbox.setup import delivery_in_server, install_delivery
from invoicing.payments.endpoints import router as payments_router
from invoicing.series.endpoints import router as series_router
from invoicing.tenants.endpoints import LOGO_PATH
from invoicing.tenants.endpoints import router as tenant_router
from invoicing.tenants.logo import MAX_LOGO_BYTES
from invoicing.webhooks import secrets as webhook_secrets
from invoicing.webhooks.endpoints import router as webhooks_router

DESCRIPTION = """\
Multi-tenant invoicing: drafts with exact totals, issuing under gapless numbers, and an event
for every change. Every `/api/v1` call needs `Authorization: Bearer <token>` and
`X-Tenant: <tenant id>`. Errors are RFC 9457 problem+json with a stable `code`.
"""


PRIMARY_API_ROUTERS = (
    customers_router,
    currencies_router,
    series_router,
    invoices_router,
    invoice_actions_router,
    documents_router,
    payments_router,
    credit_notes_router,
    clients_router,
    tenant_router,
    webhooks_router,
)


def include_primary_api(app: FastAPI) -> None:
    """Each feature router straight under the app: FastAPI matches a request by walking the
    included routers level by level, so one level (not /api -> /v1 -> feature) walks least.
    The feature routers are `api_router`s: their routes keep the exact-JSON route class."""
    app.include_router(oauth_router, prefix="/api")
    for router in PRIMARY_API_ROUTERS:
        app.include_router(router, prefix="/api/v1")


async def handle_integrity_error(request: Request, exc: Exception) -> ProblemResponse:
    # A uniqueness rule the service checks first can still lose a race; the database's
    # constraint is the last word, and the loser gets a conflict, not a 500.
    return problem(request, status=409, code="conflict", detail="The change conflicts with existing data.")


async def handle_pool_timeout(request: Request, exc: Exception) -> ProblemResponse:
    return service_busy(request)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    links.configure(settings)
    download_signing.configure(settings)
    webhook_secrets.configure(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        all_currencies()  # load the catalogue once, before the first request needs it
        # On PostgreSQL the service acts as APP_ROLE, which row-level security holds (docs/postgresql.md,
        # "PostgreSQL roles and row-level security"); it does not start as anything less safe.
        database_url = settings.app_database_url or settings.database_url
        app.state.engine = create_engine(
            database_url, pool_size=settings.db_pool_size, pool_timeout=settings.db_pool_timeout_seconds, role=APP_ROLE
        )
        operations.on_startup(app.state.engine)
        try:
            await check_app_role(app.state.engine)
            if settings.hot_path and app.state.engine.dialect.name == "postgresql":
                app.state.hot_pool = await open_pool(database_url, size=settings.db_pool_size)
            async with delivery_in_server(app.state.engine, settings):
                yield
        finally:
            if app.state.hot_pool is not None:
                await app.state.hot_pool.close()
                app.state.hot_pool = None
            await app.state.engine.dispose()

    app = FastAPI(
        title="Invoicing",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
        # Off unless asked for: FastAPI looks up the OpenTelemetry providers on every request.
        telemetry=None if settings.opentelemetry else {"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.hot_pool = None  # the lifespan opens it (PostgreSQL, HOT_PATH on)
    # Innermost (added first): every layer below sees the requests the hot path answers.
    app.add_middleware(HotPathMiddleware, state=app.state)
    # Added last runs first: the request id is set (and the headers bounded) before the rate limit can refuse.
    app.add_middleware(
        RateLimitMiddleware,
        per_second=settings.rate_limit_per_second,
        burst=settings.rate_limit_burst,
        failures_per_minute=settings.auth_failures_per_minute,
        failure_burst=settings.auth_failure_burst,
        credential_of=credential_key,
        exempt_paths=OPERATIONS_PATHS,
    )
    app.add_middleware(
        RequestContextMiddleware,
        max_body_bytes=settings.max_body_bytes,
        # A logo may be 1 MiB itself: one a little larger gets the upload's own 422 (issue 11).
        body_limits={
            path: max(settings.max_body_bytes, 2 * MAX_LOGO_BYTES) for path in (LOGO_PATH, DASHBOARD_LOGO_PATH)
        },
        header_limits=HeaderLimits(
            total_bytes=settings.max_header_bytes,
            count=settings.max_header_count,
            field_bytes=settings.max_header_field_bytes,
        ),
    )
    operations.install_operations(app, settings)  # outermost: sees every answer, times all of it
    install_delivery(app, settings)
    install_problem_handlers(app)
    app.add_exception_handler(IntegrityError, handle_integrity_error)
    app.add_exception_handler(PoolTimeout, handle_pool_timeout)
    include_primary_api(app)
    app.include_router(hosted_router)
    app.include_router(downloads_router)
    app.mount("/highlevel", create_highlevel_app(app.state))
    install_openapi(app, max_page_size=settings.max_page_size)
    app.mount(FLOWPAYROLL_PREFIX, create_flowpayroll_app(app.state))
    app.mount(DASHBOARD_PREFIX, create_dashboard_app(app.state))
    return app
