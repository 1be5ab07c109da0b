"""Every Prometheus series the service exposes, and the functions that feed them.

Correct with several worker processes: when PROMETHEUS_MULTIPROC_DIR is set (by `invoicing
serve --workers N`, before the workers start) prometheus-client writes each process's values
to files there and a scrape, whichever worker answers it, aggregates them. Without it the
process's own registry answers. The choice is made when this module is first imported.

Values that live in the database are read at scrape time by samplers
(`app.state.metrics_samplers`), which set their gauges and are then collected like everything
else: the outbox's depth and the age of its oldest waiting message (`sample_outbox`), and the
freshest worker heartbeat. Deliveries are counted by whichever process makes them (a separate
`invoicing worker` serves its own with `--metrics-port`).
"""

import inspect
import logging
import os
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.datastructures import State

from invoicing.operations.multiprocess import MULTIPROC_ENV

# Seconds; from a cached read (a few ms) to a slow PDF render or a pool wait (10 s by default).
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "invoicing_http_requests",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
)
HTTP_DURATION = Histogram(
    "invoicing_http_request_duration_seconds",
    "Time from the request's arrival to the end of its response, by route template and method.",
    ["route", "method"],
    buckets=DURATION_BUCKETS,
)
TRANSITIONS = Counter(
    "invoicing_invoice_transitions",
    "Invoice lifecycle transitions committed, by action.",
    ["action"],
)
HOT_PATH_REQUESTS = Counter(
    "invoicing_hot_path_requests",
    "Requests to the hot routes, by route template and by who answered: the hot path, or the full path it "
    "passed them to (docs/benchmarks.md, 'The hot path').",
    ["route", "answered_by"],
)
# Each process's own pool: the workers' values add up (dead workers' are dropped).
DB_POOL_IN_USE = Gauge(
    "invoicing_db_pool_connections_in_use",
    "Database connections checked out of the pool.",
    multiprocess_mode="livesum",
)
# Read from the database at scrape time; every worker process reads the same value, so the
# newest of them is the one answer.
OUTBOX_DEPTH = Gauge(
    "invoicing_outbox_depth",
    "Outbox work waiting: messages not fanned out yet plus deliveries pending (retries included).",
    multiprocess_mode="mostrecent",
)
OUTBOX_OLDEST_AGE = Gauge(
    "invoicing_outbox_oldest_age_seconds",
    "Age of the oldest message still waiting for a delivery (0 when none waits).",
    multiprocess_mode="mostrecent",
)
WORKER_HEARTBEAT_AGE = Gauge(
    "invoicing_worker_heartbeat_age_seconds",
    "Seconds since the freshest outbox worker heartbeat (NaN when no worker has ever beaten).",
    multiprocess_mode="mostrecent",
)
DELIVERIES = Counter(
    "invoicing_outbox_deliveries",
    "Delivery attempts made by this process's outbox worker, by kind (webhook, email) and result.",
    ["kind", "result"],
)
logger = logging.getLogger("invoicing.metrics")

Sampler = Callable[[State], Awaitable[None] | None]


def count_transition(action: str) -> None:
    TRANSITIONS.labels(action).inc()


def count_delivery(kind: str, result: str) -> None:
    DELIVERIES.labels(kind, result).inc()


def track_pool(engine: AsyncEngine) -> None:
    """Keeps DB_POOL_IN_USE up to date with `engine`'s pool. Pre: nothing checked out yet."""

    @event.listens_for(engine.sync_engine, "checkout")
    def on_checkout(*_: Any) -> None:
        DB_POOL_IN_USE.inc()

    @event.listens_for(engine.sync_engine, "checkin")
    def on_checkin(*_: Any) -> None:
        DB_POOL_IN_USE.dec()


async def run_samplers(state: State) -> None:
    """Each sampler sets its gauges; one that fails leaves its gauges at their last value (and
    is logged) rather than failing the scrape and hiding every other series."""
    for sampler in state.metrics_samplers:
        try:
            outcome = sampler(state)
            if inspect.isawaitable(outcome):
                await outcome
        except Exception:
            logger.exception("metrics sampler %s failed", getattr(sampler, "__name__", sampler))


def exposition() -> bytes:
    """The Prometheus text of every series: this process's, or all workers' in multiprocess mode."""
    directory = os.environ.get(MULTIPROC_ENV)
    if not directory:
        return generate_latest(REGISTRY)
    forget_dead_processes(Path(directory))
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


_LIVE_GAUGE_FILE = re.compile(r"^gauge_live\w+_(\d+)\.db$")


def forget_dead_processes(directory: Path) -> None:
    """Drops the live gauges of worker processes that are gone (a crash included).

    prometheus-client's docs call `mark_process_dead` from the process manager's exit hook;
    uvicorn has none, so the scraping process looks for files of pids that no longer exist.
    """
    for path in directory.glob("gauge_live*.db"):
        match = _LIVE_GAUGE_FILE.match(path.name)
        if match and not _alive(int(match.group(1))):
            multiprocess.mark_process_dead(int(match.group(1)), str(directory))  # type: ignore[no-untyped-call]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


__all__ = ["CONTENT_TYPE", "Sampler"]
