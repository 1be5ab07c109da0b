"""A real HTTP receiver for the delivery tests: a threaded server on a free port that records
every request and answers what the test scripts (by default 204)."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Script:
    """What the receiver answers: `answers` are used up in order (status, extra headers, body),
    then `default`."""

    answers: list[tuple[int, dict[str, str], bytes]] = field(default_factory=list)
    default: tuple[int, dict[str, str], bytes] = (204, {}, b"")
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_answer(self) -> tuple[int, dict[str, str], bytes]:
        with self.lock:
            return self.answers.pop(0) if self.answers else self.default


@dataclass
class Receiver:
    url: str
    script: Script

    @property
    def received(self) -> list[Received]:
        with self.script.lock:
            return list(self.script.received)


class _Server(ThreadingHTTPServer):
    # socketserver's default backlog of 5 resets connections beyond it: the worker sends up to
    # its concurrency at once.
    request_queue_size = 128
    daemon_threads = True


@contextmanager
def receiver(script: Script | None = None) -> Iterator[Receiver]:
    script = script or Script()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            with script.lock:
                script.received.append(Received(self.path, headers, body))
            status, extra, answer = script.next_answer()
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = _Server(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Receiver(f"http://127.0.0.1:{server.server_address[1]}/hooks", script)
    finally:
        server.shutdown()
        server.server_close()
