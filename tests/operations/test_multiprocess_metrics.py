"""`invoicing serve --workers 2`: every worker writes its values to the shared directory, and a
scrape answered by either one adds them all up."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from invoicing.core.migrate import upgrade
from tests.operations.support import samples, value

REQUESTS = 40


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_up(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server exited"
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("the server did not come up")


def test_two_workers_scrape_as_one(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'serve.db'}"
    upgrade(database_url)
    stale = tmp_path / "var" / "metrics"
    stale.mkdir(parents=True)
    (stale / "counter_999999.db").write_bytes(b"a previous run")
    port = _free_port()
    environment = {**os.environ, "DATABASE_URL": database_url, "PROMETHEUS_MULTIPROC_DIR": ""}
    environment.pop("PROMETHEUS_MULTIPROC_DIR")
    server = subprocess.Popen(
        [sys.executable, "-m", "invoicing", "serve", "--workers", "2", "--port", str(port)],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, server)
        before = samples(httpx.get(f"{url}/metrics").text)
        for _ in range(REQUESTS):  # a new connection each: the kernel spreads them over both workers
            assert httpx.get(f"{url}/readyz").status_code == 200
        after = samples(httpx.get(f"{url}/metrics").text)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert not (stale / "counter_999999.db").exists()  # wiped at start
    name, labels = "invoicing_http_requests_total", {"route": "/readyz", "method": "GET", "status": "200"}
    assert value(after, name, **labels) - value(before, name, **labels) == REQUESTS
    worker_pids = {path.stem.rsplit("_", 1)[1] for path in stale.glob("*.db")}
    assert len(worker_pids) == 2, worker_pids  # both workers share the directory
