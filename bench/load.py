"""The end-to-end scenarios: wrk (Debian's 4.1.0) with one Lua script each (bench/wrk/).

Each scenario runs twice: for the peak (as fast as the connections go) and then at half that
rate on a fixed schedule (wrk's `delay()`), where p50 and p99 are read. Runs that change invoices
use their own part of the scenario's pool (layout.py), so the second run never finds invoices
in a state the first left them in.
"""

import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.layout import IdRange, Layout

WRK_SCRIPTS = Path(__file__).resolve().parent / "wrk"
RESULT_MARK = "BENCH_RESULT "
LIST_PAGE = 50


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    script: str
    pool: Callable[[Layout, str], IdRange]  # (layout, "peak" | "latency") -> the ids the run may use
    consumes: bool = False  # each request uses up one invoice of the pool


def _regular(layout: Layout, _run: str) -> IdRange:
    return layout.regular


def _full_pages(layout: Layout, _run: str) -> IdRange:
    """Cursors after which the cursor's tenant has a whole page of older invoices."""
    first = (LIST_PAGE + 1) * layout.tenants + 1
    return IdRange(first, layout.regular.last - first + 1)


# The delivery phase runs it too, on pools of its own ("backlog", "lag").
CANCEL_REVERT = Scenario("cancel_revert", "cancel_revert.lua", lambda layout, run: getattr(layout, f"cycle_{run}"))
SCENARIOS = (
    Scenario("get", "get.lua", _regular),
    Scenario("list", "list.lua", _full_pages),
    Scenario("payment", "payment.lua", lambda layout, _run: layout.payable),
    CANCEL_REVERT,
    Scenario("issue", "issue.lua", lambda layout, run: getattr(layout, f"drafts_{run}"), consumes=True),
)
SCENARIO_NAMES = tuple(scenario.name for scenario in SCENARIOS)


@dataclass(frozen=True, slots=True)
class LoadShape:
    threads: int
    connections: int
    seconds: int
    timeout_seconds: int = 10


@dataclass(frozen=True, slots=True)
class WrkRun:
    requests: int
    seconds: float
    errors: int
    status_errors: int
    p50_ms: float
    p99_ms: float
    most_sent_by_a_thread: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


class WrkError(RuntimeError):
    pass


def run_wrk(
    scenario: Scenario, base_url: str, shape: LoadShape, *, pool: IdRange, tokens: Path, tenants: int, rate: float = 0
) -> WrkRun:
    options = {
        "tokens": tokens,
        "tenants": tenants,
        "threads": shape.threads,
        "first": pool.first,
        "count": pool.count,
        "rate": f"{rate:.1f}",
    }
    command = [
        "wrk",
        f"--threads={shape.threads}",
        f"--connections={shape.connections}",
        f"--duration={shape.seconds}s",
        f"--timeout={shape.timeout_seconds}s",
        f"--script={WRK_SCRIPTS / scenario.script}",
        base_url,
        "--",
        *(f"{key}={value}" for key, value in options.items()),
    ]
    environment = os.environ | {"LUA_PATH": f"{WRK_SCRIPTS}/?.lua;;"}
    finished = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)  # noqa: S603
    return _parse(finished, command)


def _parse(finished: subprocess.CompletedProcess[str], command: list[str]) -> WrkRun:
    lines = [line for line in finished.stdout.splitlines() if line.startswith(RESULT_MARK)]
    if finished.returncode != 0 or not lines:
        output = (finished.stdout + finished.stderr)[-2000:]
        raise WrkError(f"`{' '.join(command)}` failed ({finished.returncode}):\n{output}")
    figures = json.loads(lines[-1].removeprefix(RESULT_MARK))
    return WrkRun(
        requests=figures["requests"],
        seconds=figures["duration_us"] / 1e6,
        errors=figures["errors"],
        status_errors=figures["status_errors"],
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        most_sent_by_a_thread=figures["most_sent_by_a_thread"],
    )
