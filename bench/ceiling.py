"""The ceiling: pgbench replaying the captured cancel/revert SQL, with nothing of the service around it.

Each pgbench transaction is one request's statements as the service sent them, its BEGIN and
COMMIT among them, whether SQLAlchemy or asyncpg sent them (both number their parameters `$n`).
Every bound value becomes a pgbench variable (`$3` -> `:c_cancel_1_3`, set with -D), so the
statements pgbench prepares are the service's text, parameter for parameter. Values that name the
invoice (its id, its version before and after) follow each client's cycle; a fresh public id gets a
random number per transaction; "now", the request id and the outbox message's rendered payload
stay as captured. A bound value the capture cannot explain stops the harness rather than producing
a ceiling of other SQL.

Each pgbench client owns a slice of the ceiling pool (all tenant 1's, so the captured bearer token
and tenant fit every invoice) and walks it like the wrk script: pass 0 cancels the whole slice,
pass 1 reverts it, and so on, so every transaction is a valid transition of an invoice whose
version the script knows (seeded at 2, one more per transition).
"""

import json
import os
import re
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg

from bench.capture import TRANSITIONS, Capture, CaptureError, Request
from bench.databases import BenchDatabase
from bench.layout import IdRange

SEEDED_VERSION = 2  # created, issued
HEX_24 = re.compile(r"^[0-9a-f]{24}$")  # core.ids.new_public_id
HEX_32 = re.compile(r"^[0-9a-f]{32}$")  # the request id (uuid4 hex)
PLACEHOLDER = re.compile(r"\$(\d+)")
FRESH_ID_RANGE = "100000000000000000, 999999999999999999"  # pgbench cannot print hex; 18 digits are unique enough


@dataclass(frozen=True, slots=True)
class PgbenchScript:
    text: str
    defines: dict[str, str]  # -D name=value


@dataclass(frozen=True, slots=True)
class CeilingRun:
    tps: float
    transactions: int
    failed: int
    command: list[str]


def build_script(capture: Capture, pool: IdRange, clients: int) -> PgbenchScript:
    slice_size = pool.count // clients
    if slice_size < 2:
        raise CaptureError(f"the ceiling pool ({pool.count} invoices) is too small for {clients} pgbench clients")
    defines = {"n": "-1", "first": str(pool.first), "slice": str(slice_size), "v0": str(SEEDED_VERSION)}
    fresh: list[str] = []
    bodies = {}
    for direction in TRANSITIONS:
        first, second = _two_requests(capture, direction)
        bodies[direction] = _transaction(direction, first, second, defines, fresh)
    header = [
        "-- The SQL the service sent for POST /api/v1/invoices/{id}/cancel and /revert-cancel,",
        f"-- captured {datetime.now().astimezone():%Y-%m-%d %H:%M %Z} by bench/capture.py (docs/benchmarks.md).",
        "-- Run with -M prepared and the -D values bench/run.py prints.",
        "\\set n :n + 1",
        "\\set slot :n % :slice",
        "\\set pass :n / :slice",
        "\\set id :first + :client_id * :slice + :slot",
        "\\set version :v0 + :pass",
        "\\set new_version :version + 1",
        *(f"\\set {name} random({FRESH_ID_RANGE})" for name in fresh),
    ]
    text = "\n".join([*header, "\\if :pass % 2 = 0", bodies["cancel"], "\\else", bodies["revert"], "\\endif", ""])
    return PgbenchScript(text=text, defines=defines)


HOT_CLAIM = "invoicing_hot_claim("  # invoicing.hotpath.routines


def _two_requests(capture: Capture, direction: str) -> tuple[Request, Request]:
    first, second = capture.requests[direction]
    if [statement.sql for statement in first.statements] != [statement.sql for statement in second.statements]:
        raise CaptureError(f"the two captured {direction} requests sent different SQL; cannot build one script")
    if first.version_before == second.version_before:
        raise CaptureError("the two captured invoices had the same version; their values cannot be told apart")
    return first, second


def _transaction(direction: str, first: Request, second: Request, defines: dict[str, str], fresh: list[str]) -> str:
    """The request's statements, one pgbench command each. pgbench splits a text of several
    statements (an asyncpg pool's reset query, one round trip for the service) into as many
    commands, each a round trip of its own: only -M simple could join them (`\\;`)."""
    lines = []
    for index, (one, other) in enumerate(zip(first.statements, second.statements, strict=True), start=1):
        names = {}
        for position, (value, twin) in enumerate(zip(one.parameters, other.parameters, strict=True), start=1):
            names[position] = _variable(
                f"c_{direction}_{index}_{position}", value, twin, first, second, one.sql, defines, fresh
            )
        sql = PLACEHOLDER.sub(lambda match, names=names: names[int(match.group(1))], one.sql)  # type: ignore[misc]
        lines.append(sql.strip().rstrip(";").rstrip() + ";")  # asyncpg's BEGIN and COMMIT end in one
    return "\n".join(lines)


def _variable(
    name: str,
    value: Any,
    twin: Any,
    first: Request,
    second: Request,
    sql: str,
    defines: dict[str, str],
    fresh: list[str],
) -> str:
    """What pgbench sends for one bound value: a per-invoice variable, a fresh id, NULL or a constant."""
    pair = (value, twin)
    roles = {
        (first.invoice_id, second.invoice_id): ":id",
        (first.version_before, second.version_before): ":version",
        (first.version_after, second.version_after): ":new_version",
    }
    if value != twin:
        if pair in roles:
            return roles[pair]
        # A new row's public id: in an INSERT, or among a hot function's arguments (its claim inserts
        # the event and the outbox message with the ids the server made).
        if isinstance(value, str) and HEX_24.match(value) and ("INSERT" in sql.upper() or HOT_CLAIM in sql):
            fresh.append(name)
            return f":{name}"
        if _is_outbox_payload(value, sql) and _is_outbox_payload(twin, sql):
            # The change's webhook message renders the invoice as it left it; pgbench sends the
            # first capture's rendering for every invoice: the same size, and the database never
            # reads inside it, so the INSERT costs it the same.
            defines[name] = value
            return f":{name}"
        if _differs_in_times_only(value, twin):
            pass  # a hot transition's changes (`{"cancelled_at": <now>}`): "now" stays as captured, as below
        elif not (isinstance(value, datetime) or (isinstance(value, str) and HEX_32.match(value))):
            raise CaptureError(f"cannot tell what the bound value {value!r} / {twin!r} is in:\n{sql}")
    if value is None:
        return "NULL"
    defines[name] = _text(value)
    return f":{name}"


def _differs_in_times_only(value: Any, twin: Any) -> bool:
    """Two JSON objects with the same keys whose differing values are all timestamps."""
    try:
        one, other = json.loads(value), json.loads(twin)
    except (TypeError, ValueError):
        return False
    if not (isinstance(one, dict) and isinstance(other, dict)) or one.keys() != other.keys():
        return False
    for key in one:
        if one[key] != other[key]:
            try:
                datetime.fromisoformat(one[key])
                datetime.fromisoformat(other[key])
            except (TypeError, ValueError):
                return False
    return True


def _is_outbox_payload(value: Any, sql: str) -> bool:
    if isinstance(value, dict):  # a json codec's argument
        value = json.dumps(value)
    if not (isinstance(value, str) and value.startswith("{") and "INSERT INTO outbox_messages" in sql):
        return False
    try:
        rendered = json.loads(value)
    except ValueError:
        return False
    return isinstance(rendered, dict) and {"type", "timestamp", "data"} <= rendered.keys()


def _text(value: Any) -> str:
    """A bound value as PostgreSQL reads it in text: asyncpg's arguments are Python values (a list
    for an array parameter, a dict where a json codec is set), SQLAlchemy's already plain ones."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "{" + ",".join("NULL" if item is None else _array_item(_text(item)) for item in value) + "}"
    return str(value)


def _array_item(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run_pgbench(
    database: BenchDatabase, script: PgbenchScript, path: Path, *, clients: int, threads: int, seconds: int
) -> CeilingRun:
    """pgbench as the role the service acts as (row-level security applies to it as well)."""
    path.write_text(script.text)
    command = ["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", str(threads), "-T", str(seconds)]
    for name, value in script.defines.items():
        command += ["-D", f"{name}={value}"]
    command += ["-f", str(path), database.plain_postgres_url]
    environment = os.environ | {"PGOPTIONS": "-c role=invoicing_app"}
    finished = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)  # noqa: S603
    if finished.returncode != 0:
        raise CaptureError(f"pgbench failed ({finished.returncode}):\n{finished.stderr[-2000:]}")
    return CeilingRun(
        tps=float(_figure(finished.stdout, r"tps = ([\d.]+)")),
        transactions=int(_figure(finished.stdout, r"number of transactions actually processed: (\d+)")),
        failed=int(_figure(finished.stdout, r"number of failed transactions: (\d+)", default="0")),
        command=command,
    )


def _figure(output: str, pattern: str, default: str | None = None) -> str:
    found = re.search(pattern, output)
    if found:
        return found.group(1)
    if default is not None:
        return default
    raise CaptureError(f"pgbench printed no {pattern!r}:\n{output[-2000:]}")


async def replayed_events(database: BenchDatabase, pool: IdRange) -> int:
    """Events pgbench wrote (its public ids are 18 digits): one per transaction that really changed an invoice."""
    connection = await asyncpg.connect(database.plain_postgres_url)
    try:
        count: int = await connection.fetchval(
            "SELECT count(*) FROM invoice_events WHERE invoice_id BETWEEN $1 AND $2 AND length(public_id) = 18",
            pool.first,
            pool.last,
        )
        return count
    finally:
        await connection.close()
