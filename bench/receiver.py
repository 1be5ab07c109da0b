"""The bench's webhook receiver: answers every POST with 204 and counts them by webhook-id.

Its own process (`python -m bench.receiver --port N`), so its cost is neither the worker's nor
the harness's: one asyncio event loop on uvloop, HTTP/1.1 with keep-alive parsed by httptools
(what uvicorn parses with), and no framework, no signature check, no body kept. On two cores it
answers tens of thousands of POSTs a second (docs/benchmarks.md), far above what one outbox
worker sends, so it never sets the pace. `GET /counts` returns what it has seen as JSON.
"""

import asyncio
import json
import time
from typing import cast

import click
import httptools
import uvloop

NO_CONTENT = b"HTTP/1.1 204 No Content\r\n\r\n"
NOT_FOUND = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"
COUNTS_PATH = b"/counts"


class Tally:
    """Every POST seen: how many, how many distinct webhook-ids, when the first and last came."""

    def __init__(self) -> None:
        self.requests = 0
        self.without_id = 0
        self.webhook_ids: set[bytes] = set()
        # CLOCK_MONOTONIC is one clock for every process of the machine: the harness compares these.
        self.first_at: float | None = None
        self.last_at: float | None = None

    def count(self, webhook_id: bytes | None) -> None:
        now = time.monotonic()
        self.requests += 1
        if webhook_id is None:
            self.without_id += 1
        else:
            self.webhook_ids.add(webhook_id)
        if self.first_at is None:
            self.first_at = now
        self.last_at = now

    def as_json(self) -> bytes:
        distinct = len(self.webhook_ids)
        figures = {
            "requests": self.requests,
            "distinct": distinct,
            "duplicates": self.requests - self.without_id - distinct,
            "without_id": self.without_id,
            "first_at": self.first_at,
            "last_at": self.last_at,
        }
        return json.dumps(figures).encode()


class Connection(asyncio.Protocol):
    def __init__(self, tally: Tally) -> None:
        self.tally = tally
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.url = b""
        self.webhook_id: bytes | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.transport.close()

    # httptools' callbacks, one request at a time (HTTP/1.1 pipelining included)
    def on_message_begin(self) -> None:
        self.url = b""
        self.webhook_id = None

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"webhook-id":
            self.webhook_id = value

    def on_message_complete(self) -> None:
        assert self.transport is not None
        method = self.parser.get_method()
        if method == b"POST":
            self.tally.count(self.webhook_id)
            self.transport.write(NO_CONTENT)
        elif method == b"GET" and self.url == COUNTS_PATH:
            body = self.tally.as_json()
            head = f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
            self.transport.write(head.encode() + body)
        else:
            self.transport.write(NOT_FOUND)
        if not self.parser.should_keep_alive():
            self.transport.close()


async def serve(host: str, port: int) -> None:
    tally = Tally()
    server = await asyncio.get_running_loop().create_server(lambda: Connection(tally), host, port, backlog=1024)
    async with server:
        await server.serve_forever()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), required=True)
def main(host: str, port: int) -> None:
    """Answer every POST with 204 and count it by webhook-id; GET /counts shows the counts."""
    uvloop.run(serve(host, port))


if __name__ == "__main__":
    main()
