"""`make bench`'s report: the CPU per request of every scenario, the round trips per transition,
and issue 14's targets beside PostgreSQL's figures."""

import json
from pathlib import Path

import pytest
from bench import report
from bench.report import Report, ScenarioResult

RUN = {"invoices": 10_000, "tenants": 4, "seconds": 2, "wrk_threads": 2, "wrk_connections": 8, "workers": {}}


def scenario(name: str, database: str = "postgresql", **figures: float) -> ScenarioResult:
    values = {"rps": 500.0, "cpu_ms_per_request": 2.0, "p99_ms": 10.0, "rss_mb": 100.0} | figures
    return ScenarioResult(
        name=name,
        database=database,
        rps=values["rps"],
        cpu_ms_per_request=values["cpu_ms_per_request"],
        latency_rps=values["rps"] / 2,
        p50_ms=values["p99_ms"] / 2,
        p99_ms=values["p99_ms"],
        errors=0,
        rss_mb=values["rss_mb"],
    )


def saved_run(results: Path, invoices: int, *rows: ScenarioResult) -> None:
    scenarios = [row.as_json() for row in rows]
    (results / f"scale-{invoices}.json").write_text(json.dumps({"scenarios": scenarios}))


@pytest.fixture
def results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(report, "RESULTS", tmp_path)
    return tmp_path


def test_every_scenario_row_carries_its_cpu_per_request_and_the_run_its_round_trips(results: Path) -> None:
    run = Report(run=RUN, scenarios=[scenario("get", cpu_ms_per_request=1.234)], round_trips={"cancel": 9})

    figures = run.as_json()
    header, row = report.table(run).splitlines()[2:4]

    assert figures["scenarios"][0]["cpu_ms_per_request"] == 1.234
    assert figures["round_trips_per_transition"] == 9
    assert "CPU ms/req" in header.split("  ")
    assert row.split()[:4] == ["postgresql", "get", "500.0", "1.23"]
    assert report.table(run).splitlines()[1] == (
        "round trips per transition (PostgreSQL, BEGIN and COMMIT included): cancel 9"
    )


def test_the_targets_block_shows_each_of_issue_14s_figures_beside_its_target(results: Path) -> None:
    saved_run(results, 100_000, scenario("cancel_revert", rps=600))
    saved_run(results, 1_000_000, scenario("cancel_revert", rps=570, rss_mb=118.4), scenario("get", rss_mb=125))
    run = Report(
        run=RUN,
        scenarios=[
            scenario("get", rps=4_100, p99_ms=9),
            scenario("list", rps=350, p99_ms=16.5),
            scenario("cancel_revert", rps=700, cpu_ms_per_request=0.35),
            scenario("get", database="sqlite", p99_ms=99),  # SQLite's rows are not the targets'
        ],
        round_trips={"cancel": 3, "revert": 2},
    )

    lines = report.targets(run)

    assert lines[0] == "targets (PostgreSQL, issue 14):"
    shown = {line[:60].strip(): line[60:].split(maxsplit=1) for line in lines[1:]}
    peer = "vs the plain service: side_by_side.sh"
    assert shown == {
        "cancel/revert >= 2x the plain asyncpg service's cancel": ["700", "req/s  " + peer],
        "list 50 >= 1.5x the plain asyncpg service's list-50": ["350", "req/s  " + peer],
        "get one >= 4,000 req/s": ["4,100", "req/s  met"],
        "p99 at half the peak <= 15 ms, every hot endpoint": ["worst", "16.5 ms (list)  MISSED"],
        "worker CPU per transition <= 0.4 ms": ["0.35", "ms  met"],
        "round trips per transition <= 2, BEGIN and COMMIT included": ["3", "MISSED"],
        "transition rate 1,000,000 / 100,000 >= 0.9": ["0.95", "met"],
        "RSS per worker at 1,000,000 invoices <= 120 MB": ["125", "MB  MISSED"],
    }


def test_targets_that_need_a_run_at_another_scale_say_which(results: Path) -> None:
    run = Report(run=RUN, scenarios=[scenario("cancel_revert")])

    lines = {line.split("  ")[1]: line for line in report.targets(run)[1:]}

    assert lines["transition rate 1,000,000 / 100,000 >= 0.9"].endswith(
        "n/a  (run --scale 100,000 with cancel_revert too)"
    )
    assert lines["RSS per worker at 1,000,000 invoices <= 120 MB"].endswith("n/a  (run --scale 1,000,000 too)")
    assert lines["round trips per transition <= 2, BEGIN and COMMIT included"].endswith("n/a  n/a")
