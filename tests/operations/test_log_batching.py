"""Log lines leave stderr in batches (operations.log_format.BatchedStderrHandler): an INFO line
within the flush interval, a warning at once with everything before it, and nothing held back
once the handler closes."""

import logging
import os
import sys
import time
from collections.abc import Iterator
from unittest import mock

import pytest

from invoicing.operations.log_format import FLUSH_SECONDS, BatchedStderrHandler


@pytest.fixture
def piped_handler() -> Iterator[tuple[logging.Logger, BatchedStderrHandler, int]]:
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    with os.fdopen(write_end, "w") as fake_stderr, mock.patch.object(sys, "stderr", fake_stderr):
        handler = BatchedStderrHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        logger = logging.getLogger("tests.log_batching")
        logger.addHandler(handler)
        logger.propagate = False
        logger.setLevel(logging.INFO)
        try:
            yield logger, handler, read_end
        finally:
            logger.removeHandler(handler)
            handler.close()
            os.close(read_end)


def written(read_end: int) -> str:
    try:
        return os.read(read_end, 65536).decode()
    except BlockingIOError:
        return ""


def test_an_info_line_waits_for_the_flush_and_a_warning_takes_everything_out_at_once(
    piped_handler: tuple[logging.Logger, BatchedStderrHandler, int],
) -> None:
    logger, _handler, read_end = piped_handler
    logger.info("first")
    assert written(read_end) == ""  # buffered, not one system call per line
    deadline = time.monotonic() + 20 * FLUSH_SECONDS
    seen = ""
    while "first" not in seen and time.monotonic() < deadline:
        time.sleep(FLUSH_SECONDS / 4)
        seen += written(read_end)
    assert seen == "INFO first\n"
    logger.info("second")
    logger.warning("third")
    assert written(read_end) == "INFO second\nWARNING third\n"


def test_closing_the_handler_writes_what_waits(piped_handler: tuple[logging.Logger, BatchedStderrHandler, int]) -> None:
    logger, handler, read_end = piped_handler
    logger.info("last words")
    handler.close()
    assert written(read_end) == "INFO last words\n"
