"""`invoicing worker`: one outbox worker in its own process, beside (or without) the servers.

It acts as the service's role (`invoicing_app`, held to row-level security) as the server does,
stops gracefully on SIGTERM or SIGINT (claims nothing more, lets what is in flight finish, gives
back the rest), and logs as the server does (LOG_FORMAT).
"""

import asyncio
import logging
import signal

from prometheus_client import start_http_server

from invoicing.config import Settings
from invoicing.core.db import APP_ROLE, check_app_role, create_engine
from invoicing.documents import links
from invoicing.operations import metrics
from invoicing.operations.log_format import configure_logging
from invoicing.outbox.worker import Worker
from invoicing.webhooks import secrets as webhook_secrets

logger = logging.getLogger("invoicing.worker")


async def run_worker(settings: Settings, *, metrics_port: int | None = None) -> None:
    """Runs one worker until SIGTERM/SIGINT. With `metrics_port`, serves its own /metrics there
    (deliveries by result, its pool): a separate process's counters are not the servers' to show."""
    configure_logging(settings.log_format)
    if metrics_port is not None:
        start_http_server(metrics_port, addr=settings.host)
        logger.info("worker metrics on http://%s:%d/metrics", settings.host, metrics_port)
    links.configure(settings)  # the e-mails carry the hosted link
    webhook_secrets.configure(settings)  # the endpoints' secrets are sealed with SECRET_KEY
    engine = create_engine(
        settings.app_database_url or settings.database_url,
        pool_size=max(2, min(settings.worker_concurrency, settings.db_pool_size)),
        role=APP_ROLE,
    )
    try:
        await check_app_role(engine)
        metrics.track_pool(engine)
        worker = Worker(engine, settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        logger.info("outbox worker %s started (concurrency %d)", worker.worker_id, worker.options.concurrency)
        await worker.run(stop)
        logger.info("outbox worker %s stopped", worker.worker_id)
    finally:
        await engine.dispose()
