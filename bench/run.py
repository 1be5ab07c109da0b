"""`make bench`: seed, measure the pgbench ceiling, load the service with wrk, report (docs/benchmarks.md).

Run from the repository with the project's virtualenv: `.venv/bin/python -m bench.run --help`.
"""

import asyncio
import contextlib
import os
import shlex
import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import click
from sqlalchemy.engine import make_url

from bench import ceiling, delivery, report
from bench.capture import TRANSITIONS, Capture, capture_transitions
from bench.databases import DEFAULT_POSTGRES_URL, BenchDatabase, admin_url, postgres_database, sqlite_database
from bench.documents import measure_documents
from bench.layout import CAPTURE_INVOICES, CEILING_TENANT, Layout, plan
from bench.load import CANCEL_REVERT, SCENARIO_NAMES, SCENARIOS, LoadShape, Scenario, WrkRun, run_wrk
from bench.machine import describe, missing_tools, postgresql_version
from bench.pages import measure_pages
from bench.report import RESULTS, Report, ScenarioResult
from bench.seed import Seeded, seed
from bench.server import Background, Server
from invoicing.config import get_settings

CPUS = os.cpu_count() or 1
BROKEN_ERROR_SHARE = 0.5  # more failed requests than this: the harness (or the service) is broken


@dataclass(frozen=True, slots=True)
class Options:
    layout: Layout
    shape: LoadShape
    warmup_seconds: int
    ceiling_clients: int
    workers: dict[str, int]
    scenarios: tuple[Scenario, ...]
    documents: int
    delivery: bool
    pages: int
    workdir: Path


def progress(message: str) -> None:
    click.echo(f"[bench {datetime.now():%H:%M:%S}] {message}", err=True)


@click.command(context_settings={"show_default": True, "max_content_width": 100})
@click.option("--scale", "invoices", type=click.IntRange(2_000, 1_000_000), default=100_000, help="Invoices to seed.")
@click.option("--tenants", type=click.IntRange(1), default=100, help="Tenants they are spread over.")
@click.option("--seconds", type=click.IntRange(1), default=10, help="Length of every timed run (and of pgbench's).")
@click.option("--connections", type=click.IntRange(1), default=8, help="wrk connections (8 saturate 2 cores).")
@click.option("--threads", type=click.IntRange(1), default=CPUS, help="wrk threads.")
@click.option(
    "--warmup", type=click.IntRange(0), default=3, help="Seconds of reads after the server starts, unmeasured."
)
@click.option("--ceiling-clients", type=click.IntRange(1), default=8, help="pgbench clients.")
@click.option("--postgresql-workers", type=click.IntRange(1), default=CPUS, help="WORKERS for PostgreSQL.")
@click.option("--sqlite-workers", type=click.IntRange(1), default=1, help="WORKERS for SQLite.")
@click.option(
    "--database",
    "databases",
    type=click.Choice(["postgresql", "sqlite"]),
    multiple=True,
    default=("postgresql", "sqlite"),
    help="Databases to run on (repeat the option for both).",
)
@click.option(
    "--scenario",
    "scenario_names",
    type=click.Choice(SCENARIO_NAMES),
    multiple=True,
    default=SCENARIO_NAMES,
    help="Scenarios to run (repeatable).",
)
@click.option(
    "--documents",
    type=click.IntRange(0),
    default=200,
    help="Invoices issued and rendered (PDF, Factur-X, CII, UBL) in the documents phase; 0 skips it.",
)
@click.option(
    "--delivery/--no-delivery",
    default=True,
    help="The delivery phase: one worker's webhooks per second on a backlog, and the outbox lag under cancel/revert.",
)
@click.option(
    "--pages",
    type=click.IntRange(0),
    default=300,
    help="Requests of each dashboard page (invoice list, by cursor, invoice) in the pages phase; 0 skips it.",
)
@click.option("--output", type=click.Path(path_type=Path), default=RESULTS / "latest.json", help="Where the JSON goes.")
@click.option("--write-docs", is_flag=True, help='Also fill "Latest results" in docs/benchmarks.md.')
def main(
    invoices: int,
    tenants: int,
    seconds: int,
    connections: int,
    threads: int,
    warmup: int,
    ceiling_clients: int,
    postgresql_workers: int,
    sqlite_workers: int,
    databases: tuple[str, ...],
    scenario_names: tuple[str, ...],
    documents: int,
    delivery: bool,
    pages: int,
    output: Path,
    write_docs: bool,
) -> None:
    """Seed INVOICES over TENANTS, measure the pgbench ceiling and every scenario end to end over HTTP."""
    missing = missing_tools(["wrk", *(["pgbench"] if "postgresql" in databases else [])])
    if missing:
        raise click.ClickException("missing tools:\n  " + "\n  ".join(missing))
    try:
        layout = plan(invoices, tenants)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--scale/--tenants") from None
    workdir = Path(tempfile.mkdtemp(prefix="invoicing-bench-"))  # the tokens: secrets of the bench databases
    options = Options(
        layout=layout,
        shape=LoadShape(threads=min(threads, connections), connections=connections, seconds=seconds),
        warmup_seconds=warmup,
        ceiling_clients=ceiling_clients,
        workers={"postgresql": postgresql_workers, "sqlite": sqlite_workers},
        scenarios=tuple(scenario for scenario in SCENARIOS if scenario.name in scenario_names),
        documents=documents,
        delivery=delivery,
        pages=pages,
        workdir=workdir,
    )
    try:
        result = run_all(options, databases)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report.save(result, output)
    click.echo(report.table(result))
    click.echo(f"\nsaved {output}")
    if write_docs:
        script = RESULTS / "ceiling.pgbench"
        report.write_docs(result, script.read_text() if result.ceiling and script.exists() else None)
        click.echo(f"updated {report.DOCS}")
    broken = [row for row in result.scenarios if row.note.startswith("broken")]
    if broken:
        raise click.ClickException("; ".join(f"{row.database} {row.name}: {row.note}" for row in broken))


def run_all(options: Options, databases: tuple[str, ...]) -> Report:
    postgresql = postgres_database(_postgres_server_url())
    version = _server_version(postgresql) if "postgresql" in databases else None
    result = Report(run=_run_description(options, version))
    for kind in ("postgresql", "sqlite"):
        if kind in databases:
            bench_database(postgresql if kind == "postgresql" else sqlite_database(), options, result)
    return result


def _server_version(database: BenchDatabase) -> str:
    """Also the check that the server is there, before anything is dropped or seeded."""
    try:
        return asyncio.run(postgresql_version(admin_url(database)))
    except (OSError, asyncpg.PostgresError) as error:
        raise click.ClickException(
            f"cannot reach PostgreSQL at {make_url(admin_url(database))} ({error}); start it or set DATABASE_URL"
        ) from None


def _postgres_server_url() -> str:
    """DATABASE_URL (environment or .env) when it names a PostgreSQL server, else the local one."""
    configured = get_settings().database_url
    return configured if configured.startswith(("postgresql:", "postgres:")) else DEFAULT_POSTGRES_URL


def _run_description(options: Options, postgresql: str | None) -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "invoices": options.layout.invoices,
        "tenants": options.layout.tenants,
        "seconds": options.shape.seconds,
        "wrk_threads": options.shape.threads,
        "wrk_connections": options.shape.connections,
        "workers": options.workers,
        "ceiling_clients": options.ceiling_clients,
        "documents": options.documents,
        "delivery": options.delivery,
        "command": shlex.join(["python", "-m", "bench.run", *sys.argv[1:]]),
        "machine": describe(postgresql),
        "seed_seconds": {},
        "database_mb": {},
    }


def bench_database(database: BenchDatabase, options: Options, result: Report) -> None:
    kind = database.kind
    progress(f"{kind}: seeding {options.layout.invoices:,} invoices over {options.layout.tenants} tenants")
    seeded = asyncio.run(seed(database, options.layout, lambda message: progress(f"{kind}: {message}")))
    progress(f"{kind}: seeded in {seeded.seconds:.1f} s ({seeded.size_mb:,.0f} MB)")
    result.run["seed_seconds"][kind] = round(seeded.seconds, 1)
    result.run["database_mb"][kind] = round(seeded.size_mb, 1)
    tokens = options.workdir / f"{kind}-tokens.txt"
    tokens.write_text("\n".join(seeded.tokens_by_tenant()) + "\n")
    if kind == "postgresql":
        captured = capture(database, options.layout, seeded)
        result.round_trips = {direction: captured.round_trips(direction) for direction in TRANSITIONS}
        result.ceiling = measure_ceiling(database, options, captured)
    RESULTS.mkdir(parents=True, exist_ok=True)
    # The delivery phase's settings change nothing for the scenarios; the server keeps DELIVERY_IN_SERVER
    # as `make run` has it (auto: a worker inside on SQLite, none on PostgreSQL).
    settings = delivery.delivery_settings()
    inside = delivery.server_runs_a_worker(database)
    backlog: delivery.Backlog | None = None
    lag: delivery.Lag | None = None
    with contextlib.ExitStack() as stack:
        receiver = (
            stack.enter_context(delivery.Receiver(RESULTS / f"{kind}-receiver.log")) if options.delivery else None
        )
        with Server(database, options.workers[kind], RESULTS / f"{kind}-server.log", settings) as server:
            server.wait_ready(seeded.tokens_by_tenant()[0], tenant_id=1, invoice_id=1)
            if options.warmup_seconds:
                warmup = LoadShape(options.shape.threads, options.shape.connections, options.warmup_seconds)
                _wrk(SCENARIOS[0], server, options, tokens, warmup, "peak")
            for scenario in options.scenarios:
                result.scenarios.append(measure_scenario(scenario, server, options, tokens, kind))
            if options.pages:
                progress(f"{kind}: pages: the dashboard's invoice list and invoice page, {options.pages} each")
                result.pages += measure_pages(database, server.base_url, options.layout, options.pages)
            if receiver is not None:
                asyncio.run(delivery.register_endpoints(database, server.base_url, receiver, options.layout.tenants))
                if inside:  # the lag with the worker this deployment runs: the server's own
                    lag = delivery_lag(server, options, tokens, receiver, server)
                else:
                    with delivery.DeliveryWorker(database, settings, RESULTS / f"{kind}-worker.log") as worker:
                        backlog = delivery_backlog(server, options, tokens, receiver, worker)
                        lag = delivery_lag(server, options, tokens, receiver, worker)
        if receiver is not None and inside:
            # The backlog needs a server with no worker inside: this one again, without.
            progress(f"{kind}: delivery: the server again, without its worker")
            settings |= {"DELIVERY_IN_SERVER": "off"}
            log = RESULTS / f"{kind}-delivery-server.log"
            with Server(database, options.workers[kind], log, settings) as server:
                server.wait_ready(seeded.tokens_by_tenant()[0], tenant_id=1, invoice_id=1)
                with delivery.DeliveryWorker(database, settings, RESULTS / f"{kind}-worker.log") as worker:
                    backlog = delivery_backlog(server, options, tokens, receiver, worker)
    if backlog is not None and lag is not None:
        without = [row.rps for row in result.scenarios if row.database == kind and row.name == CANCEL_REVERT.name]
        where = "in the server" if inside else "invoicing worker"
        result.delivery.append(delivery.DeliveryResult(kind, backlog, lag, without[0] if without else None, where))
    if options.documents:
        # After the server stops: the renders get this process's core to themselves.
        progress(f"{kind}: documents: issuing and rendering {options.documents} invoices, one process")
        result.documents += asyncio.run(measure_documents(database, options.layout.tenants, options.documents))


def capture(database: BenchDatabase, layout: Layout, seeded: Seeded) -> Capture:
    progress("postgresql: capturing the SQL of one cancel and one revert")
    capture_ids = [layout.ceiling.first + offset for offset in range(CAPTURE_INVOICES)]
    token = seeded.tokens_by_tenant()[CEILING_TENANT - 1]
    captured = asyncio.run(capture_transitions(database, token, CEILING_TENANT, capture_ids))
    each = ", ".join(f"{direction} {captured.round_trips(direction)}" for direction in TRANSITIONS)
    progress(f"postgresql: {captured.round_trips_per_transition} round trips per transition ({each})")
    return captured


def measure_ceiling(database: BenchDatabase, options: Options, captured: Capture) -> ceiling.CeilingRun:
    layout = options.layout
    script = ceiling.build_script(captured, layout.ceiling_work, options.ceiling_clients)
    path = RESULTS / "ceiling.pgbench"
    progress(f"postgresql: pgbench for {options.shape.seconds} s with {options.ceiling_clients} clients ({path})")
    run = ceiling.run_pgbench(
        database,
        script,
        path,
        clients=options.ceiling_clients,
        threads=min(CPUS, options.ceiling_clients),
        seconds=options.shape.seconds,
    )
    click.echo(f"---- {path} (captured) ----\n{script.text}---- run as: {shlex.join(run.command)}\n")
    written = asyncio.run(ceiling.replayed_events(database, layout.ceiling_work))
    if run.failed or written < run.transactions:
        raise click.ClickException(
            f"pgbench's transactions did not all change an invoice ({run.transactions} run, {run.failed} failed, "
            f"{written} events written): the captured SQL no longer replays; see {path}"
        )
    progress(f"postgresql: ceiling {run.tps:,.1f} tps")
    return run


def measure_scenario(scenario: Scenario, server: Server, options: Options, tokens: Path, kind: str) -> ScenarioResult:
    progress(f"{kind}: {scenario.name}: peak, {options.shape.seconds} s")
    cpu_before = server.cpu_seconds_by_process()
    peak = _wrk(scenario, server, options, tokens, options.shape, "peak")
    cpu_after = server.cpu_seconds_by_process()
    cpu = sum(cpu_after[pid] - cpu_before[pid] for pid in cpu_before.keys() & cpu_after.keys())
    half = peak.rps / 2
    progress(f"{kind}: {scenario.name}: {peak.rps:,.1f} req/s; latency at {half:,.1f} req/s")
    latency = _wrk(scenario, server, options, tokens, options.shape, "latency", rate=half)
    return ScenarioResult(
        name=scenario.name,
        database=kind,
        rps=peak.rps,
        cpu_ms_per_request=1000 * cpu / peak.requests if peak.requests else 0.0,
        latency_rps=latency.rps,
        p50_ms=latency.p50_ms,
        p99_ms=latency.p99_ms,
        errors=peak.errors + latency.errors,
        rss_mb=server.rss_mb_per_worker(),
        note=_note(scenario, options, peak, latency),
    )


def delivery_backlog(
    server: Server, options: Options, tokens: Path, receiver: delivery.Receiver, worker: delivery.DeliveryWorker
) -> delivery.Backlog:
    """A: the backlog a cancel/revert run leaves with no worker running, then `worker` (started
    here) delivering it. Pre: `server` runs no worker."""
    kind = server.database.kind
    progress(f"{kind}: delivery: a backlog from {options.shape.seconds} s of cancel/revert, no worker running")
    built = _wrk(CANCEL_REVERT, server, options, tokens, options.shape, "backlog")
    before = asyncio.run(delivery.before_worker(server.database, receiver))
    progress(f"{kind}: delivery: {before.messages:,} messages waiting; one `invoicing worker` starts")
    worker.start()
    backlog = asyncio.run(delivery.drain_backlog(built, before, worker, receiver, server.database))
    progress(f"{kind}: delivery: {backlog.delivered:,} in {backlog.seconds:.1f} s ({backlog.per_second:,.1f}/s)")
    return backlog


def delivery_lag(
    server: Server, options: Options, tokens: Path, receiver: delivery.Receiver, worker: Background
) -> delivery.Lag:
    """B: the outbox under the cancel/revert load while `worker` delivers."""
    kind = server.database.kind
    progress(f"{kind}: delivery: cancel/revert for {options.shape.seconds} s, the outbox sampled")
    lag = asyncio.run(
        delivery.lag_under_load(
            lambda: _wrk(CANCEL_REVERT, server, options, tokens, options.shape, "lag"),
            worker,
            receiver,
            server.database,
        )
    )
    progress(f"{kind}: delivery: {lag.load.rps:,.1f} req/s; drained {lag.drain_seconds:.1f} s after")
    return lag


def _wrk(
    scenario: Scenario, server: Server, options: Options, tokens: Path, shape: LoadShape, run: str, rate: float = 0
) -> WrkRun:
    pool = scenario.pool(options.layout, run)
    return run_wrk(
        scenario, server.base_url, shape, pool=pool, tokens=tokens, tenants=options.layout.tenants, rate=rate
    )


def _note(scenario: Scenario, options: Options, *runs: WrkRun) -> str:
    # A pool that ran out comes first: its repeated requests are refused (409), which is the
    # dataset being too small for the rate reached, not the service or the harness failing.
    if scenario.consumes:
        for name, run in zip(("peak", "latency"), runs, strict=True):
            per_thread = scenario.pool(options.layout, name).count // options.shape.threads
            if run.most_sent_by_a_thread > per_thread:
                return f"the {name} run needed more than its {per_thread:,} invoices per thread: use a larger --scale"
    requests = sum(run.requests for run in runs)
    errors = sum(run.errors for run in runs)
    if requests == 0 or errors > BROKEN_ERROR_SHARE * requests:
        return f"broken: {errors} of {requests} requests failed (see bench/results/*-server.log)"
    return ""


if __name__ == "__main__":
    main()
