"""How the service's own log lines look: readable text by default, one JSON object a line with
LOG_FORMAT=json. Standard logging throughout; fields ride on records as `extra`."""

import atexit
import logging
import sys
import threading
import time
from typing import Any, Literal, TextIO

import orjson

LogFormat = Literal["text", "json"]
# `extra` fields a record may carry (the request line's, and `request_id` on the others).
FIELDS = ("method", "route", "status", "duration_ms", "request_id", "tenant_id", "token_id")
_HANDLER_NAME = "invoicing"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in FIELDS:
            value = record.__dict__.get(field)
            if value is not None:
                line[field] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line).decode()


def formatter_for(log_format: LogFormat) -> logging.Formatter:
    if log_format == "json":
        formatter: logging.Formatter = JsonFormatter()
    else:
        formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    return formatter


FLUSH_SECONDS = 0.2


class BatchedStderrHandler(logging.StreamHandler[TextIO]):
    """Lines to stderr in batches rather than one system call each.

    Every answered request logs a line, and a write to stderr (line-buffered) per line cost a
    worker about 40% of the CPU of a hot-path read on this kind of machine (issue 14). Lines
    collect in a 64 KiB buffer and leave at most FLUSH_SECONDS later (a daemon thread flushes;
    so does the process at exit); a warning or worse leaves at once, with whatever waits before
    it, so trouble is never held back. A process killed outright loses at most that fraction of
    a second of INFO lines.
    """

    def __init__(self) -> None:
        stream = open(  # noqa: SIM115 (the handler keeps it for the process's life; stderr itself stays open)
            sys.stderr.fileno(), "w", buffering=64 * 1024, encoding="utf-8", errors="backslashreplace", closefd=False
        )
        super().__init__(stream)
        self._flusher: threading.Thread | None = None
        self._stop_flushing = threading.Event()
        atexit.register(self.flush)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.stream.write(self.format(record) + self.terminator)
            if record.levelno >= logging.WARNING:
                self.stream.flush()
            elif self._flusher is None:
                self._flusher = threading.Thread(target=self._flush_every, name="log-flush", daemon=True)
                self._flusher.start()
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)

    def _flush_every(self) -> None:
        while not self._stop_flushing.wait(FLUSH_SECONDS):
            self.flush()  # under the handler's lock, as emit writes

    def close(self) -> None:
        self._stop_flushing.set()
        self.flush()
        atexit.unregister(self.flush)
        super().close()


def configure_logging(log_format: LogFormat) -> None:
    """One handler on the `invoicing` logger (stderr, INFO), replaced rather than doubled when
    called again (every app a test builds calls it). Records still reach the root logger."""
    logger = logging.getLogger("invoicing")
    for handler in [handler for handler in logger.handlers if handler.get_name() == _HANDLER_NAME]:
        logger.removeHandler(handler)
        handler.close()
    handler = BatchedStderrHandler()
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter_for(log_format))
    logger.addHandler(handler)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
