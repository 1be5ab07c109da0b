"""Multiprocess metrics for `invoicing serve --workers N` (kept free of prometheus-client: the
client picks its mode when first imported, so the directory must be set before that)."""

import os
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
DEFAULT_DIR = Path("var") / "metrics"


def prepare(workers: int) -> Path | None:
    """The directory the workers share their values through, emptied; None for one process.

    PROMETHEUS_MULTIPROC_DIR wins when set (and is used with one worker too); otherwise
    var/metrics with more than one worker. Per the client's docs it must not keep a previous
    run's files, whose counters would be added in.
    """
    configured = os.environ.get(MULTIPROC_ENV)
    if not configured and workers <= 1:
        return None
    directory = Path(configured) if configured else DEFAULT_DIR
    directory.mkdir(parents=True, exist_ok=True)
    for path in directory.glob("*.db"):
        path.unlink()
    os.environ[MULTIPROC_ENV] = str(directory.resolve())  # inherited by the worker processes
    return directory
