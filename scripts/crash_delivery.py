"""The delivery half of the crash test (scripts/crash_test.py): what the outbox sent, and whether
it was what the database committed.

- `Receiver`: a webhook receiver on a free loopback port (a thread running ThreadingHTTPServer)
  that records every request (webhook-id, -timestamp, -signature, body), verifies its signature
  with the `standardwebhooks` package, and answers 204, or 500 to the first attempt of about 3% of
  the message ids (so retries on the schedule are exercised too). Armed, it SIGKILLs the worker
  right after its next answer, the moment that makes a duplicate.
- `OUTBOX_QUERIES` and `outbox_depth`: what the audit and the lag sampler read of the outbox.
- `audit_delivery`: every committed webhook message received (by webhook-id), nothing received
  that was not committed, bodies byte-equal to the stored payloads and signed, exactly one message
  per event and one event per message, every delivery delivered, every e-mail's outcome recorded
  once on its invoice.
- `delivery_faults`: faults the crash test's self-test plants to show that audit catches them.
"""

import asyncio
import contextlib
import hashlib
import http.server
import itertools
import json
import os
import random
import signal
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from standardwebhooks import Webhook

RECEIVER_PATH = "/crash-test/webhooks"
# About this share of message ids get a 500 to their first attempt; the worker retries 5 s later.
FIRST_ATTEMPT_FAILURE_RATE = 0.03
WEBHOOK, EMAIL = "webhook", "email"  # outbox_messages.kind
DELIVERED, PENDING = "delivered", "pending"  # outbox_deliveries.state
WORKER_ACTOR = "worker"  # invoice_events.actor of what the worker records (an e-mail's outcome)
EMAIL_OUTCOMES = ("invoice.email_delivered", "invoice.email_failed")
MESSAGE_ID_PREFIX = "msg_"  # webhook-id = msg_<outbox_messages.public_id>

DELIVERY_VIOLATION_KINDS = (
    "webhooks_lost",
    "webhooks_phantom",
    "webhooks_mismatch",
    "events_without_message",
    "message_without_event",
    "undelivered",
    "email_outcomes",
)

# Read with the audit's snapshot (the same transaction), `$1` the tenant.
OUTBOX_QUERIES = {
    "messages": "SELECT id, public_id, kind, event_type, subject_type, subject_id, payload, fanned_out_at "
    "FROM outbox_messages WHERE tenant_id = $1 ORDER BY id",
    "deliveries": "SELECT id, message_id, endpoint_id, state, attempts FROM outbox_deliveries "
    "WHERE tenant_id = $1 ORDER BY id",
    "endpoints": "SELECT id, url, enabled FROM webhook_endpoints WHERE tenant_id = $1 ORDER BY id",
    "credit_note_events": "SELECT id, credit_note_id, sequence, type, actor FROM credit_note_events "
    "WHERE tenant_id = $1 ORDER BY credit_note_id, sequence, id",
}
# What is still to do: messages not fanned out, deliveries pending (retries included), and the
# oldest of them (as invoicing_outbox_depth and invoicing_outbox_oldest_age_seconds count them).
DEPTH_QUERIES = {
    "depth": "SELECT "
    "(SELECT count(*) FROM outbox_messages WHERE tenant_id = $1 AND fanned_out_at IS NULL) AS unfanned, "
    "(SELECT count(*) FROM outbox_deliveries WHERE tenant_id = $1 AND state = 'pending') AS pending, "
    "(SELECT min(created_at) FROM outbox_messages WHERE tenant_id = $1 AND fanned_out_at IS NULL) AS oldest_message, "
    "(SELECT min(message_created_at) FROM outbox_deliveries WHERE tenant_id = $1 AND state = 'pending') "
    "AS oldest_delivery",
}

# A worker is up once it has written its heartbeat (`$1`: its pid, the same through DIE_WITH_PARENT's exec).
HEARTBEAT_QUERIES = {"beats": "SELECT count(*) AS beats FROM worker_heartbeats WHERE pid = $1"}


# -- the receiver ----------------------------------------------------------------------------


class Receiver:
    """Records every webhook request; `records` is appended to before the answer is sent, so a
    request whose answer the worker never read (it was killed) still counts as received."""

    def __init__(self, host: str, rng: random.Random) -> None:
        # Which ids fail first is a function of the run's seed and the id, not of arrival order.
        self._salt = rng.getrandbits(64).to_bytes(8, "big")
        self._lock = threading.Lock()
        self._verifier: Webhook | None = None
        self._seen: set[str] = set()
        self.records: list[dict[str, Any]] = []
        self.incomplete = 0  # requests whose body did not arrive whole
        self.struck = asyncio.Event()  # set (in the run's loop) when an armed kill has been sent
        self._armed: int | None = None  # a process group to SIGKILL right after the next answer
        self._loop: asyncio.AbstractEventLoop | None = None
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver.handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the records are the log."""

        class Server(http.server.ThreadingHTTPServer):
            # Bursts after a worker restart: keep the kernel's backlog from refusing connections.
            request_queue_size = 128
            daemon_threads = True

        self._server = Server((host, 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhook-receiver", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{RECEIVER_PATH}"

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Serves from a thread; `struck` is set in `loop`."""
        self._loop = loop
        self._thread.start()

    def arm(self, process_group: int) -> None:
        """SIGKILL `process_group` (the worker) as soon as the next request has been answered:
        the receiver has it then, and the worker has not yet written down that it was delivered,
        the moment that makes a duplicate (a kill at a random time hits it only now and then)."""
        with self._lock:
            self._armed = process_group
        self.struck.clear()

    def disarm(self) -> None:
        with self._lock:
            self._armed = None

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(10)
        self._server.server_close()

    def trust(self, secret: str) -> None:
        """The endpoint's signing secret, as its creation answered it."""
        self._verifier = Webhook(secret)

    def fails_first(self, webhook_id: str) -> bool:
        digest = hashlib.blake2b(self._salt + webhook_id.encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") / 2**64 < FIRST_ATTEMPT_FAILURE_RATE

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(record) for record in self.records]

    def handle(self, request: http.server.BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length)
        if len(body) < length:
            # The sender died mid-request (a worker kill): like any receiver, take nothing from it.
            with self._lock:
                self.incomplete += 1
            return
        headers = {name.lower(): value for name, value in request.headers.items()}
        webhook_id = headers.get("webhook-id", "")
        problem = self._verify(body, headers)
        with self._lock:
            first = webhook_id not in self._seen
            self._seen.add(webhook_id)
            status = 500 if first and self.fails_first(webhook_id) else 204
            self.records.append(
                {
                    "webhook_id": webhook_id,
                    "timestamp": headers.get("webhook-timestamp"),
                    "signature": headers.get("webhook-signature"),
                    "body": body,
                    "path": request.path,
                    "status": status,
                    "signature_problem": problem,
                    "at": time.monotonic(),
                }
            )
        with contextlib.suppress(OSError):  # the worker is gone (killed): it will never read the answer
            request.send_response(status)
            request.send_header("Content-Length", "0")
            request.end_headers()  # written to the socket at once (unbuffered)
        with self._lock:
            armed, self._armed = self._armed, None
        if armed is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(armed, signal.SIGKILL)
            if self._loop is not None:
                with contextlib.suppress(RuntimeError):  # the loop closed: the run is over
                    self._loop.call_soon_threadsafe(self.struck.set)

    def _verify(self, body: bytes, headers: dict[str, str]) -> str | None:
        """None when signed with the endpoint's secret; else what is wrong."""
        if self._verifier is None:
            return "received before the endpoint's secret was known"
        try:
            self._verifier.verify(body, headers)
        except Exception as error:  # the package's WebhookVerificationError, or a body that is not JSON
            return f"{type(error).__name__}: {error}"
        return None


# -- the outbox's depth ----------------------------------------------------------------------


def as_utc(value: Any) -> datetime | None:
    """A timestamp as either database returns it (SQLite: naive UTC text)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Depth:
    unfanned: int
    pending: int
    oldest_age: float  # seconds; 0 when nothing is waiting

    @property
    def drained(self) -> bool:
        return self.unfanned == 0 and self.pending == 0


def outbox_depth(rows: list[dict[str, Any]]) -> Depth:
    row = rows[0]
    oldest = [moment for moment in (as_utc(row["oldest_message"]), as_utc(row["oldest_delivery"])) if moment]
    age = (datetime.now(UTC) - min(oldest)).total_seconds() if oldest else 0.0
    return Depth(int(row["unfanned"]), int(row["pending"]), max(age, 0.0))


def snapshot_depth(db: dict[str, list[dict[str, Any]]]) -> Depth:
    """The depth as the audit's own snapshot shows it."""
    unfanned = sum(1 for message in db["messages"] if message["fanned_out_at"] is None)
    pending = sum(1 for delivery in db["deliveries"] if delivery["state"] == PENDING)
    return Depth(unfanned, pending, 0.0)


@dataclass
class Lag:
    """The outbox's depth and oldest age, sampled during the load."""

    samples: int = 0
    max_depth: int = 0
    max_age: float = 0.0
    depth_sum: int = 0

    def add(self, depth: Depth) -> None:
        self.samples += 1
        self.max_depth = max(self.max_depth, depth.unfanned + depth.pending)
        self.max_age = max(self.max_age, depth.oldest_age)
        self.depth_sum += depth.unfanned + depth.pending


@dataclass
class DeliveryStats:
    """What the run did to the worker, and how the outbox kept up."""

    kills: list[float] = field(default_factory=list)  # monotonic times of the worker's SIGKILLs
    start_seconds: list[float] = field(default_factory=list)  # spawn to first heartbeat, per start
    failed_starts: int = 0
    died: int = 0  # times the worker was found to have exited on its own (its log says why)
    incomplete: int = 0  # requests the receiver took nothing from: their sender died mid-body
    lag: Lag = field(default_factory=Lag)
    drain_seconds: float = 0.0


# -- the audit -------------------------------------------------------------------------------


def audit_delivery(
    db: dict[str, list[dict[str, Any]]],
    worker_kills: list[float],
    violation: Callable[[str, str], None],
) -> dict[str, Any]:
    """Checks `db` (the snapshot, with the receiver's records under "received") and returns the
    figures. `worker_kills`: the monotonic times the worker was SIGKILLed."""
    messages = db["messages"]
    webhooks = {MESSAGE_ID_PREFIX + row["public_id"]: row for row in messages if row["kind"] == WEBHOOK}
    receipts: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in db["received"]:
        receipts[record["webhook_id"]].append(record)

    for webhook_id, message in webhooks.items():
        if not any(200 <= record["status"] < 300 for record in receipts.get(webhook_id, [])):
            answered = [record["status"] for record in receipts.get(webhook_id, [])]
            violation(
                "webhooks_lost",
                f"{webhook_id} ({message['event_type']} of {message['subject_type']} {message['subject_id']}) "
                f"committed, never acknowledged by the receiver (answers {answered})",
            )
    for webhook_id, records in receipts.items():
        message = webhooks.get(webhook_id)
        if message is None:
            violation("webhooks_phantom", f"{webhook_id!r} received {len(records)}x: no committed message")
        if len({record["body"] for record in records}) > 1:
            lengths = [len(record["body"]) for record in records]
            stored = len(message["payload"].encode()) if message is not None else None
            violation("webhooks_mismatch", f"{webhook_id}: receipts with different bodies ({lengths} bytes; {stored})")
        elif message is not None and records[0]["body"] != message["payload"].encode():
            violation("webhooks_mismatch", f"{webhook_id}: the body received is not the stored payload")
        for record in records:
            if record["signature_problem"] is not None:
                violation("webhooks_mismatch", f"{webhook_id}: signature refused ({record['signature_problem']})")
    audit_events_vs_messages(db, violation)
    audit_deliveries(db, violation)
    audit_email_outcomes(db, violation)
    return delivery_figures(db, receipts, worker_kills)


def audit_events_vs_messages(db: dict[str, list[dict[str, Any]]], violation: Callable[[str, str], None]) -> None:
    """Each event of the tenant has exactly one webhook message (same subject and type), the
    messages of a subject in the order of its events, and no message is without its event."""
    events: dict[tuple[str, int], list[tuple[int, str]]] = defaultdict(list)
    for row in db["events"]:
        events[("invoice", row["invoice_id"])].append((row["sequence"], row["type"]))
    for row in db["credit_note_events"]:
        events[("credit_note", row["credit_note_id"])].append((row["sequence"], row["type"]))
    messages: dict[tuple[str, int], list[str]] = defaultdict(list)
    for row in db["messages"]:
        if row["kind"] == WEBHOOK:
            messages[(row["subject_type"], row["subject_id"])].append(row["event_type"])
    for subject in set(events) | set(messages):
        expected = [event_type for _, event_type in sorted(events.get(subject, []))]
        written = messages.get(subject, [])
        if expected == written:
            continue
        missing = Counter(expected) - Counter(written)
        extra = Counter(written) - Counter(expected)
        name = f"{subject[0]} {subject[1]}"
        if missing:
            violation("events_without_message", f"{name}: events without a webhook message: {dict(missing)}")
        if extra:
            violation("message_without_event", f"{name}: webhook messages without an event: {dict(extra)}")
        if not missing and not extra:
            violation("events_without_message", f"{name}: messages {written} not in the events' order {expected}")


def audit_deliveries(db: dict[str, list[dict[str, Any]]], violation: Callable[[str, str], None]) -> None:
    """Every message fanned out into one delivery per enabled endpoint (webhooks) or one (e-mails),
    and every delivery delivered."""
    endpoints = {row["id"] for row in db["endpoints"] if row["enabled"]}
    deliveries: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in db["deliveries"]:
        deliveries[row["message_id"]].append(row)
    for message in db["messages"]:
        name = f"{message['kind']} message {MESSAGE_ID_PREFIX}{message['public_id']} ({message['event_type']})"
        made = deliveries.get(message["id"], [])
        wanted = Counter(endpoints) if message["kind"] == WEBHOOK else Counter([None])
        if message["fanned_out_at"] is None:
            violation("undelivered", f"{name}: never fanned out")
        elif Counter(row["endpoint_id"] for row in made) != wanted:
            violation("undelivered", f"{name}: deliveries to {[row['endpoint_id'] for row in made]}")
        for row in made:
            if row["state"] != DELIVERED:
                violation("undelivered", f"{name}: delivery {row['id']} {row['state']} after {row['attempts']} tries")
    known = {row["id"] for row in db["messages"]}
    for message_id in set(deliveries) - known:
        violation("undelivered", f"deliveries of a missing message {message_id}")


def audit_email_outcomes(db: dict[str, list[dict[str, Any]]], violation: Callable[[str, str], None]) -> None:
    """Every e-mail message's outcome is recorded exactly once, on its invoice, by the worker; the
    worker records nothing else."""
    emails = {MESSAGE_ID_PREFIX + row["public_id"]: row for row in db["messages"] if row["kind"] == EMAIL}
    recorded: Counter[str] = Counter()
    for event in db["events"]:
        by_worker = event["actor"] == WORKER_ACTOR
        if by_worker != (event["type"] in EMAIL_OUTCOMES):
            violation("email_outcomes", f"invoice {event['invoice_id']}: {event['type']} by {event['actor']}")
            continue
        if not by_worker:
            continue
        data = json.loads(event["data"]) if event["data"] else {}
        message_id = str(data.get("message_id"))
        email = emails.get(message_id)
        if email is None or email["subject_id"] != event["invoice_id"]:
            violation("email_outcomes", f"invoice {event['invoice_id']}: {event['type']} names {message_id}")
        recorded[message_id] += 1
    for message_id, email in emails.items():
        if recorded[message_id] != 1:
            violation(
                "email_outcomes",
                f"e-mail {message_id} of invoice {email['subject_id']}: outcome recorded {recorded[message_id]}x",
            )


def delivery_figures(
    db: dict[str, list[dict[str, Any]]], receipts: dict[str, list[dict[str, Any]]], worker_kills: list[float]
) -> dict[str, Any]:
    """Receipts beyond an id's first: retries of a 500, or again after a 2xx (a duplicate: the
    worker was killed before it wrote down the delivery, or its lease ran out while it worked)."""
    after_500 = after_kill = lease_ran_out = 0
    for records in receipts.values():
        acknowledged_at: float | None = None
        for previous, record in itertools.pairwise(records):
            if 200 <= previous["status"] < 300 and acknowledged_at is None:
                acknowledged_at = previous["at"]
            if acknowledged_at is None:
                after_500 += previous["status"] >= 500
            elif any(acknowledged_at <= killed <= record["at"] for killed in worker_kills):
                after_kill += 1
            else:
                lease_ran_out += 1
    kinds = Counter(row["kind"] for row in db["messages"])
    return {
        "messages_webhook": kinds[WEBHOOK],
        "messages_email": kinds[EMAIL],
        "received": len(db["received"]),
        "received_ids": len(receipts),
        "first_attempts_failed": sum(1 for records in receipts.values() if records[0]["status"] >= 500),
        "retries_after_500": after_500,
        "duplicates_after_kill": after_kill,
        "duplicates_lease_ran_out": lease_ran_out,
        "signature_checked": sum(1 for record in db["received"] if record["signature_problem"] is None),
        "deliveries": len(db["deliveries"]),
    }


# -- the self-test's faults ------------------------------------------------------------------

Snapshot = dict[str, list[dict[str, Any]]]


def delivery_faults() -> list[tuple[str, Callable[[Snapshot], None], set[str]]]:
    """(name, plant, the kinds the audit must report) for the crash test's self-test. A plant
    raises StopIteration or IndexError when the run made nothing to plant it in."""

    def acknowledged_id(copy: Snapshot) -> str:
        return str(next(row["webhook_id"] for row in copy["received"] if row["status"] == 204))

    def drop_receipts(copy: Snapshot) -> None:
        webhook_id = acknowledged_id(copy)
        copy["received"] = [row for row in copy["received"] if row["webhook_id"] != webhook_id]

    def add_phantom(copy: Snapshot) -> None:
        copy["received"].append({**copy["received"][0], "webhook_id": MESSAGE_ID_PREFIX + "f" * 24})

    def alter_body(copy: Snapshot) -> None:
        record = copy["received"][-1]
        record["body"] = record["body"].replace(b'"data"', b'"data" ', 1)

    def refuse_signature(copy: Snapshot) -> None:
        copy["received"][0]["signature_problem"] = "planted"

    def drop_message(copy: Snapshot) -> None:
        webhook_id = acknowledged_id(copy)
        copy["messages"] = [row for row in copy["messages"] if MESSAGE_ID_PREFIX + row["public_id"] != webhook_id]

    def add_message(copy: Snapshot) -> None:
        message = next(row for row in copy["messages"] if row["kind"] == WEBHOOK)
        copy["messages"].append({**message, "id": 10**9, "public_id": "e" * 24})

    def leave_pending(copy: Snapshot) -> None:
        copy["deliveries"][0]["state"] = PENDING

    def drop_email(copy: Snapshot) -> None:
        email = next(row for row in copy["messages"] if row["kind"] == EMAIL)
        copy["messages"] = [row for row in copy["messages"] if row["id"] != email["id"]]

    return [
        ("a committed webhook never received", drop_receipts, {"webhooks_lost"}),
        ("a webhook of a rolled-back change received", add_phantom, {"webhooks_phantom"}),
        ("a webhook body not the stored payload", alter_body, {"webhooks_mismatch"}),
        ("a webhook signature refused", refuse_signature, {"webhooks_mismatch"}),
        ("an event without its webhook message", drop_message, {"events_without_message", "webhooks_phantom"}),
        ("a webhook message without its event", add_message, {"message_without_event", "webhooks_lost"}),
        ("a delivery left pending", leave_pending, {"undelivered"}),
        ("an e-mail outcome without its e-mail message", drop_email, {"email_outcomes"}),
    ]


def report_rows(figures: dict[str, Any], stats: DeliveryStats) -> list[tuple[str, str]]:
    starts = stats.start_seconds
    rows = [
        (
            "worker kills (SIGKILL)",
            f"{len(stats.kills)}; {len(starts)} starts, {sum(starts) / max(len(starts), 1):.1f} s each to its "
            f"first heartbeat (failed starts {stats.failed_starts}, exited on its own {stats.died})",
        )
    ]
    if "received" not in figures:
        return rows
    lag = stats.lag
    return [
        *rows,
        (
            "outbox messages",
            f"webhook {figures['messages_webhook']}, e-mail {figures['messages_email']}; "
            f"deliveries {figures['deliveries']}",
        ),
        (
            "webhooks received",
            f"{figures['received']} requests, {figures['received_ids']} distinct ids, "
            f"{figures['signature_checked']} signatures verified; {stats.incomplete} cut off mid-body by a kill",
        ),
        (
            "repeats",
            f"{figures['retries_after_500']} retries of a 500 ({figures['first_attempts_failed']} first attempts "
            f"answered 500); duplicates after a 2xx: {figures['duplicates_after_kill']} after a worker kill, "
            f"{figures['duplicates_lease_ran_out']} after a lease ran out",
        ),
        (
            "outbox lag (load)",
            f"max depth {lag.max_depth}, mean {lag.depth_sum / max(lag.samples, 1):.1f}, "
            f"max oldest age {lag.max_age:.1f} s ({lag.samples} samples)",
        ),
        ("drained in", f"{stats.drain_seconds:.1f} s after the load"),
    ]
