"""The figures of one run: the table on stdout, bench/results/latest.json, docs/benchmarks.md."""

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.ceiling import CeilingRun
from bench.databases import ROOT
from bench.delivery import DeliveryResult
from bench.documents import FormatResult
from bench.pages import PageResult

RESULTS = ROOT / "bench" / "results"
DOCS = ROOT / "docs" / "benchmarks.md"
DOCS_START, DOCS_END = "<!-- bench:latest:start -->", "<!-- bench:latest:end -->"
TARGET_SCALES = (100_000, 1_000_000)
PAGE_P99_AIM_MS = 50.0


@dataclass(frozen=True, slots=True)
class ScenarioResult:
    name: str
    database: str
    rps: float  # the peak run
    cpu_ms_per_request: float  # the server's processes' CPU time over the peak run, per request wrk counted
    latency_rps: float  # what the run at half the peak rate achieved
    p50_ms: float
    p99_ms: float
    errors: int  # both runs: non-2xx/3xx answers and socket errors
    rss_mb: float  # largest worker, after the scenario
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "database": self.database,
            "rps": round(self.rps, 1),
            "cpu_ms_per_request": round(self.cpu_ms_per_request, 3),
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "errors": self.errors,
            "rss_mb": round(self.rss_mb, 1),
        }


@dataclass(slots=True)
class Report:
    run: dict[str, Any]  # what was run, where, and how long seeding took
    ceiling: CeilingRun | None = None
    round_trips: dict[str, int] = field(default_factory=dict)  # per transition, by direction (the capture's)
    scenarios: list[ScenarioResult] = field(default_factory=list)
    documents: list[FormatResult] = field(default_factory=list)
    delivery: list[DeliveryResult] = field(default_factory=list)
    pages: list[PageResult] = field(default_factory=list)

    @property
    def transition_rps(self) -> float | None:
        found = [row.rps for row in self.scenarios if row.name == "cancel_revert" and row.database == "postgresql"]
        return found[0] if found else None

    @property
    def transition_ratio(self) -> float | None:
        if self.ceiling is None or self.transition_rps is None or not self.ceiling.tps:
            return None
        return self.transition_rps / self.ceiling.tps

    @property
    def round_trips_per_transition(self) -> int | None:
        return max(self.round_trips.values()) if self.round_trips else None

    def as_json(self) -> dict[str, Any]:
        ratio = self.transition_ratio
        return {
            "scenarios": [row.as_json() for row in self.scenarios],
            "documents": [row.as_json() for row in self.documents],
            "pages": [row.as_json() for row in self.pages],
            "delivery": [row.as_json() for row in self.delivery],
            "ceiling_tps": round(self.ceiling.tps, 1) if self.ceiling else None,
            "transition_ratio": round(ratio, 3) if ratio is not None else None,
            "round_trips_per_transition": self.round_trips_per_transition,
            "run": self.run,
        }


def save(report: Report, path: Path) -> None:
    """latest.json, and a copy per scale (scale-<N>.json) for the 1,000,000 / 100,000 comparison."""
    text = json.dumps(report.as_json(), indent=2) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    (RESULTS / f"scale-{report.run['invoices']}.json").write_text(text)


def table(report: Report) -> str:
    run = report.run
    lines = [
        f"{run['invoices']:,} invoices over {run['tenants']} tenants; wrk {run['wrk_threads']} threads x "
        f"{run['wrk_connections']} connections, {run['seconds']} s per run; workers {run['workers']}",
    ]
    if report.ceiling:
        lines.append(
            f"ceiling: pgbench, the service's cancel/revert SQL, {run['ceiling_clients']} clients: "
            f"{report.ceiling.tps:,.1f} tps"
        )
    if report.round_trips:
        each = ", ".join(f"{direction} {count}" for direction, count in report.round_trips.items())
        lines.append(f"round trips per transition (PostgreSQL, BEGIN and COMMIT included): {each}")
    header = (
        "database",
        "scenario",
        "req/s",
        "CPU ms/req",
        "p50 ms",
        "p99 ms",
        "at req/s",
        "errors",
        "RSS MB/worker",
        "/ceiling",
    )
    lines += _aligned([header, *(_row(report, result) for result in report.scenarios)])
    lines += [f"  note: {result.database} {result.name}: {result.note}" for result in report.scenarios if result.note]
    return "\n".join(
        [*lines, "", *delivery_table(report), *documents_table(report), *pages_table(report), *targets(report)]
    )


def delivery_table(report: Report) -> list[str]:
    """The delivery phase: one worker's rate on a backlog, and the outbox lag under cancel/revert."""
    if not report.delivery:
        return []
    backlog = [
        ("database", "delivered", "seconds", "deliveries/s", "CPU ms/delivery", "failed", "duplicates"),
        *(
            (
                row.database,
                f"{row.backlog.delivered:,}",
                f"{row.backlog.seconds:.2f}",
                f"{row.backlog.per_second:,.1f}",
                f"{row.backlog.cpu_ms_per_delivery:.2f}",
                str(row.backlog.failed),
                str(row.backlog.duplicates),
            )
            for row in report.delivery
        ),
    ]
    load = [
        ("database", "worker", "req/s", "without", "lag p50 ms", "p99 ms", "max ms", "max depth", "drained s"),
        *(
            (
                row.database,
                row.lag_worker,
                f"{row.lag.load.rps:,.1f}",
                f"{row.rps_without_endpoints:,.1f}" if row.rps_without_endpoints is not None else "",
                f"{row.lag_p50_ms:,.0f}",
                f"{row.lag_p99_ms:,.0f}",
                f"{row.lag_max_ms:,.0f}",
                f"{max(row.lag.depths, default=0):,}",
                f"{row.lag.drain_seconds:.2f}",
            )
            for row in report.delivery
        ),
    ]
    return [
        "delivery: one worker, one endpoint per tenant (bench/receiver.py answering 204):",
        "A. one `invoicing worker` on the backlog a cancel/revert run left, from its first heartbeat:",
        *_aligned(backlog),
        "B. cancel/revert req/s with delivery running (without: its scenario's), outbox lag sampled every 0.25 s:",
        *_aligned(load),
        "",
    ]


def documents_table(report: Report) -> list[str]:
    """The documents phase: per document wall time and documents per CPU-second, one process."""
    if not report.documents:
        return []
    header = ("database", "document", "docs", "median ms", "p95 ms", "docs/s/core", "KB")
    rows = [
        header,
        *(
            (
                row.database,
                row.name,
                str(row.documents),
                f"{row.median_ms:.2f}",
                f"{row.p95_ms:.2f}",
                f"{row.per_core_per_s:,.1f}",
                f"{row.mean_kb:.1f}" if row.mean_kb else "",
            )
            for row in report.documents
        ),
    ]
    lines = ["documents (one process; snapshot_load's rate is per wall second, it waits on the database):"]
    lines += _aligned(rows)
    return [*lines, ""]


def pages_table(report: Report) -> list[str]:
    """The dashboard's pages, one at a time over one connection: the server's time (issue 15's aim: p99 < 50 ms)."""
    if not report.pages:
        return []
    header = ("database", "page", "requests", "p50 ms", "p99 ms", "max ms", "p99 < 50 ms")
    rows = [
        header,
        *(
            (
                row.database,
                row.name,
                str(row.requests),
                f"{row.p50_ms:.1f}",
                f"{row.p99_ms:.1f}",
                f"{row.max_ms:.1f}",
                "met" if row.p99_ms < PAGE_P99_AIM_MS else "MISSED",
            )
            for row in report.pages
        ),
    ]
    return ["dashboard pages (one signed-in client, one request at a time, tenant 1):", *_aligned(rows), ""]


def _aligned(rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(width) if index < 2 else cell.rjust(width)
            for index, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def _row(report: Report, result: ScenarioResult) -> tuple[str, ...]:
    ratio = report.transition_ratio if result.name == "cancel_revert" and result.database == "postgresql" else None
    return (
        result.database,
        result.name,
        f"{result.rps:,.1f}",
        f"{result.cpu_ms_per_request:.2f}",
        f"{result.p50_ms:.2f}",
        f"{result.p99_ms:.2f}",
        f"{result.latency_rps:,.1f}",
        str(result.errors),
        f"{result.rss_mb:.1f}",
        f"{ratio:.2f}" if ratio is not None else "",
    )


def targets(report: Report) -> list[str]:
    """Issue 14's targets beside this run's PostgreSQL figures, for reference: nothing fails on
    them. The two set against the plain FastAPI + asyncpg service need that service measured in the
    same run, which ../shared/peers/side_by_side.sh does; here they show this service's figure."""
    rows = {result.name: result for result in report.scenarios if result.database == "postgresql"}
    if not rows:
        return []
    worst = max(rows.values(), key=lambda result: result.p99_ms)
    transition = rows.get("cancel_revert")
    round_trips = report.round_trips_per_transition
    peer = "vs the plain service: side_by_side.sh"
    checks = [
        ("cancel/revert >= 2x the plain asyncpg service's cancel", _rate(rows, "cancel_revert"), peer),
        ("list 50 >= 1.5x the plain asyncpg service's list-50", _rate(rows, "list"), peer),
        ("get one >= 4,000 req/s", _rate(rows, "get"), _verdict(_rps(rows, "get"), 4000)),
        (
            "p99 at half the peak <= 15 ms, every hot endpoint",
            f"worst {worst.p99_ms:.1f} ms ({worst.name})",
            _verdict(-worst.p99_ms, -15),
        ),
        (
            "worker CPU per transition <= 0.4 ms",
            f"{transition.cpu_ms_per_request:.2f} ms" if transition else "n/a",
            _verdict(-transition.cpu_ms_per_request if transition else None, -0.4),
        ),
        (
            "round trips per transition <= 2, BEGIN and COMMIT included",
            str(round_trips) if round_trips is not None else "n/a",
            _verdict(-round_trips if round_trips is not None else None, -2),
        ),
        ("transition rate 1,000,000 / 100,000 >= 0.9", *scale_ratio()),
        ("RSS per worker at 1,000,000 invoices <= 120 MB", *rss_at_a_million(report)),
    ]
    label_width = max(len(label) for label, _shown, _verdict_text in checks)
    shown_width = max(len(shown) for _label, shown, _verdict_text in checks)
    lines = ["targets (PostgreSQL, issue 14):"]
    lines += [f"  {label:<{label_width}}  {shown:>{shown_width}}  {verdict}" for label, shown, verdict in checks]
    return lines


def _rps(rows: dict[str, ScenarioResult], name: str) -> float | None:
    return rows[name].rps if name in rows else None


def _rate(rows: dict[str, ScenarioResult], name: str) -> str:
    rps = _rps(rows, name)
    return f"{rps:,.0f} req/s" if rps is not None else "n/a"


def _verdict(value: float | None, floor: float) -> str:
    """`value` against `floor`, both negated where lower is better."""
    return "n/a" if value is None else "met" if value >= floor else "MISSED"


def scale_ratio() -> tuple[str, str]:
    """From the last runs at both scales (bench/results/scale-*.json), when there are both."""
    rates = []
    for scale in TARGET_SCALES:
        row = (_saved_postgresql_rows(scale) or {}).get("cancel_revert")
        if row is None:
            return "n/a", f"(run --scale {scale:,} with cancel_revert too)"
        rates.append(row["rps"])
    ratio = rates[1] / rates[0] if rates[0] else 0
    return f"{ratio:.2f}", _verdict(ratio, 0.9)


def rss_at_a_million(report: Report) -> tuple[str, str]:
    """The largest worker of this run if it seeded 1,000,000 invoices, else of the last run that did."""
    scale = TARGET_SCALES[-1]
    if report.run["invoices"] == scale:
        sizes = [result.rss_mb for result in report.scenarios if result.database == "postgresql"]
    else:
        sizes = [row["rss_mb"] for row in (_saved_postgresql_rows(scale) or {}).values()]
    if not sizes:
        return "n/a", f"(run --scale {scale:,} too)"
    return f"{max(sizes):.0f} MB", _verdict(-max(sizes), -120)


def _saved_postgresql_rows(scale: int) -> dict[str, dict[str, Any]] | None:
    """PostgreSQL's scenario rows of the last run at `scale`, by scenario, if there was one."""
    path = RESULTS / f"scale-{scale}.json"
    if not path.exists():
        return None
    scenarios = json.loads(path.read_text())["scenarios"]
    return {row["name"]: row for row in scenarios if row["database"] == "postgresql"}


def write_docs(report: Report, script: str | None) -> None:
    """Replaces the "Latest results" section of docs/benchmarks.md (between its markers)."""
    run, machine = report.run, report.run["machine"]
    seeding = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in run["seed_seconds"].items())
    parts = [
        DOCS_START,
        "",
        f"Run {run['date']} on {machine['cpus']} CPUs ({machine['cpu_model']}), {machine['memory_gb']} GB memory;",
        f"PostgreSQL {machine['postgresql']}, SQLite {machine['sqlite']}, {machine['wrk']}, "
        f"Python {machine['python']}.",
        f"Command: `{run['command']}`. Seeding took {seeding}.",
        "",
        "```text",
        table(report),
        "```",
    ]
    if script:
        parts += ["", "The ceiling's pgbench script, as captured in this run:", "", "```sql", script.rstrip(), "```"]
    parts += ["", DOCS_END]
    text = DOCS.read_text()
    pattern = re.compile(re.escape(DOCS_START) + ".*?" + re.escape(DOCS_END), flags=re.DOTALL)
    if not pattern.search(text):
        raise RuntimeError(f"{DOCS} has no {DOCS_START} ... {DOCS_END} section to fill")
    DOCS.write_text(pattern.sub(lambda _match: "\n".join(parts), text))
