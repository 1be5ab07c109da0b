"""A Hypothesis state machine drives the primary API against a model of SPEC section 3.

The model below is written from the SPEC (and docs/api.md where the SPEC is silent: the order
of a payment's checks, the event of a send that issues), not read from
`invoicing.invoices.lifecycle`. Each rule sends one request: create, update, issue, send,
record a payment, cancel, revert the cancel, void, delete, archive or unarchive, on any invoice
made so far (deleted ones included), with no Idempotency-Key, a fresh one, or one used before;
a `retry` rule resends an earlier keyed request byte for byte. The model predicts the answer
(2xx, or the refusal's status and `code`) and the invoice afterwards; a keyed request whose key
already holds a stored 2xx answer is predicted to replay it (same request) or to be refused
with 422 `idempotency_key_reused` (another request), and to change nothing either way.

After every step, for every invoice the machine made: the list (archived ones included) shows
exactly the live ones, each with the model's status, flags, amounts, number, available actions
and `version` (= its event count, docs/api.md); `amount_tax_exclusive + amount_tax_total ==
amount_payable`; the numbers are gapless 1..n. The invoice the step touched is read further:
its events (types, from/to, sequences 1..n) are the model's successful changes, its payments
sum to `amount_paid`; once deleted it answers 404 and its events stay stored.

Hypothesis state machines are synchronous and the app is async, so each run (one per backend)
drives its own event loop with an engine, app and client made for that loop; every example
works in a fresh tenant. STATE_MACHINE_EXAMPLES / STATE_MACHINE_STEPS override the run's size.
"""

import asyncio
import json
import os
import re
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass, field, replace
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

import httpx
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.app import create_app
from invoicing.config import Settings
from invoicing.core.db import APP_ROLE, create_engine
from tests.conftest import Tenant, new_tenant
from tests.lifecycle_states import stored_events
from tests.spec_lifecycle import ACTIONS
from tests.spec_lifecycle import EVENT_TYPES as SPEC_EVENT_TYPES

EXAMPLES = int(os.environ.get("STATE_MACHINE_EXAMPLES", "200"))
STEPS = int(os.environ.get("STATE_MACHINE_STEPS", "20"))

T = TypeVar("T")

# -- the model: SPEC 3 (lifecycle) and SPEC 4 (money), transcribed independently ----------------

# ACTIONS is in the order `available_actions` lists them; "create" is the draft's first event.
EVENT_TYPES = {"create": "invoice.created", **SPEC_EVENT_TYPES}
MINOR_UNITS = {"TRY": 2, "EUR": 2, "JPY": 0, "KWD": 3}  # TRY: the test tenants' base currency
NUMBER = re.compile(r"^(?P<series>[A-Z0-9]{3})(?P<year>\d{4})(?P<sequence>\d{9})$")


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-MINOR_UNITS[currency])


def half_up(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def totals(lines: list[dict[str, str]], currency: str) -> tuple[Decimal, Decimal]:
    """SPEC 4: each line's net and tax rounded half-up on their own; the document sums them."""
    net_total = tax_total = Decimal(0)
    for line in lines:
        gross = Decimal(line["quantity"]) * Decimal(line["unit_price"])
        net = half_up(gross - gross * Decimal(line.get("discount_percent", "0")) / 100, currency)
        net_total += net
        tax_total += half_up(net * Decimal(line["vat_rate_percent"]) / 100, currency)
    return net_total, tax_total


@dataclass(frozen=True)
class Event:
    type: str
    from_status: str | None
    to_status: str


@dataclass(frozen=True)
class ModelInvoice:
    id: int
    currency: str
    has_customer: bool
    line_count: int
    tax_exclusive: Decimal
    tax_total: Decimal
    status: str = "draft"
    prior: str | None = None  # the state a cancel keeps, for revert-cancel
    archived: bool = False
    sent: bool = False
    paid: Decimal = Decimal(0)
    payments: int = 0
    number: int | None = None
    events: tuple[Event, ...] = (Event("invoice.created", None, "draft"),)

    @property
    def payable(self) -> Decimal:
        return self.tax_exclusive + self.tax_total

    @property
    def outstanding(self) -> Decimal:
        return self.payable - self.paid

    @property
    def due(self) -> Decimal:
        """Nothing is due on a cancelled (SPEC 3: "amount due shows 0"), void or deleted invoice."""
        return Decimal(0) if self.status in ("cancelled", "void", "deleted") else self.outstanding

    def available_actions(self) -> list[str]:
        allowed = {
            "draft": {"update", "issue", "send", "delete"},
            # Credit notes and applied credit are modelled by tests/credit_notes/; this machine
            # never takes them, so only an invoice of 0.00 counts as credited in full here.
            "issued": {"send", "record_payment", "cancel", "void", "apply_credit"},
            "partially_paid": {"send", "record_payment", "cancel", "apply_credit"},
            "paid": {"send"},
            "cancelled": {"revert_cancel", "void"} if self.paid == 0 else {"revert_cancel"},
            "void": set(),
        }[self.status] | {"archive", "unarchive"}
        if self.status in ("issued", "partially_paid", "paid") and self.payable > 0:
            allowed.add("credit")
        return [action for action in ACTIONS if action in allowed]


@dataclass(frozen=True)
class Outcome:
    """What the model expects of one request: the HTTP status, the refusal code, the invoice after."""

    status: int
    code: str | None = None
    after: ModelInvoice | None = None  # None: nothing changes

    @property
    def succeeded(self) -> bool:
        return 200 <= self.status < 300


def refused(status: int, code: str) -> Outcome:
    return Outcome(status, code)


NOT_FOUND = Outcome(404, "invoice_not_found")


def changed(invoice: ModelInvoice, action: str, status_code: int = 200, **changes: Any) -> Outcome:
    """A successful change: the new facts and exactly one event."""
    after = replace(invoice, **changes)
    event = Event(EVENT_TYPES[action], invoice.status, after.status)
    return Outcome(status_code, None, replace(after, events=(*invoice.events, event)))


def issue_or_refuse(invoice: ModelInvoice, action: str, next_number: int, **changes: Any) -> Outcome:
    if not invoice.has_customer or invoice.line_count == 0:
        return refused(422, "invoice_incomplete")
    return changed(invoice, action, status="issued", number=next_number, **changes)


def decide(
    invoice: ModelInvoice, action: str, *, next_number: int, amount: Decimal | None = None, update: Any = None
) -> Outcome:
    status = invoice.status
    if action == "record_payment":
        # docs/api.md, in order: amount <= 0; not found / not payable; decimals; overpayment.
        assert amount is not None
        if amount <= 0:
            return refused(422, "invalid_amount")
        if status == "deleted":
            return NOT_FOUND
        if status not in ("issued", "partially_paid"):
            return refused(409, "invoice_not_payable")
        if amount != amount.quantize(quantum(invoice.currency), rounding=ROUND_DOWN):
            return refused(422, "invalid_amount")
        if amount > invoice.due:
            return refused(422, "overpayment")
        paid = invoice.paid + amount
        new_status = "paid" if paid >= invoice.payable else "partially_paid"
        return changed(invoice, action, 201, status=new_status, paid=paid, payments=invoice.payments + 1)
    if status == "deleted":
        return NOT_FOUND
    match action:
        case "update":
            if status != "draft":
                return refused(409, "invoice_not_editable")
            return changed(invoice, action, **update)
        case "issue":
            if status != "draft":
                return refused(409, "invoice_not_draft")
            return issue_or_refuse(invoice, action, next_number)
        case "send":
            if status == "draft":
                return issue_or_refuse(invoice, action, next_number, sent=True)
            if status in ("issued", "partially_paid", "paid"):
                return changed(invoice, action, sent=True)
            return refused(409, "invoice_not_sendable")
        case "cancel":
            if status in ("issued", "partially_paid"):
                return changed(invoice, action, status="cancelled", prior=status)
            if status == "cancelled":
                return refused(409, "invoice_already_cancelled")
            return refused(409, "invoice_not_cancellable")
        case "revert_cancel":
            if status != "cancelled":
                return refused(409, "invoice_not_cancelled")
            return changed(invoice, action, status=invoice.prior, prior=None)
        case "void":
            if status == "void":
                return refused(409, "invoice_already_void")
            if status == "draft":
                return refused(409, "invoice_is_draft")
            if invoice.paid > 0 or status in ("partially_paid", "paid"):
                return refused(409, "invoice_has_payments")
            return changed(invoice, action, status="void", prior=None)
        case "delete":
            if status != "draft":
                return refused(409, "invoice_not_draft")
            return changed(invoice, action, status="deleted")
        case "archive" | "unarchive":
            wanted = action == "archive"
            if invoice.archived == wanted:
                return Outcome(200)  # idempotent: 200, no change, no event
            return changed(invoice, action, archived=wanted)
    raise AssertionError(f"unknown action {action}")


# -- requests ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One request exactly as sent, so a retry can send the same bytes again."""

    action: str
    invoice_id: int | None  # None: create
    method: str
    path: str
    query: str = ""
    body: bytes = b""
    key: str | None = None
    amount: Decimal | None = None
    update: tuple[tuple[str, Any], ...] = ()  # the model's changes for update and create

    @property
    def fingerprint(self) -> tuple[str, str, str, bytes]:
        return (self.method, self.path, self.query, self.body)


def body_of(payload: dict[str, Any] | None) -> bytes:
    return b"" if payload is None else json.dumps(payload, sort_keys=True).encode()


def action_call(action: str, invoice_id: int, *, key: str | None, amount: Decimal | None = None) -> Call:
    path = f"/api/v1/invoices/{invoice_id}"
    method, query = "POST", ""
    payload: dict[str, Any] | None = None
    match action:
        case "issue" | "send" | "void":
            path += f"/{action}"
        case "record_payment":
            path += "/payments"
            payload = {"amount": str(amount), "method": "bank_transfer"}
        case "cancel":
            path, payload = path + "/cancel", {"id": invoice_id}
        case "revert_cancel":
            path, payload = path + "/revert-cancel", {"id": invoice_id}
        case "delete":
            method = "DELETE"
        case "archive":
            path += "/archive"
        case "unarchive":
            method, path, query = "DELETE", path + "/archive", f"id={invoice_id}"
        case _:
            raise AssertionError(action)
    return Call(action, invoice_id, method, path, query, body_of(payload), key, amount)


@dataclass
class Stored:
    """A keyed request's stored first 2xx answer."""

    fingerprint: tuple[str, str, str, bytes]
    status: int
    content: bytes


LINE = st.fixed_dictionaries(
    {
        "name": st.just("Work"),
        "quantity": st.sampled_from(["1", "2", "0.5", "3.333", "7"]),
        "unit_price": st.sampled_from(["50.00", "19.99", "12.3456", "1000", "0.01", "0"]),
        "vat_rate_percent": st.sampled_from(["0", "1", "8", "18", "20"]),
    },
    optional={"discount_percent": st.sampled_from(["0", "10", "12.5", "100"])},
)
# A line worth at least a few minor units of any currency, so it can be paid in part.
PRICED_LINE = LINE.map(lambda line: {**line, "unit_price": "50.00", "discount_percent": "0"})
# Where the first invoice of a run is taken before the random steps, by the actions that lead there.
SITUATIONS = {
    "issued": ["issue"],
    "partially_paid": ["issue", "pay_part"],
    "cancelled_from_partially_paid": ["issue", "pay_part", "cancel"],
    "cancelled_from_issued": ["issue", "cancel"],
    "draft": [],
    "paid": ["send", "pay_part", "pay_rest"],
    "void": ["issue", "void"],
}
# Mostly one line (what shrinking goes to), sometimes more, sometimes none (not issuable).
LINES = st.sampled_from([1, 1, 1, 2, 3, 0]).flatmap(lambda size: st.lists(LINE, min_size=size, max_size=size))
WITH_CUSTOMER = st.sampled_from([True, True, True, True, False])
# No key, a fresh key, or one used before (on another request: refused, unless it stored nothing).
KEYS = st.sampled_from([None, None, None, None, "new", "new", "new", "reuse"])
CURRENCIES = st.sampled_from([None, None, "EUR", "JPY", "KWD"])  # None: the tenant's, TRY
PICK = st.integers(min_value=0, max_value=1000)
AMOUNT_KINDS = ["part", "part", "part", "rest", "rest", "over", "zero", "negative", "sub_unit", "ten"]


def payment_amount(kind: str, percent: int, invoice: ModelInvoice) -> Decimal:
    """Drawn against what is left to pay (whatever the status, so refusals get real amounts)."""
    step = quantum(invoice.currency)
    left = invoice.outstanding
    match kind:
        case "part":  # at least the smallest unit, so it is a real payment when anything is left
            return min(left, max(step, (left * percent / 100).quantize(step, rounding=ROUND_DOWN)))
        case "rest":
            return left
        case "over":
            return left + step
        case "zero":
            return Decimal("0")
        case "negative":
            return -step
        case "sub_unit":
            return step / 10
        case "ten":
            return Decimal(10).quantize(step)
    raise AssertionError(kind)


# -- running it ----------------------------------------------------------------------------------


@dataclass
class Runner:
    """One event loop, with an engine, app and client made for it (the machine is synchronous)."""

    database_url: str
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    engine: AsyncEngine | None = None  # the login user's (the tables' owner): set-up and inspection
    app_engine: AsyncEngine | None = None  # the app's: on PostgreSQL it acts as APP_ROLE, held to RLS
    client: httpx.AsyncClient | None = None
    outcomes: Counter[str] = field(default_factory=Counter)  # what the steps did, shown with -s
    examples: int = 0
    steps: int = 0

    def tally(self, outcome: str) -> None:
        self.outcomes[outcome] += 1
        self.steps += 1

    def summary(self) -> str:
        lines = [f"{self.examples} examples, {self.steps} requests checked against the model:"]
        lines += [f"  {count:6d}  {outcome}" for outcome, count in sorted(self.outcomes.items())]
        return "\n".join(lines)

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    def start(self) -> None:
        async def start() -> None:
            self.engine = create_engine(self.database_url, pool_size=2)
            postgresql = self.database_url.startswith("postgresql")
            self.app_engine = (
                create_engine(self.database_url, pool_size=5, role=APP_ROLE) if postgresql else self.engine
            )
            app = create_app(Settings(database_url=self.database_url, rate_limit_per_second=0))
            app.state.engine = self.app_engine  # ASGITransport does not run the lifespan (as tests/conftest.py)
            transport = httpx.ASGITransport(app=app)
            self.client = httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=60)

        self.run(start())

    def close(self) -> None:
        async def close() -> None:
            if self.client is not None:
                await self.client.aclose()
            if self.app_engine is not None and self.app_engine is not self.engine:
                await self.app_engine.dispose()
            if self.engine is not None:
                await self.engine.dispose()

        try:
            self.run(close())
        finally:
            self.loop.close()


def problem_code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


def invoice_in(body: dict[str, Any]) -> dict[str, Any]:
    data = body["data"]
    return dict(data["invoice"] if isinstance(data.get("invoice"), dict) else data)


def money(text: str, currency: str) -> Decimal:
    value = Decimal(text)
    assert value.as_tuple().exponent == -MINOR_UNITS[currency], f"{text!r} is not in {currency}'s minor units"
    return value


def assert_shows(shown: dict[str, Any], invoice: ModelInvoice, *, number_prefix: str | None) -> None:
    """The invoice as the API shows it agrees with the model, field by field."""
    where = f"invoice {invoice.id} ({invoice.status})"
    currency = invoice.currency
    expected = {
        "status": invoice.status,
        "is_archived": invoice.archived,
        "is_cancelled": invoice.status == "cancelled",
        "is_draft": invoice.status == "draft",
        "sent": invoice.sent,
        "has_customer": invoice.has_customer,
        "lines": invoice.line_count,
        "amount_tax_exclusive": invoice.tax_exclusive,
        "amount_tax_total": invoice.tax_total,
        "amount_payable": invoice.payable,
        "amount_paid": invoice.paid,
        "amount_due": invoice.due,
        "available_actions": invoice.available_actions() if invoice.status != "deleted" else [],
        "version": len(invoice.events),  # docs/api.md: the sequence of the latest event
        "numbered": invoice.number is not None,
        "currency": currency,
    }
    actual = {
        "status": shown["status"],
        "is_archived": shown["is_archived"],
        "is_cancelled": shown["is_cancelled"],
        "is_draft": shown["is_draft"],
        "sent": shown["sent_at"] is not None,
        "has_customer": shown["customer"] is not None,
        "lines": len(shown["lines"]),
        "amount_tax_exclusive": money(shown["amount_tax_exclusive"], currency),
        "amount_tax_total": money(shown["amount_tax_total"], currency),
        "amount_payable": money(shown["amount_payable"], currency),
        "amount_paid": money(shown["amount_paid"], currency),
        "amount_due": money(shown["amount_due"], currency),
        "available_actions": shown["available_actions"],
        "version": shown["version"],
        "numbered": shown["document_number"] is not None,
        "currency": shown["currency"]["code"],
    }
    diverging = {name: (expected[name], actual[name]) for name in expected if expected[name] != actual[name]}
    assert not diverging, f"{where}: model vs service (expected, shown): {diverging}"
    assert actual["amount_tax_exclusive"] + actual["amount_tax_total"] == actual["amount_payable"], where
    if invoice.number is not None:
        match = NUMBER.match(shown["document_number"])
        assert match, f"{where}: malformed number {shown['document_number']!r}"
        assert int(match["sequence"]) == invoice.number, f"{where}: number {shown['document_number']}"
        if number_prefix is not None:
            assert shown["document_number"].startswith(number_prefix), f"{where}: {shown['document_number']}"


def make_machine(runner: Runner) -> type[RuleBasedStateMachine]:
    class InvoiceLifecycle(RuleBasedStateMachine):
        invoices = Bundle("invoices")

        def __init__(self) -> None:
            super().__init__()
            runner.examples += 1
            assert runner.engine is not None
            assert runner.client is not None
            self.tenant: Tenant = runner.run(new_tenant(runner.engine, runner.client, name="State machine"))
            self.customer_id: int = runner.run(self.tenant.create_customer())["id"]
            self.model: dict[int, ModelInvoice] = {}
            self.issued = 0  # numbers given so far (one series, one year)
            self.number_prefix: str | None = None
            self.keys: list[str] = []
            self.stored: dict[str, Stored] = {}
            self.keyed_calls: list[Call] = []
            self.touched: int | None = None  # the invoice the last step acted on
            self.changed = False  # whether that step changed it

        # -- plumbing ------------------------------------------------------------------------

        def key_for(self, choice: str | None, pick: int) -> str | None:
            if choice == "reuse" and self.keys:
                return self.keys[pick % len(self.keys)]
            if choice is None:
                return None
            key = f"sm-{len(self.keys) + 1}"
            self.keys.append(key)
            return key

        def request(self, call: Call) -> httpx.Response:
            headers = dict(self.tenant.headers)
            if call.body:
                headers["Content-Type"] = "application/json"
            if call.key is not None:
                headers["Idempotency-Key"] = call.key
            url = call.path + (f"?{call.query}" if call.query else "")
            return runner.run(self.tenant.client.request(call.method, url, headers=headers, content=call.body))

        def get(self, path: str) -> httpx.Response:
            return runner.run(self.tenant.get(path))

        def expect(self, call: Call) -> Outcome:
            if call.invoice_id is None:  # create
                fields = dict(call.update)
                draft = ModelInvoice(id=0, **fields)
                return Outcome(201, None, draft)
            invoice = self.model[call.invoice_id]
            return decide(
                invoice, call.action, next_number=self.issued + 1, amount=call.amount, update=dict(call.update)
            )

        def perform(self, call: Call) -> int | None:
            """Sends `call`, checks the answer against the model, then moves the model on.

            Returns the new invoice's id when a create ran (not when it was replayed).
            """
            self.touched, self.changed = call.invoice_id, False
            if call.key is not None:
                self.keyed_calls.append(call)
                stored = self.stored.get(call.key)
                if stored is not None:
                    response = self.request(call)
                    replay = stored.fingerprint == call.fingerprint
                    runner.tally(f"{call.action}: keyed repeat ({'replayed' if replay else 'key reused'})")
                    if replay:
                        assert response.status_code == stored.status, response.text
                        assert response.headers.get("Idempotent-Replayed") == "true", response.headers
                        assert response.content == stored.content, "a replay answers the first answer's bytes"
                    else:
                        assert response.status_code == 422, response.text
                        assert problem_code(response) == "idempotency_key_reused", response.text
                    return None
            outcome = self.expect(call)
            response = self.request(call)
            runner.tally(f"{call.action}: {outcome.status} {outcome.code or ''}".rstrip())
            label = f"{call.method} {call.path} {call.body!r}"
            assert response.status_code == outcome.status, f"{label}: expected {outcome}, got {response.text}"
            assert response.headers.get("Idempotent-Replayed") is None
            if not outcome.succeeded:
                assert problem_code(response) == outcome.code, f"{label}: expected {outcome.code}: {response.text}"
                return None
            if call.key is not None:
                self.stored[call.key] = Stored(call.fingerprint, response.status_code, response.content)
            shown = invoice_in(response.json())
            created = None
            after = outcome.after
            if after is not None:
                if call.invoice_id is None:
                    created = shown["id"]
                    after = replace(after, id=created)
                    self.touched = created
                if after.number is not None and after.number > self.issued:
                    self.issued = after.number
                    self.number_prefix = self.number_prefix or shown["document_number"][:7]
                self.model[after.id] = after
                self.changed = True
            assert_shows(shown, self.model[shown["id"]], number_prefix=self.number_prefix)
            return created

        # -- rules ---------------------------------------------------------------------------

        @initialize(target=invoices, situation=st.sampled_from(list(SITUATIONS)), line=PRICED_LINE, currency=CURRENCIES)
        def an_invoice_in(self, situation: str, line: dict[str, str], currency: str | None) -> int:
            """Every run starts with one invoice brought to any state (each step checked as usual),
            so the deep ones (cancelled from partially_paid, say) are reached in most runs."""
            invoice = self.create_draft([line], with_customer=True, currency=currency, key=None)
            assert invoice is not None
            for action in SITUATIONS[situation]:
                if action.startswith("pay_"):
                    amount = payment_amount(action.removeprefix("pay_"), 50, self.model[invoice])
                    self.perform(action_call("record_payment", invoice, key=None, amount=amount))
                else:
                    self.act(action, invoice, None, 0)
            assert self.model[invoice].status == situation.split("_from_")[0], self.model[invoice]
            return invoice

        @rule(
            target=invoices,
            lines=LINES,
            with_customer=WITH_CUSTOMER,
            currency=CURRENCIES,
            key=KEYS,
            pick=PICK,
        )
        def create(
            self, lines: list[dict[str, str]], with_customer: bool, currency: str | None, key: str | None, pick: int
        ) -> int | MultipleResults[int]:
            created = self.create_draft(
                lines, with_customer=with_customer, currency=currency, key=self.key_for(key, pick)
            )
            return multiple() if created is None else created  # a replay makes no new invoice

        def create_draft(
            self, lines: list[dict[str, str]], *, with_customer: bool, currency: str | None, key: str | None
        ) -> int | None:
            payload: dict[str, Any] = {"lines": lines}
            if with_customer:
                payload["customer_id"] = self.customer_id
            if currency is not None:
                payload["currency"] = currency
            code = currency or "TRY"
            tax_exclusive, tax_total = totals(lines, code)
            fields = {
                "currency": code,
                "has_customer": with_customer,
                "line_count": len(lines),
                "tax_exclusive": tax_exclusive,
                "tax_total": tax_total,
            }
            call = Call(
                "create",
                None,
                "POST",
                "/api/v1/invoices",
                body=body_of(payload),
                key=key,
                update=tuple(fields.items()),
            )
            return self.perform(call)

        @rule(
            invoice=invoices,
            lines=st.none() | LINES,
            customer=st.sampled_from(["keep", "set", "clear"]),
            key=KEYS,
            pick=PICK,
        )
        def update(
            self, invoice: int, lines: list[dict[str, str]] | None, customer: str, key: str | None, pick: int
        ) -> None:
            current = self.model[invoice]
            payload: dict[str, Any] = {"notes": "Edited"}
            changes: dict[str, Any] = {}
            if lines is not None:
                payload["lines"] = lines
                tax_exclusive, tax_total = totals(lines, current.currency)
                changes |= {"line_count": len(lines), "tax_exclusive": tax_exclusive, "tax_total": tax_total}
            if customer != "keep":
                payload["customer_id"] = self.customer_id if customer == "set" else None
                changes["has_customer"] = customer == "set"
            call = Call(
                "update",
                invoice,
                "PATCH",
                f"/api/v1/invoices/{invoice}",
                body=body_of(payload),
                key=self.key_for(key, pick),
                update=tuple(changes.items()),
            )
            self.perform(call)

        def act(self, action: str, invoice: int, key: str | None, pick: int) -> None:
            self.perform(action_call(action, invoice, key=self.key_for(key, pick)))

        @rule(invoice=invoices, key=KEYS, pick=PICK)
        def issue(self, invoice: int, key: str | None, pick: int) -> None:
            self.act("issue", invoice, key, pick)

        @rule(invoice=invoices, key=KEYS, pick=PICK)
        def send(self, invoice: int, key: str | None, pick: int) -> None:
            self.act("send", invoice, key, pick)

        @rule(invoice=invoices, key=KEYS, pick=PICK)
        def cancel(self, invoice: int, key: str | None, pick: int) -> None:
            self.act("cancel", invoice, key, pick)

        @rule(invoice=invoices, key=KEYS, pick=PICK)
        def revert_cancel(self, invoice: int, key: str | None, pick: int) -> None:
            self.act("revert_cancel", invoice, key, pick)

        @rule(invoice=invoices, key=KEYS, pick=PICK)
        def void(self, invoice: int, key: str | None, pick: int) -> None:
            self.act("void", invoice, key, pick)

        @rule(invoice=invoices, key=KEYS, pick=PICK)
        def delete(self, invoice: int, key: str | None, pick: int) -> None:
            self.act("delete", invoice, key, pick)

        @rule(invoice=invoices, key=KEYS, pick=PICK)
        def archive(self, invoice: int, key: str | None, pick: int) -> None:
            self.act("archive", invoice, key, pick)

        @rule(invoice=invoices, key=KEYS, pick=PICK)
        def unarchive(self, invoice: int, key: str | None, pick: int) -> None:
            self.act("unarchive", invoice, key, pick)

        @rule(
            invoice=invoices,
            kind=st.sampled_from(AMOUNT_KINDS),
            percent=st.integers(min_value=1, max_value=99),
            key=KEYS,
            pick=PICK,
        )
        def pay(self, invoice: int, kind: str, percent: int, key: str | None, pick: int) -> None:
            amount = payment_amount(kind, percent, self.model[invoice])
            self.perform(action_call("record_payment", invoice, key=self.key_for(key, pick), amount=amount))

        @precondition(lambda self: bool(self.keyed_calls))
        @rule(pick=PICK)
        def retry(self, pick: int) -> None:
            """The same request again, same key, same bytes: a replay, or a re-run if refused before."""
            self.perform(self.keyed_calls[pick % len(self.keyed_calls)])

        # -- invariants ----------------------------------------------------------------------

        @invariant()
        def every_invoice_agrees_with_the_model(self) -> None:
            response = self.get("/invoices?archived=any&limit=200&expand=lines")  # lists carry lines on request
            assert response.status_code == 200, response.text
            listed = {invoice["id"]: invoice for invoice in response.json()["data"]}
            live = {id_: invoice for id_, invoice in self.model.items() if invoice.status != "deleted"}
            assert set(listed) == set(live), f"listed {sorted(listed)}, model's live invoices {sorted(live)}"
            for id_, invoice in live.items():
                assert_shows(listed[id_], invoice, number_prefix=self.number_prefix)
            numbers = sorted(invoice.number for invoice in self.model.values() if invoice.number is not None)
            assert numbers == list(range(1, self.issued + 1)), f"numbers not gapless: {numbers}"
            shown_numbers = sorted(
                int(invoice["document_number"][-9:]) for invoice in listed.values() if invoice["document_number"]
            )
            assert shown_numbers == numbers

        @invariant()
        def the_touched_invoice_has_its_events_and_payments(self) -> None:
            if self.touched is None or self.touched not in self.model:
                return
            invoice = self.model[self.touched]
            if not self.changed and invoice.status != "deleted":
                return  # nothing written: the list's `version` (= event count) already shows that
            if invoice.status == "deleted":
                response = self.get(f"/invoices/{invoice.id}")
                assert response.status_code == 404, response.text
                assert problem_code(response) == "invoice_not_found"
                assert runner.engine is not None
                rows = runner.run(stored_events(runner.engine, self.tenant.id, invoice.id))
                events = [(row["type"], row["from_status"], row["to_status"], row["sequence"]) for row in rows]
            else:
                response = self.get(f"/invoices/{invoice.id}/events")
                assert response.status_code == 200, response.text
                events = [
                    (event["type"], event["from_status"], event["to_status"], event["sequence"])
                    for event in response.json()["data"]
                ]
                payments = self.get(f"/invoices/{invoice.id}/payments")
                assert payments.status_code == 200, payments.text
                amounts = [money(payment["amount"], invoice.currency) for payment in payments.json()["data"]]
                assert len(amounts) == invoice.payments, f"invoice {invoice.id}: payments {amounts}"
                assert sum(amounts, Decimal(0)) == invoice.paid, f"invoice {invoice.id}: payments {amounts}"
            expected = [
                (event.type, event.from_status, event.to_status, sequence)
                for sequence, event in enumerate(invoice.events, start=1)
            ]
            assert events == expected, f"invoice {invoice.id}: events differ from the model's changes"

    return InvoiceLifecycle


def test_the_api_agrees_with_the_lifecycle_model(database_url: str) -> None:
    runner = Runner(database_url)
    try:
        runner.start()
        machine = make_machine(runner)
        run_state_machine_as_test(
            machine,
            settings=settings(
                max_examples=EXAMPLES,
                stateful_step_count=STEPS,
                deadline=None,
                print_blob=True,  # a failure prints @reproduce_failure(...) besides the steps
            ),
        )
        print(f"\n[{database_url.split(':', 1)[0]}] {runner.summary()}")
    finally:
        runner.close()
