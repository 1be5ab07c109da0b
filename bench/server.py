"""`invoicing serve` as `make run` starts it (uvloop, httptools, N workers), on a free port."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from bench.databases import ROOT, BenchDatabase, service_environment

HOST = "127.0.0.1"
# The limiter still runs on every request (its cost is part of the hot path); it just never
# refuses: the load comes from a handful of tokens at rates no real integration sends.
NEVER_LIMITED = {"RATE_LIMIT_PER_SECOND": "1000000", "RATE_LIMIT_BURST": "1000000"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


class Background:
    """A process of the bench's (its own session, logging to `log_path`); stopped on leaving `with`."""

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            stop_process(process)

    @property
    def pid(self) -> int:
        assert self.process is not None, "started by `with`"
        return self.process.pid

    def check_running(self) -> None:
        """Raises when the process has exited (its log says why)."""
        if self.process is None or self.process.poll() is not None:
            code = self.process.returncode if self.process is not None else None
            raise BackgroundExited(f"{self.log_path.stem} is not running (exit {code}); see {self.log_path}")


class BackgroundExited(RuntimeError):
    pass


class LocalService(Background):
    """A Background process listening on a free port of the loopback."""

    def __init__(self, log_path: Path) -> None:
        super().__init__(log_path)
        self.port = free_port()

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"


class Server(LocalService):
    def __init__(
        self, database: BenchDatabase, workers: int, log_path: Path, settings: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(log_path)
        self.database = database
        self.workers = workers
        self.settings = dict(settings or {})  # environment settings beside DATABASE_URL

    def __enter__(self) -> "Server":
        command = [sys.executable, "-m", "invoicing", "serve", "--host", HOST, "--port", str(self.port)]
        command += ["--workers", str(self.workers)]
        self.process = start_process(
            command, service_environment(self.database, **NEVER_LIMITED, **self.settings), self.log_path
        )
        return self

    def wait_ready(self, token: str, tenant_id: int, invoice_id: int, timeout: float = 60) -> None:
        """Until an authenticated read answers 200 (every worker has started by then, or soon after)."""
        request = urllib.request.Request(  # noqa: S310 - our own server on the loopback
            f"{self.base_url}/api/v1/invoices/{invoice_id}",
            headers={"Authorization": f"Bearer {token}", "X-Tenant": str(tenant_id)},
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310
                    if response.status == 200 and len(self.worker_pids()) == self.workers:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the server did not become ready; its log ends:\n{self.log_tail()}")

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: uvicorn's spawned workers, or the server itself with one."""
        assert self.process is not None
        if self.workers == 1:
            return [self.process.pid]
        return [pid for pid in _children(self.process.pid) if b"spawn_main" in _cmdline(pid)]

    def cpu_seconds_by_process(self) -> dict[int, float]:
        """CPU time so far (user plus system) of the server and of each process it started (the
        workers), by pid; one that has exited is left out."""
        assert self.process is not None
        used = {}
        for pid in (self.process.pid, *_children(self.process.pid)):
            with contextlib.suppress(OSError):
                used[pid] = cpu_seconds(pid)
        return used

    def rss_mb_per_worker(self) -> float:
        """The largest resident set of the workers (MiB), from /proc."""
        return max((_rss_kb(pid) for pid in self.worker_pids()), default=0) / 1024

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def start_process(command: list[str], environment: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """`command` in its own session (so stopping it reaches the processes it spawns), logging to `log_path`."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        return subprocess.Popen(  # noqa: S603
            command,
            env=environment,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to its session (a graceful stop), SIGKILL if it has not stopped within 20 s."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far, from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rfind(")") + 2 :].split()
    # utime and stime are fields 14 and 15 of the line, 12 and 13 after the command name.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rfind(")") + 2 :].split()[1]) == parent:
                found.append(int(entry.name))
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
