#!/usr/bin/env python3
"""Crash test: SIGKILL the server and the outbox worker under retried, idempotent load, then
audit the database and what the webhook receiver got.

For each database (a scratch SQLite file, and/or a scratch PostgreSQL database that is dropped
at the end) the script migrates, creates a tenant and a token with the `invoicing` CLI, starts
`invoicing serve` on a free loopback port (DELIVERY_IN_SERVER=off) and `invoicing worker`
beside it, registers a webhook receiver of its own (scripts/crash_delivery.py, on another loopback port) as
the tenant's endpoint through the API, and runs concurrent clients that perform random
lifecycle actions (create customer, create / edit / issue / send / delete a draft, record
payments, cancel, revert-cancel, void, archive, unarchive). Every request carries a fresh
Idempotency-Key (also sent as X-Request-ID, so each invoice event names the request that made
it, and put into the created row: customer `job`, draft `notes`, payment `reference`). A
request is retried with the same key and the same bytes on connection errors, timeouts, 5xx,
429 and 409 idempotency_key_in_flight until it gets a definitive answer: 2xx (acknowledged) or
another 4xx (refused). Some requests are sent twice at once, and some attempts use a very short
timeout, so retries also race their own first attempt; some invoice changes carry If-Match with
the version the client last saw, which a retry keeps even once its own first attempt made it stale.

Meanwhile a killer SIGKILLs the server's whole process group at random moments and restarts it,
until `--duration` has passed and at least `--min-kills` kills happened (bounded absolutely by
`--max-duration`); a second killer does the same to the worker (`--worker-min-uptime` to
`--worker-max-uptime` seconds after its first heartbeat; its leases last 5 s). The receiver
answers 204, or 500 to the first attempt of about 3% of the message ids. The outbox's depth and
oldest age are sampled every 0.5 s. After the load one worker runs until the outbox is drained
(`--drain-timeout`); then, with it stopped, the audit reads the database (read-only), the
receiver's records and the API, and counts violations:

  lost_acknowledged  an acknowledged request whose change (or stored response) is missing
  duplicates         a request applied more than once (two rows or two events for one key)
  atomicity          a change without its stored key, or a stored key without its change
  refused_applied    a request answered 4xx that nevertheless changed something, though none of its
                     attempts timed out (one that did may still run on the server: counted apart)
  ack_mismatch       the 2xx body a client saw differs from the stored first response, or
                     names other rows than the ones its key created
  events_vs_state    events do not replay to the invoice's state (status, version, payments,
                     cancel/archive flags, sequence 1..version without gaps)
  half_changed       an invoice whose fields disagree (number, timestamps, lines, totals,
                     payments) or differ from the last response that changed it
  numbering          document numbers of a (series, year) not exactly 1..counter
  orphans            rows, events or stored keys no request of this run explains
  api                the API's view differs from the database, or a retry is not replayed
  protocol           422 idempotency_key_reused for a retry of the same bytes
  webhooks_lost      a committed webhook message the receiver never acknowledged (by webhook-id)
  webhooks_phantom   a webhook-id received that no committed message has (a rolled-back change's)
  webhooks_mismatch  a body received that is not the stored payload byte for byte, a signature
                     the `standardwebhooks` verifier refuses, or receipts of one id with other bodies
  events_without_message / message_without_event
                     an invoice or credit note event without exactly one webhook message of its
                     subject and type (the subject's messages in the order of its events), or back
  undelivered        a message not fanned out into one delivery per endpoint (webhook) or one
                     (e-mail), or a delivery not 'delivered' at the end
  email_outcomes     an e-mail message whose outcome is not recorded exactly once on its invoice
                     (`invoice.email_delivered` / `_failed`, by the worker), or such an event naming
                     no e-mail message
  self_test          a fault planted in a copy of the snapshot (in memory) went unnoticed

It prints its figures (among them webhooks received, distinct ids, repeats after a 500 or after a
worker kill, worker kills, drain seconds, the outbox's largest depth and age) and exits 1 on any
violation, on fewer kills than `--min-kills`, or when the server or the worker does not come
back. Run `scripts/crash_test.py --help` for the knobs.
"""

# Pseudo-random choices drive the load, not secrets.
# ruff: noqa: S311

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import asyncpg
import crash_delivery as delivery
import httpx

HOST = "127.0.0.1"  # the server listens on loopback only
API = "/api/v1"
DEFAULT_POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
READY_PATH = f"{API}/invoices?limit=1"
WORKER_LEASE_SECONDS = 5
# The endpoint is registered with its own token: the load's token has no tenant:manage.
MANAGE_SCOPES = "invoices:read invoices:write tenant:manage"
LAG_SAMPLE_SECONDS = 0.5
ANSWER_KILL_RATE = 0.5  # share of worker kills sent right after the receiver answers (the rest: any time)
SHORT_READ_TIMEOUT = (0.005, 0.08)  # seconds: a client that gives up while the server still works
EXAMPLES_SHOWN = 8
ZERO = Decimal(0)

# Statuses, as docs/lifecycle.md names them.
DRAFT, ISSUED, PARTIALLY_PAID, PAID = "draft", "issued", "partially_paid", "paid"
CANCELLED, VOID, DELETED = "cancelled", "void", "deleted"
NUMBERED = {ISSUED, PARTIALLY_PAID, PAID, CANCELLED, VOID}

VIOLATION_KINDS = (
    "lost_acknowledged",
    "duplicates",
    "atomicity",
    "refused_applied",
    "ack_mismatch",
    "events_vs_state",
    "half_changed",
    "numbering",
    "orphans",
    "api",
    "protocol",
    *delivery.DELIVERY_VIOLATION_KINDS,
    "self_test",
)

# What one applied request of each kind leaves behind under its key, as (least, most) rows;
# kinds not named are (0, 0). Archive and unarchive are idempotent: no event when nothing changed.
EFFECTS: dict[str, dict[str, tuple[int, int]]] = {
    "create_customer": {"customers": (1, 1)},
    "create_draft": {"invoices": (1, 1), "events": (1, 1)},
    "update_draft": {"events": (1, 1)},
    "issue": {"events": (1, 1)},
    "send": {"events": (1, 1)},
    "payment": {"payments": (1, 1), "events": (1, 1)},
    "cancel": {"events": (1, 1)},
    "revert_cancel": {"events": (1, 1)},
    "void": {"events": (1, 1)},
    "delete": {"events": (1, 1)},
    "archive": {"events": (0, 1)},
    "unarchive": {"events": (0, 1)},
}
EFFECT_KINDS = ("events", "payments", "customers", "invoices")

# Which invoices each action is aimed at most of the time (the rest go anywhere, to be refused).
TARGETS: dict[str, set[str]] = {
    "update_draft": {DRAFT},
    "issue": {DRAFT},
    "send": {DRAFT, ISSUED, PARTIALLY_PAID, PAID},
    "payment": {ISSUED, PARTIALLY_PAID},
    "cancel": {ISSUED, PARTIALLY_PAID},
    "revert_cancel": {CANCELLED},
    "void": {ISSUED, CANCELLED},
    "delete": {DRAFT},
    "archive": {DRAFT, ISSUED, PARTIALLY_PAID, PAID, CANCELLED, VOID},
    "unarchive": {DRAFT, ISSUED, PARTIALLY_PAID, PAID, CANCELLED, VOID},
}
WEIGHTS = {
    "create_customer": 3,
    "create_draft": 12,
    "update_draft": 4,
    "issue": 10,
    "send": 4,
    "payment": 24,
    "cancel": 6,
    "revert_cancel": 6,
    "void": 4,
    "delete": 3,
    "archive": 4,
    "unarchive": 4,
}


class CrashTestError(Exception):
    """The run itself failed (the server did not come back, the CLI failed...): not a verdict."""


# -- options ---------------------------------------------------------------------------------


def parse_options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="SIGKILL the server under idempotent, retried load; then check nothing was lost or doubled.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--duration", type=float, default=60, help="Seconds of load (at least).")
    parser.add_argument("--min-kills", type=int, default=20, help="The load goes on until this many kills.")
    parser.add_argument(
        "--max-duration",
        type=float,
        default=None,
        help="Absolute bound on the load, seconds; None means 3x duration + 60.",
    )
    parser.add_argument("--concurrency", type=int, default=8, help="Concurrent clients.")
    parser.add_argument("--server-workers", type=int, default=1, help="`invoicing serve --workers`.")
    parser.add_argument("--seed", type=int, default=None, help="Random seed; None picks one (printed).")
    parser.add_argument("--min-uptime", type=float, default=0.3, help="Least seconds served between kills.")
    parser.add_argument("--max-uptime", type=float, default=1.5, help="Most seconds served between kills.")
    parser.add_argument(
        "--worker-min-uptime", type=float, default=1.0, help="Least seconds the outbox worker runs between kills."
    )
    parser.add_argument(
        "--worker-max-uptime", type=float, default=4.0, help="Most seconds the outbox worker runs between kills."
    )
    parser.add_argument(
        "--drain-timeout", type=float, default=120, help="Seconds the outbox has to drain after the load."
    )
    parser.add_argument("--request-timeout", type=float, default=10, help="Seconds per attempt.")
    parser.add_argument("--short-timeout-rate", type=float, default=0.05, help="Share of attempts that give up early.")
    parser.add_argument("--double-submit-rate", type=float, default=0.05, help="Share of requests sent twice at once.")
    parser.add_argument(
        "--if-match-rate", type=float, default=0.25, help="Share of invoice changes sent with If-Match."
    )
    parser.add_argument(
        "--call-budget", type=float, default=90, help="Seconds a request is retried before it is abandoned."
    )
    parser.add_argument("--ready-timeout", type=float, default=60, help="Seconds a (re)started server has to answer.")
    parser.add_argument("--seed-customers", type=int, default=8)
    parser.add_argument("--seed-invoices", type=int, default=24)
    parser.add_argument("--replay-sample", type=int, default=200, help="Acknowledged requests re-sent at the end.")
    parser.add_argument(
        "--postgres-url", default=DEFAULT_POSTGRES_URL, help="Admin URL to create the scratch database."
    )
    parser.add_argument("--invoicing", default=str(Path(sys.executable).with_name("invoicing")), help="The CLI.")
    parser.add_argument(
        "--parallel",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="With --database both, run the two databases at the same time (each its own server and port).",
    )
    parser.add_argument("--keep", action="store_true", help="Keep the scratch directory and database.")
    parser.add_argument(
        "--self-test",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Also plant faults in copies of the final snapshot (in memory) and require the audit to catch each.",
    )
    options = parser.parse_args(argv)
    if options.seed is None:
        options.seed = secrets.randbelow(2**31)
    if options.max_duration is None:
        options.max_duration = 3 * options.duration + 60
    if not 0 < options.min_uptime <= options.max_uptime:
        parser.error("need 0 < --min-uptime <= --max-uptime")
    if not 0 < options.worker_min_uptime <= options.worker_max_uptime:
        parser.error("need 0 < --worker-min-uptime <= --worker-max-uptime")
    if options.concurrency < 1 or options.server_workers < 1 or options.min_kills < 0:
        parser.error("--concurrency and --server-workers must be >= 1, --min-kills >= 0")
    return options


# -- the scratch database and the server -----------------------------------------------------


class ScratchDatabase:
    def __init__(self, kind: str, workdir: Path, admin_url: str) -> None:
        self.kind = kind
        self.admin_url = admin_url
        self.name = f"crash_{secrets.token_hex(6)}"
        self.path = workdir / "crash.db"
        self.created = False

    @property
    def url(self) -> str:
        if self.kind == "sqlite":
            return f"sqlite:///{self.path}"
        return self.admin_url.rsplit("/", 1)[0] + f"/{self.name}"

    async def create(self) -> None:
        if self.kind == "postgresql":
            try:
                await self._admin(f'CREATE DATABASE "{self.name}"')
            except (OSError, TimeoutError, asyncpg.PostgresError) as error:
                raise CrashTestError(
                    f"cannot create a scratch database at {self.admin_url} ({type(error).__name__}: {error}); "
                    "start PostgreSQL, set --postgres-url (or TEST_POSTGRES_URL), or use --database sqlite"
                ) from None
        self.created = True

    async def drop(self) -> None:
        if self.kind == "postgresql" and self.created:
            await self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.created = False

    async def _admin(self, sql: str) -> None:
        connection = await asyncpg.connect(self.admin_url, timeout=10)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


# Runs in the server's process before it becomes `invoicing serve` (same pid): on Linux the
# server then dies with this script even if the script is SIGKILLed (PR_SET_PDEATHSIG, which
# survives exec). A separate program rather than preexec_fn, which is unsafe with threads.
DIE_WITH_PARENT = (
    "import ctypes, os, signal, sys\n"
    "if sys.platform.startswith('linux'):\n"
    "    ctypes.CDLL(None).prctl(1, signal.SIGKILL)\n"
    "os.execv(sys.argv[1], sys.argv[1:])\n"
)


def _group_alive(pgid: int) -> bool:
    """Whether any live (non-zombie) process is still in the process group (Linux /proc)."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            return True
    return False


class Supervised:
    """An `invoicing` command in its own session: SIGKILL goes to the whole group (uvicorn workers too)."""

    def __init__(self, cli: str, args: list[str], env: dict[str, str], workdir: Path, name: str) -> None:
        self.cli = cli
        self.args = args
        self.env = env
        self.workdir = workdir
        self.name = name
        self.process: asyncio.subprocess.Process | None = None
        self.log_path = workdir / f"{name}.log"
        self.log: IO[bytes] = self.log_path.open("ab")
        self.starts = 0

    async def start(self) -> None:
        assert self.process is None
        self.starts += 1
        self.log.write(f"\n==== start {self.starts} ====\n".encode())
        self.log.flush()
        spawn = asyncio.ensure_future(self._spawn())
        interrupted = False
        while not spawn.done():  # a cancellation must not lose track of a process already started
            try:
                await asyncio.shield(spawn)
            except asyncio.CancelledError:
                interrupted = True
        self.process = spawn.result()
        if interrupted:
            raise asyncio.CancelledError

    async def _spawn(self) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            DIE_WITH_PARENT,
            self.cli,
            *self.args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
            env=self.env,
            cwd=self.workdir,
            start_new_session=True,
        )

    async def kill(self) -> None:
        """SIGKILL the process group and wait (bounded) until none of it is left."""
        process, self.process = self.process, None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), 15)
        deadline = time.monotonic() + 15
        while _group_alive(process.pid) and time.monotonic() < deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await asyncio.sleep(0.02)

    def exited(self) -> bool:
        return self.process is None or self.process.returncode is not None

    def close(self) -> None:
        self.log.close()

    def log_tail(self, lines: int = 30) -> str:
        self.log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


# -- requests --------------------------------------------------------------------------------


@dataclass
class Call:
    """One logical request: one key, one method, path and body, however many attempts."""

    key: str
    op: str
    method: str
    path: str
    body: bytes | None
    invoice_id: int | None = None
    headers: dict[str, str] = field(default_factory=dict)  # If-Match, when sent
    attempts: int = 0
    timed_out: int = 0  # attempts the client gave up on: the server may still run them
    copies: int = 1
    outcome: str = "pending"  # acknowledged | refused | abandoned
    status: int | None = None
    code: str | None = None
    acked: list[bytes] = field(default_factory=list)  # every 2xx body any copy saw

    def invoice_view(self) -> dict[str, Any] | None:
        return invoice_of(json.loads(self.acked[0])) if self.acked else None


@dataclass
class Attempted:
    outcome: str
    status: int | None = None
    code: str | None = None
    body: bytes | None = None


@dataclass
class Stats:
    calls: int = 0
    attempts: int = 0
    retried_calls: int = 0
    connection_errors: int = 0
    timeouts: int = 0
    server_errors: int = 0
    in_flight: int = 0
    conflicts: int = 0
    rate_limited: int = 0
    replays: int = 0
    if_match_replays: int = 0  # replays of requests sent with If-Match (their tag is stale by then)
    acknowledged: int = 0
    refused: int = 0
    abandoned: int = 0
    double_submits: int = 0
    kills: int = 0
    cut_off: int = 0  # attempts in flight at the moments of the kills
    failed_starts: int = 0
    downtime: float = 0.0
    load_seconds: float = 0.0
    acked_by_op: Counter[str] = field(default_factory=Counter)
    refused_by_code: Counter[str] = field(default_factory=Counter)
    server_error_examples: list[str] = field(default_factory=list)


@dataclass
class Known:
    """What the clients last saw of an invoice: enough to aim actions and size payments."""

    status: str
    payable: Decimal
    paid: Decimal
    version: int


def invoice_of(document: Any) -> dict[str, Any] | None:
    data = document.get("data") if isinstance(document, dict) else None
    if isinstance(data, dict) and isinstance(data.get("invoice"), dict):
        return data["invoice"]
    if isinstance(data, dict) and "status" in data and "lines" in data:
        return data
    return None


def copy_snapshot(db: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    return {name: [dict(row) for row in rows] for name, rows in db.items()}


def problem_code(response: httpx.Response) -> str | None:
    try:
        document = response.json()
    except ValueError:
        return None
    return document.get("code") if isinstance(document, dict) else None


def money(value: Any) -> Decimal:
    return Decimal(str(value))


class Load:
    def __init__(self, options: argparse.Namespace, http: httpx.AsyncClient, token: str, tenant_id: int) -> None:
        self.options = options
        self.http = http
        self.headers = {"Authorization": f"Bearer {token}", "X-Tenant": str(tenant_id)}
        self.stats = Stats()
        self.calls: list[Call] = []
        self.customers: list[int] = []
        self.invoices: dict[int, Known] = {}
        self.stop = asyncio.Event()
        self.in_flight = 0  # attempts sent and not yet answered

    # -- planning

    def new_call(self, op: str, method: str, path: str, payload: Any = None, invoice_id: int | None = None) -> Call:
        key = f"ct-{secrets.token_hex(12)}"
        if isinstance(payload, dict):
            payload = {**payload}
            if op == "create_customer":
                payload["job"] = key
            elif op == "create_draft":
                payload["notes"] = key
            elif op == "payment":
                payload["reference"] = key
        body = json.dumps(payload).encode() if payload is not None else None
        call = Call(key=key, op=op, method=method, path=path, body=body, invoice_id=invoice_id)
        self.calls.append(call)
        return call

    def lines(self, rng: random.Random) -> list[dict[str, str]]:
        return [
            {
                "name": f"Item {rng.randrange(1000)}",
                "quantity": str(rng.randint(1, 5)),
                "unit_price": f"{rng.randint(100, 20000) / 100:.2f}",
                "vat_rate_percent": rng.choice(["0", "1", "10", "20"]),
                "discount_percent": rng.choice(["0", "0", "0", "5", "12.5"]),
            }
            for _ in range(rng.randint(1, 3))
        ]

    def pick_invoice(self, rng: random.Random, statuses: set[str]) -> int | None:
        if not self.invoices:
            return None
        if rng.random() < 0.85:
            fitting = [invoice_id for invoice_id, known in self.invoices.items() if known.status in statuses]
            if fitting:
                return rng.choice(fitting)
        return rng.choice(list(self.invoices))

    def plan(self, rng: random.Random) -> Call:
        call = self.plan_request(rng)
        known = self.invoices.get(call.invoice_id) if call.invoice_id is not None else None
        if known is not None and rng.random() < self.options.if_match_rate:
            # The tag the client last saw: fresh, or stale when another client got there first (412).
            # A retry keeps it, stale or not, and must still replay once the first attempt applied.
            call.headers["If-Match"] = f'"v{known.version}"'
        return call

    def plan_request(self, rng: random.Random) -> Call:
        op = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        invoice_id = self.pick_invoice(rng, TARGETS.get(op, set()))
        if op == "create_customer" or not self.customers:
            return self.create_customer(rng)
        if op == "create_draft" or invoice_id is None:
            return self.create_draft(rng)
        base = f"{API}/invoices/{invoice_id}"
        if op == "update_draft":
            return self.new_call(op, "PATCH", base, {"lines": self.lines(rng)}, invoice_id)
        if op in ("issue", "send", "void"):
            return self.new_call(op, "POST", f"{base}/{op}", None, invoice_id)
        if op == "payment":
            known = self.invoices[invoice_id]
            due = known.payable - known.paid
            if due <= 0 or rng.random() < 0.05:
                amount = Decimal("1.00")  # likely refused: nothing (or less) is due
            elif rng.random() < 0.3:
                amount = due
            else:
                cents = int(min(due, Decimal(60)) * 100)
                amount = Decimal(rng.randint(1, max(cents, 1))) / 100
            payload = {"amount": f"{amount:.2f}", "method": rng.choice(["cash", "card", "bank_transfer"])}
            return self.new_call(op, "POST", f"{base}/payments", payload, invoice_id)
        if op == "cancel":
            return self.new_call(op, "POST", f"{base}/cancel", {"id": invoice_id}, invoice_id)
        if op == "revert_cancel":
            return self.new_call(op, "POST", f"{base}/revert-cancel", {"id": invoice_id}, invoice_id)
        if op == "delete":
            return self.new_call(op, "DELETE", base, None, invoice_id)
        if op == "archive":
            return self.new_call(op, "POST", f"{base}/archive", None, invoice_id)
        return self.new_call("unarchive", "DELETE", f"{base}/archive", None, invoice_id)

    def create_customer(self, rng: random.Random) -> Call:
        payload = {
            "first_name": f"Crash {rng.randrange(10_000)}",
            "tax_number": str(rng.randrange(10**9, 10**10)),
            "email": f"crash-{rng.randrange(10_000)}@example.com",  # a send e-mails it (to var/mail)
        }
        return self.new_call("create_customer", "POST", f"{API}/customers", payload)

    def create_draft(self, rng: random.Random) -> Call:
        payload = {"customer_id": rng.choice(self.customers), "lines": self.lines(rng)}
        return self.new_call("create_draft", "POST", f"{API}/invoices", payload)

    # -- sending

    async def execute(self, call: Call, rng: random.Random) -> None:
        self.stats.calls += 1
        if rng.random() < self.options.double_submit_rate:
            call.copies = 2
            self.stats.double_submits += 1
            results = await asyncio.gather(self.deliver(call, rng), self.deliver(call, rng))
        else:
            results = (await self.deliver(call, rng),)
        if call.attempts > 1:
            self.stats.retried_calls += 1
        acked = [result for result in results if result.outcome == "acknowledged"]
        final = acked[0] if acked else next((r for r in results if r.outcome == "refused"), results[0])
        call.outcome, call.status, call.code = final.outcome, final.status, final.code
        call.acked = [result.body for result in acked if result.body is not None]
        if call.outcome == "acknowledged":
            self.stats.acknowledged += 1
            self.stats.acked_by_op[call.op] += 1
            self.learn(call)
        elif call.outcome == "refused":
            self.stats.refused += 1
            self.stats.refused_by_code[f"{call.status} {call.code}"] += 1
            if call.status == 404 and call.invoice_id is not None:
                self.invoices.pop(call.invoice_id, None)
        else:
            self.stats.abandoned += 1

    async def deliver(self, call: Call, rng: random.Random) -> Attempted:
        """Attempts until a definitive answer; the same key and bytes every time."""
        headers = {**self.headers, **call.headers, "Idempotency-Key": call.key, "X-Request-ID": call.key}
        if call.body is not None:
            headers["Content-Type"] = "application/json"
        started = time.monotonic()
        tries = 0
        while time.monotonic() - started < self.options.call_budget and tries < 10_000:
            tries += 1
            call.attempts += 1
            self.stats.attempts += 1
            timeout = httpx.Timeout(self.options.request_timeout, connect=5)
            if rng.random() < self.options.short_timeout_rate:
                timeout = httpx.Timeout(self.options.request_timeout, connect=5, read=rng.uniform(*SHORT_READ_TIMEOUT))
            self.in_flight += 1
            try:
                response = await self.http.request(
                    call.method, call.path, content=call.body, headers=headers, timeout=timeout
                )
            except httpx.TimeoutException:
                self.stats.timeouts += 1
                call.timed_out += 1
                await self.pause(rng, tries)
                continue
            except httpx.TransportError:
                self.stats.connection_errors += 1
                await self.pause(rng, tries)
                continue
            finally:
                self.in_flight -= 1
            status = response.status_code
            if 200 <= status < 300:
                if response.headers.get("Idempotent-Replayed") == "true":
                    self.stats.replays += 1
                    self.stats.if_match_replays += "If-Match" in call.headers
                return Attempted("acknowledged", status, None, response.content)
            code = problem_code(response)
            if status == 409 and code == "idempotency_key_in_flight":
                self.stats.in_flight += 1
            elif status == 409 and code == "conflict":
                self.stats.conflicts += 1  # a constraint race: nothing changed, safe to retry
            elif status == 429:
                self.stats.rate_limited += 1
            elif status >= 500:
                self.stats.server_errors += 1
                if len(self.stats.server_error_examples) < EXAMPLES_SHOWN:
                    self.stats.server_error_examples.append(f"{call.method} {call.path} -> {status} {code}")
            else:
                return Attempted("refused", status, code, response.content)
            await self.pause(rng, tries)
        return Attempted("abandoned")

    async def pause(self, rng: random.Random, tries: int) -> None:
        await asyncio.sleep(rng.uniform(0.02, 0.08) * min(tries, 12))

    def learn(self, call: Call) -> None:
        document = json.loads(call.acked[0])
        if call.op == "create_customer":
            self.customers.append(int(document["data"]["id"]))
            return
        view = invoice_of(document)
        if view is None:
            return
        if view["status"] == DELETED:
            self.invoices.pop(int(view["id"]), None)
            return
        current = self.invoices.get(int(view["id"]))
        if current is not None and current.version > int(view["version"]):
            return  # another client's answer about a later version arrived first
        self.invoices[int(view["id"])] = Known(
            status=view["status"],
            payable=money(view["amount_payable"]),
            paid=money(view["amount_paid"]),
            version=int(view["version"]),
        )

    async def worker(self, rng: random.Random) -> None:
        while not self.stop.is_set():
            await self.execute(self.plan(rng), rng)


# -- the run ---------------------------------------------------------------------------------


class Run:
    def __init__(self, kind: str, options: argparse.Namespace) -> None:
        self.kind = kind
        self.options = options
        self.rng = random.Random(f"{options.seed}-{kind}")
        self.workdir = Path(tempfile.mkdtemp(prefix=f"crash-test-{kind}-"))
        self.database = ScratchDatabase(kind, self.workdir, options.postgres_url)
        env = {
            key: value for key, value in os.environ.items() if key not in ("HOST", "PORT", "WORKERS", "DATABASE_URL")
        }
        env.update(
            DATABASE_URL=self.database.url,
            RATE_LIMIT_PER_SECOND="0",
            IDEMPOTENCY_KEY_TTL_SECONDS=str(24 * 3600),
            PYTHONUNBUFFERED="1",
            # Delivery is the separate `invoicing worker`'s alone, so killing it is killing delivery.
            DELIVERY_IN_SERVER="off",
            # A killed worker's claims come back after the lease; an idle one looks for work often.
            WORKER_LEASE_SECONDS=str(WORKER_LEASE_SECONDS),
            WORKER_POLL_SECONDS="0.1",
            WEBHOOK_ALLOW_PRIVATE_NETWORKS="true",  # the receiver is on loopback
            SECRET_KEY=secrets.token_urlsafe(32),  # one sealing key for the server and the worker
        )
        self.env = env
        port = free_port()
        args = ["serve", "--host", HOST, "--port", str(port), "--workers", str(options.server_workers)]
        self.server = Supervised(options.invoicing, args, env, self.workdir, "server")
        self.worker = Supervised(options.invoicing, ["worker"], env, self.workdir, "worker")
        self.receiver = delivery.Receiver(HOST, self.rng)
        self.base_url = f"http://{HOST}:{port}"
        self.delivery_stats = delivery.DeliveryStats()
        self.reader: asyncpg.Connection | None = None
        self.reader_lock = asyncio.Lock()
        self.violations: dict[str, list[str]] = {kind: [] for kind in VIOLATION_KINDS}
        self.figures: dict[str, Any] = {}
        self.load: Load | None = None
        self.token = ""
        self.tenant_id = 0

    def progress(self, message: str) -> None:
        print(f"[{self.kind}] {message}", flush=True)

    def violation(self, kind: str, message: str) -> None:
        self.violations[kind].append(message)

    async def cli(self, *args: str) -> Any:
        process = await asyncio.create_subprocess_exec(
            self.options.invoicing,
            *args,
            "--json",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self.env,
            cwd=self.workdir,
        )
        try:
            out, err = await asyncio.wait_for(process.communicate(), 120)
        except (TimeoutError, asyncio.CancelledError) as error:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await asyncio.shield(process.wait())
            if isinstance(error, asyncio.CancelledError):
                raise
            raise CrashTestError(f"`invoicing {' '.join(args)}` took over 120 s") from None
        if process.returncode != 0:
            raise CrashTestError(f"`invoicing {' '.join(args)}` failed: {err.decode(errors='replace').strip()}")
        return json.loads(out)

    async def execute(self) -> None:
        started = time.monotonic()
        try:
            await self.database.create()
            await self.cli("migrate")
            tenant = await self.cli("tenant", "create", "--name", "Crash test")
            self.tenant_id = int(tenant["id"])
            self.token = (await self.cli("token", "create", "--tenant", str(self.tenant_id)))["token"]
            manager = await self.cli("token", "create", "--tenant", str(self.tenant_id), "--scopes", MANAGE_SCOPES)
            self.receiver.start(asyncio.get_running_loop())
            limits = httpx.Limits(max_connections=4 * self.options.concurrency + 8, max_keepalive_connections=64)
            async with httpx.AsyncClient(base_url=self.base_url, limits=limits, timeout=30) as http:
                self.load = Load(self.options, http, self.token, self.tenant_id)
                await self.start_server(http)
                await self.register_endpoint(http, manager["token"])
                await self.start_worker()
                await self.seed()
                self.progress(f"serving on {self.base_url}, seeded; load and kills start")
                await self.run_load(http)
                stats = self.stats()
                self.progress(
                    f"load done: {stats.kills} server kills, {len(self.delivery_stats.kills)} worker kills, "
                    f"{stats.calls} requests in {stats.load_seconds:.0f} s"
                )
                snapshot = await self.drain()
                self.audit(snapshot)
                if self.options.self_test:
                    self.self_test(snapshot)
                await self.audit_api(http, snapshot)
        finally:
            self.figures["total_seconds"] = time.monotonic() - started
            # Shielded: a cancellation (Ctrl-C, SIGTERM, again) while cleaning up must not skip the rest.
            cleanup = asyncio.ensure_future(self.clean_up())
            interrupted = False
            while not cleanup.done():
                try:
                    await asyncio.shield(cleanup)
                except asyncio.CancelledError:
                    interrupted = True
            if interrupted:
                raise asyncio.CancelledError

    async def clean_up(self) -> None:
        """Kill the server, drop the database, remove the directory: each step whatever the others did."""
        steps: list[tuple[str, Any]] = [
            ("kill the server", self.server.kill),
            ("close its log", self.server.close),
            ("kill the worker", self.worker.kill),
            ("close its log", self.worker.close),
            ("stop the receiver", self.receiver.stop),
            ("close the reading connection", self.close_reader),
        ]
        if self.options.keep:
            self.progress(f"kept {self.workdir} (server.log, worker.log) and the database {self.database.url}")
        else:
            steps += [
                ("drop the database", self.database.drop),
                ("remove the directory", lambda: shutil.rmtree(self.workdir, ignore_errors=True)),
            ]
        for name, step in steps:
            try:
                result = step()
                if asyncio.iscoroutine(result):
                    await result
            except Exception as error:
                print(f"[{self.kind}] clean-up: could not {name}: {type(error).__name__}: {error}", file=sys.stderr)

    async def start_server(self, http: httpx.AsyncClient) -> float:
        """Starts the server and waits until it answers an authenticated read; retries a failed start."""
        began = time.monotonic()
        for _ in range(3):
            await self.server.start()
            deadline = time.monotonic() + self.options.ready_timeout
            while time.monotonic() < deadline and not self.server.exited():
                try:
                    response = await http.get(READY_PATH, headers=self.load_headers(), timeout=2)
                    if response.status_code == 200:
                        return time.monotonic() - began
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
            self.stats().failed_starts += 1
            await self.server.kill()
        raise CrashTestError(f"the server did not answer after 3 starts; its log ends:\n{self.server.log_tail()}")

    async def start_worker(self) -> float:
        """Starts the worker and waits until it has written its heartbeat (it is working then), so
        its uptime between kills is time it delivers, not time it imports; retries a failed start."""
        began = time.monotonic()
        for _ in range(3):
            await self.worker.start()
            assert self.worker.process is not None
            pid = self.worker.process.pid
            deadline = time.monotonic() + self.options.ready_timeout
            while time.monotonic() < deadline and not self.worker.exited():
                if (await self.read(delivery.HEARTBEAT_QUERIES, pid))["beats"][0]["beats"]:
                    self.delivery_stats.start_seconds.append(time.monotonic() - began)
                    return time.monotonic() - began
                await asyncio.sleep(0.2)
            self.delivery_stats.failed_starts += 1
            await self.worker.kill()
        raise CrashTestError(f"the worker did not beat after 3 starts; its log ends:\n{self.worker.log_tail()}")

    def load_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "X-Tenant": str(self.tenant_id)}

    def stats(self) -> Stats:
        assert self.load is not None
        return self.load.stats

    async def seed(self) -> None:
        load = self.load
        assert load is not None
        for _ in range(self.options.seed_customers):
            await load.execute(load.create_customer(self.rng), self.rng)
        for index in range(self.options.seed_invoices):
            draft = load.create_draft(self.rng)
            await load.execute(draft, self.rng)
            view = draft.invoice_view()
            if view is not None and index % 3 != 0:
                # The first is sent (issued and e-mailed), so every run has an e-mail to deliver.
                op = "send" if index == 1 else "issue"
                path = f"{API}/invoices/{view['id']}/{op}"
                await load.execute(load.new_call(op, "POST", path, None, int(view["id"])), self.rng)
        if not load.customers or not load.invoices:
            raise CrashTestError("seeding failed: no customer or invoice was acknowledged")

    async def run_load(self, http: httpx.AsyncClient) -> None:
        load = self.load
        assert load is not None
        stats = load.stats
        workers = [
            asyncio.create_task(load.worker(random.Random(f"{self.options.seed}-{self.kind}-{index}")))
            for index in range(self.options.concurrency)
        ]
        workers += [asyncio.create_task(self.kill_workers()), asyncio.create_task(self.sample_lag())]
        began = time.monotonic()
        try:
            while True:
                elapsed = time.monotonic() - began
                if elapsed >= self.options.max_duration:
                    break
                if elapsed >= self.options.duration and stats.kills >= self.options.min_kills:
                    break
                await asyncio.sleep(self.rng.uniform(self.options.min_uptime, self.options.max_uptime))
                killed_at = time.monotonic()
                stats.cut_off += load.in_flight
                await self.server.kill()
                stats.kills += 1
                await self.start_server(http)
                stats.downtime += time.monotonic() - killed_at
            stats.load_seconds = time.monotonic() - began
            load.stop.set()
            # Every in-flight request ends within its budget: answered, refused or abandoned.
            try:
                await asyncio.wait_for(asyncio.gather(*workers), self.options.call_budget + 60)
            except TimeoutError:
                raise CrashTestError("the clients did not finish their last requests in time") from None
        finally:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    async def kill_workers(self) -> None:
        """Meanwhile SIGKILL the outbox worker at random and restart it, until the load stops."""
        load = self.load
        assert load is not None
        rng = random.Random(f"{self.options.seed}-{self.kind}-worker-kills")
        while not load.stop.is_set():
            uptime = rng.uniform(self.options.worker_min_uptime, self.options.worker_max_uptime)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(load.stop.wait(), uptime)
            if load.stop.is_set():
                break
            if rng.random() < ANSWER_KILL_RATE:
                await self.kill_after_next_answer()
            self.delivery_stats.died += self.worker.exited()
            await self.worker.kill()
            self.delivery_stats.kills.append(time.monotonic())
            await self.start_worker()

    async def kill_after_next_answer(self) -> None:
        """Has the receiver SIGKILL the worker right after it answers its next request (bounded wait)."""
        assert self.worker.process is not None
        self.receiver.arm(self.worker.process.pid)  # its own session: the pid is its process group
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.receiver.struck.wait(), self.options.worker_max_uptime)
        finally:
            self.receiver.disarm()

    async def sample_lag(self) -> None:
        load = self.load
        assert load is not None
        while not load.stop.is_set():
            self.delivery_stats.lag.add(await self.outbox_depth())
            await asyncio.sleep(LAG_SAMPLE_SECONDS)

    async def outbox_depth(self) -> delivery.Depth:
        return delivery.outbox_depth((await self.read(delivery.DEPTH_QUERIES))["depth"])

    async def register_endpoint(self, http: httpx.AsyncClient, manager_token: str) -> None:
        """The receiver becomes the tenant's webhook endpoint (before any event, so it gets them all)."""
        response = await http.post(
            f"{API}/webhook-endpoints",
            json={"url": self.receiver.url, "description": "crash test receiver"},
            headers={"Authorization": f"Bearer {manager_token}", "X-Tenant": str(self.tenant_id)},
            timeout=30,
        )
        if response.status_code != 201:
            raise CrashTestError(f"POST {API}/webhook-endpoints -> {response.status_code}: {response.text[:500]}")
        self.receiver.trust(response.json()["data"]["secret"])

    async def drain(self) -> dict[str, list[dict[str, Any]]]:
        """One worker runs (no more kills) until the outbox is empty; then the audit's snapshot,
        taken with the worker stopped, and empty in that snapshot too (a request the server was
        still finishing may have added a message since)."""
        began = time.monotonic()
        deadline = began + self.options.drain_timeout
        while True:
            if self.worker.exited():
                await self.worker.kill()  # reaps a worker that died on its own (its log says why)
                await self.start_worker()
            depth = await self.outbox_depth()
            while not depth.drained and time.monotonic() < deadline and not self.worker.exited():
                await asyncio.sleep(0.2)
                depth = await self.outbox_depth()
            if not depth.drained and self.worker.exited() and time.monotonic() < deadline:
                self.delivery_stats.died += 1
                continue
            await self.worker.kill()
            snapshot = await self.read_database()
            snapshot["received"] = self.receiver.snapshot()
            self.delivery_stats.incomplete = self.receiver.incomplete
            if delivery.snapshot_depth(snapshot).drained or time.monotonic() >= deadline:
                break
        self.delivery_stats.drain_seconds = time.monotonic() - began
        left = delivery.snapshot_depth(snapshot)
        if not left.drained:
            self.progress(
                f"the outbox did not drain in {self.options.drain_timeout:.0f} s: {left.unfanned} messages not "
                f"fanned out, {left.pending} deliveries pending; the worker's log ends:\n{self.worker.log_tail()}"
            )
        return snapshot

    # -- audit: the database

    async def read_database(self) -> dict[str, list[dict[str, Any]]]:
        queries = {
            "invoices": "SELECT id, status, version, notes, customer_id, series_id, document_number, number_year, "
            "number_sequence, issue_date, issued_at, paid_at, cancelled_from, cancelled_at, voided_at, deleted_at, "
            "is_archived, archived_at, amount_tax_exclusive, amount_tax_total, amount_payable, amount_paid "
            "FROM invoices WHERE tenant_id = $1 ORDER BY id",
            "lines": "SELECT invoice_id, position, name, quantity, unit_price, amount_net, amount_tax, amount_total "
            "FROM invoice_lines WHERE tenant_id = $1 ORDER BY invoice_id, position",
            "events": "SELECT id, invoice_id, sequence, type, from_status, to_status, actor, request_id, data "
            "FROM invoice_events WHERE tenant_id = $1 ORDER BY invoice_id, sequence, id",
            "payments": "SELECT id, invoice_id, amount, reference FROM payments WHERE tenant_id = $1 ORDER BY id",
            "customers": "SELECT id, job FROM customers WHERE tenant_id = $1 ORDER BY id",
            "keys": "SELECT key, response_status, response_body FROM idempotency_keys WHERE tenant_id = $1",
            "counters": "SELECT series_id, year, last_number FROM series_counters WHERE tenant_id = $1",
            "tenant_counts": "SELECT (SELECT count(*) FROM invoices WHERE tenant_id <> $1) AS invoices, "
            "(SELECT count(*) FROM invoice_events WHERE tenant_id <> $1) AS events",
            **delivery.OUTBOX_QUERIES,
        }
        return await self.read(queries)

    async def read(self, queries: dict[str, str], *params: Any) -> dict[str, list[dict[str, Any]]]:
        """The rows of each query (`$1`: the tenant, unless `params` are given), all in one read-only snapshot."""
        params = params or (self.tenant_id,)
        if self.kind == "postgresql":
            # One connection for every read: the lag sampler and the worker's readiness poll read
            # several times a second, and a new backend each time would cost the machine the
            # CPU the server's restarts need.
            async with self.reader_lock:
                if self.reader is None or self.reader.is_closed():
                    self.reader = await asyncpg.connect(self.database.url, timeout=10)
                async with self.reader.transaction(isolation="repeatable_read", readonly=True):
                    return {
                        name: [dict(row) for row in await self.reader.fetch(sql, *params)]
                        for name, sql in queries.items()
                    }
        return await asyncio.to_thread(self._read_sqlite, queries, params)

    async def close_reader(self) -> None:
        if self.reader is not None:
            await self.reader.close()
            self.reader = None

    def _read_sqlite(self, queries: dict[str, str], params: tuple[Any, ...]) -> dict[str, list[dict[str, Any]]]:
        connection = sqlite3.connect(f"file:{self.database.path}?mode=ro", uri=True, timeout=30)
        connection.row_factory = sqlite3.Row
        try:
            connection.execute("BEGIN")  # one read snapshot for every query
            return {
                name: [dict(row) for row in connection.execute(re.sub(r"\$(\d)", r"?\1", sql), params)]
                for name, sql in queries.items()
            }
        finally:
            connection.close()

    def audit(self, db: dict[str, list[dict[str, Any]]]) -> None:
        load = self.load
        assert load is not None
        calls = {call.key: call for call in load.calls}
        stored = {row["key"]: (row["response_status"], bytes(row["response_body"])) for row in db["keys"]}
        by_key: dict[str, Counter[str]] = defaultdict(Counter)
        # The worker's events (an e-mail's outcome) answer no request: audit_delivery checks them.
        client_events = [row for row in db["events"] if row["actor"] != delivery.WORKER_ACTOR]
        for row in client_events:
            by_key[row["request_id"]]["events"] += 1
        for row in db["payments"]:
            by_key[row["reference"]]["payments"] += 1
        for row in db["customers"]:
            by_key[row["job"]]["customers"] += 1
        for row in db["invoices"]:
            by_key[row["notes"]]["invoices"] += 1
        events_by_key = defaultdict(list)
        for row in client_events:
            events_by_key[row["request_id"]].append(row)
        payment_by_key = {row["reference"]: row for row in db["payments"]}
        customer_by_key = {row["job"]: row for row in db["customers"]}
        invoice_by_key = {row["notes"]: row for row in db["invoices"]}

        for name in ("invoices", "events"):
            if db["tenant_counts"][0][name]:
                self.violation("orphans", f"{db['tenant_counts'][0][name]} {name} of another tenant")
        for key in set(stored) | set(by_key):
            if key not in calls:
                self.violation("orphans", f"key {key!r} ({dict(by_key.get(key, {}))}) was sent by no client")

        applied_retried = 0
        late_applied = 0
        for key, call in calls.items():
            counts = by_key.get(key, Counter())
            applied = key in stored
            expected = EFFECTS[call.op]
            for kind in EFFECT_KINDS:
                found = counts[kind]
                least, most = expected.get(kind, (0, 0))
                if found > 1:
                    self.violation("duplicates", f"{call.op} {key}: applied {found} times ({found} {kind})")
                elif not applied and found:
                    self.violation("atomicity", f"{call.op} {key}: {found} {kind} without its stored response")
                elif applied and not least <= found <= most:
                    self.violation("atomicity", f"{call.op} {key}: stored response but {found} {kind}")
            if applied and (call.attempts > 1 or call.copies > 1):
                applied_retried += 1
            if call.outcome == "refused" and (applied or sum(counts.values())):
                if call.timed_out:
                    # Only 2xx is stored: an earlier attempt of this key that the client timed out on
                    # was still queued, and ran after the retry was refused (documented in the report).
                    late_applied += 1
                else:
                    self.violation(
                        "refused_applied", f"{call.op} {key} answered {call.status} {call.code}, yet applied"
                    )
            if call.outcome != "acknowledged":
                continue
            if not applied:
                self.violation("lost_acknowledged", f"{call.op} {key}: acknowledged, no stored response")
                continue
            if sum(counts.values()) < sum(expected.get(kind, (0, 0))[0] for kind in EFFECT_KINDS):
                self.violation("lost_acknowledged", f"{call.op} {key}: acknowledged, change missing ({dict(counts)})")
            status, body = stored[key]
            for seen in call.acked:
                if seen != body or status != call.status:
                    self.violation("ack_mismatch", f"{call.op} {key}: the client saw other bytes than were stored")
            self.check_ack_targets(
                call, json.loads(body), events_by_key, payment_by_key, customer_by_key, invoice_by_key
            )
        self.figures["applied_retried"] = applied_retried
        self.figures["late_applied"] = late_applied
        self.figures["applied"] = sum(1 for key in calls if key in stored)
        self.figures["stored_keys"] = len(stored)
        for name in ("invoices", "events", "payments", "customers", "lines"):
            self.figures[f"rows_{name}"] = len(db[name])

        self.audit_invoices(db, stored)
        self.figures.update(delivery.audit_delivery(db, self.delivery_stats.kills, self.violation))

    def check_ack_targets(
        self,
        call: Call,
        document: dict[str, Any],
        events_by_key: dict[str, list[dict[str, Any]]],
        payment_by_key: dict[str, dict[str, Any]],
        customer_by_key: dict[str, dict[str, Any]],
        invoice_by_key: dict[str, dict[str, Any]],
    ) -> None:
        """The acknowledged body names exactly the rows its key made."""
        key = call.key
        data = document.get("data", {})
        if call.op == "create_customer":
            row = customer_by_key.get(key)
            if row is None or row["id"] != data.get("id"):
                self.violation("ack_mismatch", f"customer {key}: body id {data.get('id')} vs row {row}")
            return
        view = invoice_of(document)
        if view is None:
            self.violation("ack_mismatch", f"{call.op} {key}: the acknowledged body holds no invoice")
            return
        if call.invoice_id is not None and view["id"] != call.invoice_id:
            self.violation("ack_mismatch", f"{call.op} {key}: body is about invoice {view['id']}")
        if call.op == "create_draft":
            row = invoice_by_key.get(key)
            if row is None or row["id"] != view["id"]:
                self.violation("ack_mismatch", f"draft {key}: body id {view['id']} vs row {row and row['id']}")
        if call.op == "payment":
            row = payment_by_key.get(key)
            payment = data.get("payment", {})
            if row is None or row["id"] != payment.get("id") or money(row["amount"]) != money(payment.get("amount")):
                self.violation("ack_mismatch", f"payment {key}: body {payment} vs row {row}")
        events = events_by_key.get(key, [])
        for event in events:
            if (event["invoice_id"], event["sequence"], event["to_status"]) != (
                view["id"],
                view["version"],
                view["status"],
            ):
                self.violation(
                    "ack_mismatch",
                    f"{call.op} {key}: event (invoice {event['invoice_id']}, seq {event['sequence']}, "
                    f"{event['to_status']}) vs body (invoice {view['id']}, v{view['version']}, {view['status']})",
                )

    def audit_invoices(self, db: dict[str, list[dict[str, Any]]], stored: dict[str, tuple[int, bytes]]) -> None:
        lines_of: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in db["lines"]:
            lines_of[row["invoice_id"]].append(row)
        events_of: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in db["events"]:
            events_of[row["invoice_id"]].append(row)
        payments_of: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
        for row in db["payments"]:
            payments_of[row["invoice_id"]][row["id"]] = row
        invoice_ids = {row["id"] for row in db["invoices"]}
        for invoice_id in set(events_of) - invoice_ids:
            self.violation("orphans", f"events of a missing invoice {invoice_id}")
        for invoice_id in set(payments_of) - invoice_ids:
            self.violation("orphans", f"payments of a missing invoice {invoice_id}")
        for invoice_id in set(lines_of) - invoice_ids:
            self.violation("orphans", f"lines of a missing invoice {invoice_id}")

        numbers: dict[tuple[int, int], list[int]] = defaultdict(list)
        for invoice in db["invoices"]:
            invoice_id = invoice["id"]
            self.replay_events(invoice, events_of[invoice_id], payments_of[invoice_id])
            self.check_fields(invoice, lines_of[invoice_id], payments_of[invoice_id])
            self.check_last_response(invoice, events_of[invoice_id], lines_of[invoice_id], stored)
            if invoice["number_sequence"] is not None:
                numbers[(invoice["series_id"], invoice["number_year"])].append(invoice["number_sequence"])
        counters = {(row["series_id"], row["year"]): row["last_number"] for row in db["counters"]}
        for series_year in set(numbers) | set(counters):
            taken = sorted(numbers.get(series_year, []))
            if taken != list(range(1, counters.get(series_year, 0) + 1)):
                self.violation(
                    "numbering",
                    f"series/year {series_year}: {len(taken)} numbers (max {taken[-1] if taken else 0}, "
                    f"{len(taken) - len(set(taken))} repeated), counter {counters.get(series_year)}",
                )
        self.figures["numbered"] = sum(len(taken) for taken in numbers.values())

    def replay_events(
        self, invoice: dict[str, Any], events: list[dict[str, Any]], payments: dict[int, dict[str, Any]]
    ) -> None:
        """Replays the invoice's events with the lifecycle as docs/lifecycle.md states it: the result is the row."""
        invoice_id = invoice["id"]

        def wrong(message: str) -> None:
            self.violation("events_vs_state", f"invoice {invoice_id}: {message}")

        sequences = [event["sequence"] for event in events]
        if sequences != list(range(1, invoice["version"] + 1)):
            shown = f"{sequences[:12]}{'...' if len(sequences) > 12 else ''}"
            wrong(f"event sequences {shown} vs version {invoice['version']}")
            return
        payable = money(invoice["amount_payable"])
        status: str | None = None
        paid = ZERO
        cancelled_from: str | None = None
        archived = False
        used_payments: set[int] = set()
        sent = False
        for event in events:
            kind, source, target = event["type"], event["from_status"], event["to_status"]
            data = json.loads(event["data"]) if event["data"] else {}
            if source != status:
                wrong(f"event {event['sequence']} ({kind}) from {source}, but the invoice was {status}")
                return
            expected: str | None
            if kind == "invoice.created":
                expected = DRAFT if status is None else None
            elif kind == "invoice.updated":
                expected = DRAFT if status == DRAFT else None
            elif kind == "invoice.issued":
                expected = ISSUED if status == DRAFT else None
                if data.get("document_number") != invoice["document_number"]:
                    wrong(f"issued as {data.get('document_number')}, numbered {invoice['document_number']}")
            elif kind == "invoice.sent":
                expected = ISSUED if status == DRAFT else status if status in (ISSUED, PARTIALLY_PAID, PAID) else None
                if status == DRAFT and data.get("document_number") != invoice["document_number"]:
                    wrong(f"sent as {data.get('document_number')}, numbered {invoice['document_number']}")
            elif kind == "invoice.payment_recorded":
                payment = payments.get(data.get("payment_id"))
                amount = money(data.get("amount", "0"))
                if payment is None or money(payment["amount"]) != amount or payment["id"] in used_payments:
                    wrong(f"event {event['sequence']} names payment {data.get('payment_id')} ({amount}): not its own")
                else:
                    used_payments.add(payment["id"])
                paid += amount
                expected = (PAID if paid >= payable else PARTIALLY_PAID) if status in (ISSUED, PARTIALLY_PAID) else None
            elif kind == "invoice.cancelled":
                expected = CANCELLED if status in (ISSUED, PARTIALLY_PAID) else None
                cancelled_from = status
            elif kind == "invoice.cancel_reverted":
                expected = cancelled_from if status == CANCELLED else None
                cancelled_from = None
            elif kind == "invoice.voided":
                expected = VOID if status in (ISSUED, CANCELLED) and paid == 0 else None
                cancelled_from = None
            elif kind == "invoice.deleted":
                expected = DELETED if status == DRAFT else None
            elif kind in ("invoice.archived", "invoice.unarchived"):
                expected = status if archived == (kind == "invoice.unarchived") else None
                archived = kind == "invoice.archived"
            elif kind in delivery.EMAIL_OUTCOMES:
                expected = status if sent else None  # an e-mail goes out only after a send
            else:
                wrong(f"unknown event type {kind}")
                return
            if expected is None or target != expected:
                wrong(f"event {event['sequence']} {kind}: {source} -> {target}, expected {expected}")
                return
            status = target
            sent = sent or kind == "invoice.sent"
        if status != invoice["status"]:
            wrong(f"events end at {status}, the invoice is {invoice['status']}")
        if paid != money(invoice["amount_paid"]):
            wrong(f"payment events add up to {paid}, amount_paid is {invoice['amount_paid']}")
        if cancelled_from != invoice["cancelled_from"]:
            wrong(f"events leave cancelled_from {cancelled_from}, the row has {invoice['cancelled_from']}")
        if archived != bool(invoice["is_archived"]):
            wrong(f"events leave archived={archived}, the row has {bool(invoice['is_archived'])}")
        if used_payments != set(payments):
            wrong(f"{len(payments)} payments, {len(used_payments)} payment events naming them")

    def check_fields(
        self, invoice: dict[str, Any], lines: list[dict[str, Any]], payments: dict[int, dict[str, Any]]
    ) -> None:
        invoice_id, status = invoice["id"], invoice["status"]
        problems = []
        numbered = [invoice[name] is not None for name in ("document_number", "number_year", "number_sequence")]
        if status in NUMBERED and not (all(numbered) and invoice["issued_at"] and invoice["issue_date"]):
            problems.append("numbered status without number, issue date or issued_at")
        if status in (DRAFT, DELETED) and (any(numbered) or invoice["issued_at"]):
            problems.append("a draft with a number")
        if (status == CANCELLED) != (invoice["cancelled_from"] is not None) or (
            status == CANCELLED and invoice["cancelled_at"] is None
        ):
            problems.append(f"cancelled_from {invoice['cancelled_from']} / cancelled_at on a {status} invoice")
        for name, holds in (
            ("voided_at", status == VOID),
            ("deleted_at", status == DELETED),
            ("paid_at", status == PAID),
        ):
            if holds != (invoice[name] is not None):
                problems.append(f"{name} {'missing' if holds else 'set'} on a {status} invoice")
        if bool(invoice["is_archived"]) != (invoice["archived_at"] is not None):
            problems.append("is_archived and archived_at disagree")
        positions = [line["position"] for line in lines]
        if positions != list(range(1, len(lines) + 1)) or not lines:
            problems.append(f"line positions {positions}")
        net = sum((money(line["amount_net"]) for line in lines), ZERO)
        tax = sum((money(line["amount_tax"]) for line in lines), ZERO)
        if any(money(line["amount_net"]) + money(line["amount_tax"]) != money(line["amount_total"]) for line in lines):
            problems.append("a line whose net + tax is not its total")
        excl, tax_total = money(invoice["amount_tax_exclusive"]), money(invoice["amount_tax_total"])
        if (net, tax) != (excl, tax_total) or excl + tax_total != money(invoice["amount_payable"]):
            problems.append(f"lines {net}+{tax} vs header {excl}+{tax_total}={invoice['amount_payable']}")
        paid = sum((money(row["amount"]) for row in payments.values()), ZERO)
        if paid != money(invoice["amount_paid"]) or paid > money(invoice["amount_payable"]):
            problems.append(f"payments add up to {paid}, amount_paid {invoice['amount_paid']}")
        for problem in problems:
            self.violation("half_changed", f"invoice {invoice_id}: {problem}")

    def check_last_response(
        self,
        invoice: dict[str, Any],
        events: list[dict[str, Any]],
        lines: list[dict[str, Any]],
        stored: dict[str, tuple[int, bytes]],
    ) -> None:
        """The stored response of the request that made the invoice's last change shows it as it is
        (the worker's later events, an e-mail's outcome, change nothing but the version)."""
        if not events or events[-1]["sequence"] != invoice["version"]:
            return  # reported by replay_events
        last = next((event for event in reversed(events) if event["actor"] != delivery.WORKER_ACTOR), None)
        if last is None:
            self.violation("events_vs_state", f"invoice {invoice['id']}: no event made by a request")
            return
        key = last["request_id"]
        if key not in stored:
            self.violation("atomicity", f"invoice {invoice['id']}: last event's request {key} has no stored response")
            return
        view = invoice_of(json.loads(stored[key][1]))
        if view is None:
            self.violation("half_changed", f"invoice {invoice['id']}: request {key} stored no invoice")
            return
        shown = (
            view["id"],
            view["version"],
            view["status"],
            money(view["amount_paid"]),
            money(view["amount_payable"]),
            view["document_number"],
            view["is_archived"],
            [
                (line["position"], line["name"], money(line["quantity"]), money(line["unit_price"]))
                for line in view["lines"]
            ],
        )
        actual = (
            invoice["id"],
            last["sequence"],
            invoice["status"],
            money(invoice["amount_paid"]),
            money(invoice["amount_payable"]),
            invoice["document_number"],
            bool(invoice["is_archived"]),
            [(line["position"], line["name"], money(line["quantity"]), money(line["unit_price"])) for line in lines],
        )
        if shown != actual:
            self.violation("half_changed", f"invoice {invoice['id']}: last response {shown[:7]} vs row {actual[:7]}")

    def self_test(self, db: dict[str, list[dict[str, Any]]]) -> None:
        """Plants one fault at a time in a copy of the snapshot; the audit must report each one."""
        load = self.load
        assert load is not None
        acked = [call for call in load.calls if call.outcome == "acknowledged"]
        refused = [call for call in load.calls if call.outcome == "refused" and not call.timed_out]

        def acked_key(op: str) -> str:
            return next(call.key for call in acked if call.op == op)

        def row_of(table: str, column: str, value: Any) -> dict[str, Any]:
            return next(row for row in db[table] if row[column] == value)

        def numbered() -> list[dict[str, Any]]:
            return [row for row in db["invoices"] if row["number_sequence"] is not None]

        def plant_lost_payment(copy: dict[str, list[dict[str, Any]]]) -> None:
            key = acked_key("payment")
            copy["payments"] = [row for row in copy["payments"] if row["reference"] != key]

        def plant_doubled_payment(copy: dict[str, list[dict[str, Any]]]) -> None:
            copy["payments"].append({**row_of("payments", "reference", acked_key("payment")), "id": 10**9})

        def plant_lost_key(copy: dict[str, list[dict[str, Any]]]) -> None:
            key = acked_key("create_customer")
            copy["keys"] = [row for row in copy["keys"] if row["key"] != key]

        def plant_lost_change(copy: dict[str, list[dict[str, Any]]]) -> None:
            key = acked_key("create_customer")
            copy["customers"] = [row for row in copy["customers"] if row["job"] != key]

        def plant_doubled_event(copy: dict[str, list[dict[str, Any]]]) -> None:
            event = row_of("events", "request_id", acked_key("issue"))
            copy["events"].append({**event, "id": 10**9, "sequence": 10**6})

        def plant_status(copy: dict[str, list[dict[str, Any]]]) -> None:
            invoice = next(row for row in copy["invoices"] if row["status"] == ISSUED)
            invoice["status"] = PAID

        def plant_unnumbered(copy: dict[str, list[dict[str, Any]]]) -> None:
            target = numbered()[0]["id"]
            next(row for row in copy["invoices"] if row["id"] == target)["document_number"] = None

        def plant_missing_line(copy: dict[str, list[dict[str, Any]]]) -> None:
            copy["lines"].pop()

        def plant_refused_applied(copy: dict[str, list[dict[str, Any]]]) -> None:
            copy["keys"].append({"key": refused[0].key, "response_status": 200, "response_body": b"{}"})

        def plant_repeated_number(copy: dict[str, list[dict[str, Any]]]) -> None:
            first, second = (row["id"] for row in numbered()[:2])
            sequence = next(row for row in copy["invoices"] if row["id"] == first)["number_sequence"]
            next(row for row in copy["invoices"] if row["id"] == second)["number_sequence"] = sequence

        def plant_other_body(copy: dict[str, list[dict[str, Any]]]) -> None:
            key = acked_key("payment")
            row = next(row for row in copy["keys"] if row["key"] == key)
            row["response_body"] = bytes(row["response_body"]).replace(b'"amount"', b'"amount" ', 1)

        def plant_stranger(copy: dict[str, list[dict[str, Any]]]) -> None:
            index = max(i for i, row in enumerate(copy["events"]) if row["actor"] != delivery.WORKER_ACTOR)
            copy["events"][index] = {**copy["events"][index], "request_id": "not-a-client-key"}

        faults = [
            ("an acknowledged payment lost", plant_lost_payment, {"lost_acknowledged"}),
            ("a payment recorded twice", plant_doubled_payment, {"duplicates"}),
            ("an acknowledged key forgotten", plant_lost_key, {"lost_acknowledged"}),
            ("an acknowledged customer lost", plant_lost_change, {"lost_acknowledged", "atomicity"}),
            ("an issue event written twice", plant_doubled_event, {"duplicates", "events_vs_state"}),
            ("a status changed without an event", plant_status, {"events_vs_state"}),
            ("a numbered invoice without its number", plant_unnumbered, {"half_changed"}),
            ("a line lost", plant_missing_line, {"half_changed"}),
            ("a refused request stored", plant_refused_applied, {"refused_applied"}),
            ("a number given twice", plant_repeated_number, {"numbering"}),
            ("a stored response unlike the acknowledged one", plant_other_body, {"ack_mismatch"}),
            ("an event no request made", plant_stranger, {"orphans"}),
            *delivery.delivery_faults(),
        ]
        kept_violations, kept_figures = self.violations, self.figures
        missed = []
        caught = skipped = 0
        try:
            for name, plant, expected in faults:
                copy = copy_snapshot(db)
                try:
                    plant(copy)
                except (StopIteration, IndexError, ValueError):
                    print(f"  self-test: skipped ({name}): this run made nothing to plant it in")
                    skipped += 1
                    continue
                self.violations = {kind: [] for kind in VIOLATION_KINDS}
                self.figures = {}
                self.audit(copy)
                found = {kind for kind, messages in self.violations.items() if messages}
                if expected <= found:
                    caught += 1
                else:
                    missed.append(f"{name}: expected {sorted(expected)}, reported {sorted(found)}")
        finally:
            self.violations, self.figures = kept_violations, kept_figures
        self.figures["self_test"] = f"{caught} of {len(faults)} planted faults caught ({skipped} not plantable)"
        for message in missed:
            self.violation("self_test", f"the audit missed {message}")

    # -- audit: the API

    async def audit_api(self, http: httpx.AsyncClient, db: dict[str, list[dict[str, Any]]]) -> None:
        load = self.load
        assert load is not None
        headers = self.load_headers()
        listed: dict[int, dict[str, Any]] = {}
        cursor: str | None = None
        for _ in range(10_000):
            params = {"archived": "any", "limit": "200", **({"cursor": cursor} if cursor else {})}
            response = await http.get(f"{API}/invoices", params=params, headers=headers, timeout=30)
            if response.status_code != 200:
                self.violation("api", f"GET /invoices -> {response.status_code}")
                break
            page = response.json()
            listed.update({int(item["id"]): item for item in page["data"]})
            cursor = page.get("meta", {}).get("next_cursor")
            if not cursor:
                break
        rows = {row["id"]: row for row in db["invoices"] if row["status"] != DELETED}
        if set(listed) != set(rows):
            self.violation("api", f"listed {len(listed)} invoices, the database holds {len(rows)} not deleted")
        for invoice_id, item in listed.items():
            row = rows.get(invoice_id)
            if row is None:
                continue
            shown = (item["status"], item["version"], money(item["amount_paid"]), item["document_number"])
            actual = (row["status"], row["version"], money(row["amount_paid"]), row["document_number"])
            if shown != actual or item["is_archived"] != bool(row["is_archived"]):
                self.violation("api", f"invoice {invoice_id}: API {shown} vs database {actual}")

        acked = [call for call in load.calls if call.outcome == "acknowledged"]
        sample = self.rng.sample(acked, min(len(acked), self.options.replay_sample))
        for call in sample:
            request_headers = {**headers, **call.headers, "Idempotency-Key": call.key, "X-Request-ID": call.key}
            if call.body is not None:
                request_headers["Content-Type"] = "application/json"
            response = await http.request(
                call.method, call.path, content=call.body, headers=request_headers, timeout=30
            )
            if (
                response.status_code != call.status
                or response.headers.get("Idempotent-Replayed") != "true"
                or response.content != call.acked[0]
            ):
                self.violation("api", f"{call.op} {call.key}: retry answered {response.status_code}, not the replay")
        self.figures["replayed_at_end"] = len(sample)
        reused = sum(1 for call in load.calls if call.code == "idempotency_key_reused")
        if reused:
            self.violation("protocol", f"{reused} retries of the same bytes answered idempotency_key_reused")


# -- reporting -------------------------------------------------------------------------------


def report(run: Run) -> bool:
    stats = run.stats() if run.load else Stats()
    figures = run.figures
    violations = {kind: len(messages) for kind, messages in run.violations.items()}
    rows = [
        ("database", f"{run.kind} (server workers: {run.options.server_workers}, clients: {run.options.concurrency})"),
        (
            "load seconds",
            f"{stats.load_seconds:.1f} (total {figures.get('total_seconds', 0):.1f} with setup and audit)",
        ),
        (
            "server kills (SIGKILL)",
            f"{stats.kills} (min {run.options.min_kills}), cutting off {stats.cut_off} requests in flight; "
            f"failed starts {stats.failed_starts}",
        ),
        ("server down", f"{stats.downtime:.1f} s in all, {stats.downtime / max(stats.kills, 1):.2f} s per restart"),
        ("requests", f"{stats.calls} ({stats.double_submits} sent twice at once)"),
        (
            "HTTP attempts",
            f"{stats.attempts}; retries {stats.attempts - stats.calls}; requests retried {stats.retried_calls}",
        ),
        (
            "retry causes",
            f"connection {stats.connection_errors}, timeout {stats.timeouts}, 5xx {stats.server_errors}, "
            f"409 in flight {stats.in_flight}, 409 conflict {stats.conflicts}, 429 {stats.rate_limited}",
        ),
        ("replays seen", f"{stats.replays} (Idempotent-Replayed: true; {stats.if_match_replays} with If-Match)"),
        (
            "acknowledged",
            f"{stats.acknowledged}: " + ", ".join(f"{op} {n}" for op, n in stats.acked_by_op.most_common()),
        ),
        (
            "refused (4xx)",
            f"{stats.refused}: " + ", ".join(f"{c} x{n}" for c, n in stats.refused_by_code.most_common(6)),
        ),
        ("abandoned", f"{stats.abandoned} (no definitive answer within {run.options.call_budget:.0f} s)"),
        (
            "applied",
            f"{figures.get('applied', '-')} requests ({figures.get('applied_retried', '-')} of them retried "
            f"or doubled); stored keys {figures.get('stored_keys', '-')}",
        ),
        (
            "rows",
            f"invoices {figures.get('rows_invoices', '-')} ({figures.get('numbered', '-')} numbered), "
            f"events {figures.get('rows_events', '-')}, payments {figures.get('rows_payments', '-')}, "
            f"customers {figures.get('rows_customers', '-')}, lines {figures.get('rows_lines', '-')}",
        ),
        (
            "refused, then applied",
            f"{figures.get('late_applied', '-')} (by an earlier attempt of the key the client had timed out on)",
        ),
        ("replayed at the end", str(figures.get("replayed_at_end", "-"))),
        *delivery.report_rows(figures, run.delivery_stats),
        *([("self-test", figures["self_test"])] if "self_test" in figures else []),
    ]
    rows += [(f"violations: {kind}", str(count)) for kind, count in violations.items()]
    width = max(len(name) for name, _ in rows)
    print(f"\n== crash test: {run.kind} ==")
    for name, value in rows:
        print(f"  {name.ljust(width)}  {value}")
    for kind, messages in run.violations.items():
        for message in messages[:EXAMPLES_SHOWN]:
            print(f"  ! {kind}: {message}")
        if len(messages) > EXAMPLES_SHOWN:
            print(f"  ! {kind}: ... and {len(messages) - EXAMPLES_SHOWN} more")
    if figures.get("late_applied"):
        print(
            "  note: only 2xx responses are stored, so a 4xx is not final while an earlier attempt of the same key"
            " may still be queued on the server; these keys were refused to the client, then applied once"
        )
    for example in stats.server_error_examples:
        print(f"  note: server error (retried): {example}")
    enough_kills = stats.kills >= run.options.min_kills
    if not enough_kills:
        print(f"  ! only {stats.kills} kills; at least {run.options.min_kills} were required")
    passed = enough_kills and not any(violations.values())
    print(f"  result: {'PASS' if passed else 'FAIL'}")
    return passed


async def main_async(options: argparse.Namespace) -> int:
    kinds = ["sqlite", "postgresql"] if options.database == "both" else [options.database]
    print(
        f"crash test: {', '.join(kinds)}; duration {options.duration:g} s (bound {options.max_duration:g} s), "
        f"min kills {options.min_kills}, clients {options.concurrency}, server workers {options.server_workers}, "
        f"seed {options.seed}{', in parallel' if options.parallel and len(kinds) > 1 else ''}",
        flush=True,
    )

    async def attempt(run: Run) -> str | None:
        """One database's run; its failure is reported, and never stops the other run's clean-up."""
        try:
            await run.execute()
        except CrashTestError as error:
            return str(error)
        except Exception as error:
            return "unexpected error:\n" + "".join(traceback.format_exception(error))
        return None

    runs: list[Run] = []
    errors: list[str | None] = []
    if options.parallel:
        runs = [Run(kind, options) for kind in kinds]
        # return_exceptions: when interrupted, wait for every run's clean-up, not just the first to end.
        results = await asyncio.gather(*(attempt(run) for run in runs), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        errors = [result for result in results if not isinstance(result, BaseException)]
    else:
        for kind in kinds:  # each run makes its directory only when its turn comes
            runs.append(Run(kind, options))
            errors.append(await attempt(runs[-1]))
    outcome = 0
    for run, error in zip(runs, errors, strict=True):
        if error is not None:
            print(f"\n== crash test: {run.kind} ==\n  ERROR: {error}")
            outcome = 1
        elif not report(run):
            outcome = 1
    print(f"\ncrash test: {'PASS' if outcome == 0 else 'FAIL'}")
    return outcome


def main(argv: Iterable[str] | None = None) -> int:
    options = parse_options(list(argv) if argv is not None else None)

    async def guarded() -> int:
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(signum, task.cancel)
        return await main_async(options)

    try:
        return asyncio.run(guarded())
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("crash test: interrupted (server killed, scratch database dropped)", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
