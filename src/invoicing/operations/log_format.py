"""How the service's own log lines look: readable text by default, one JSON object a line with
LOG_FORMAT=json. Standard logging throughout; fields ride on records as `extra`."""

import logging
import time
from typing import Any, Literal

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


def configure_logging(log_format: LogFormat) -> None:
    """One handler on the `invoicing` logger (stderr, INFO), replaced rather than doubled when
    called again (every app a test builds calls it). Records still reach the root logger."""
    logger = logging.getLogger("invoicing")
    for handler in [handler for handler in logger.handlers if handler.get_name() == _HANDLER_NAME]:
        logger.removeHandler(handler)
    handler = logging.StreamHandler()
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter_for(log_format))
    logger.addHandler(handler)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
