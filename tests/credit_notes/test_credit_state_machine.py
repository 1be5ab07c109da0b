"""Issue 12, acceptance 1: a Hypothesis state machine drives invoices and their credit notes
over the primary API against a model written from the issue and docs/credit-notes.md (not read
from `invoicing.credit_notes`).

Each rule sends one request: a new issued invoice, a payment, cancel, revert the cancel, void
an invoice, a credit note (draft, or issued at once, with or without a refund; lines by
quantity, by amount or free, in or beyond what is left), issue, void or delete a credit note,
or apply a credit note's kept credit to an invoice (any invoice: another customer's, another
currency, one that is not open). The model predicts the answer (2xx, or the refusal's status
and `code`) and every figure afterwards.

After every step: what the step answered (the invoice and credit note it changed) agrees with
the model to the minor unit; a refused step is read back and changed nothing; the model itself
keeps the issue's invariants (amount due = payable - paid - (credited - refunded - kept) -
applied, never negative; credits never exceed payable; refunds never exceed paid; customer
balance = credit kept - applied >= 0), and so does what the service shows. Every twentieth step and
at the end of every example, everything is read back: all invoices, all credit notes (numbers
gapless 1..n), both customers' balances, and (at the end) every event stream.

CI runs at least 5,000 rule steps per database (CREDIT_MACHINE_EXAMPLES x _STEPS to change it
locally); the summary (`-s`) shows how many of each outcome were checked.
"""

import os
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Any

import httpx
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.conftest import Tenant, new_tenant
from tests.spec_lifecycle import ACTIONS, INTERNAL_ACTIONS
from tests.test_state_machine import NUMBER, Runner, half_up, money, problem_code, quantum

EXAMPLES = int(os.environ.get("CREDIT_MACHINE_EXAMPLES", "100"))
STEPS = int(os.environ.get("CREDIT_MACHINE_STEPS", "70"))  # one of them the initial invoice
REQUIRED_STEPS = 5000  # issue 12: at least this many per run in CI, on each database
SWEEP_EVERY = 20
ZERO = Decimal(0)

# -- the model -----------------------------------------------------------------------------------


def priced(
    quantity: Decimal, unit_price: Decimal, vat: Decimal, discount: Decimal, currency: str
) -> tuple[Decimal, Decimal]:
    """SPEC 4: a line's net and tax, each rounded half-up on its own."""
    gross = quantity * unit_price
    net = half_up(gross - gross * discount / 100, currency)
    return net, half_up(net * vat / 100, currency)


@dataclass(frozen=True)
class InvoiceLine:
    id: int
    quantity: Decimal
    unit_price: Decimal
    vat: Decimal
    discount: Decimal
    net: Decimal
    tax: Decimal


@dataclass
class ModelInvoice:
    id: int
    customer: int
    currency: str
    lines: dict[int, InvoiceLine]
    payable: Decimal
    status: str = "issued"
    prior: str | None = None
    paid: Decimal = ZERO
    credited: Decimal = ZERO  # the totals of its issued credit notes
    refunded: Decimal = ZERO  # of those, paid back
    kept: Decimal = ZERO  # of those, kept as customer credit
    applied: Decimal = ZERO  # other notes' credit applied to it
    events: list[str] = field(default_factory=lambda: ["invoice.created", "invoice.issued"])

    @property
    def open(self) -> Decimal:
        return self.payable - self.paid - (self.credited - self.refunded - self.kept) - self.applied

    @property
    def due(self) -> Decimal:
        return ZERO if self.status in ("cancelled", "void") else self.open

    @property
    def has_payments(self) -> bool:
        return self.paid > 0 or self.applied > 0

    def settle(self) -> None:
        """Where a credit, its void or applied credit leaves the invoice: paid when nothing is
        due, partially paid when something was paid or applied, else issued."""
        self.status = "paid" if self.open <= 0 else "partially_paid" if self.has_payments else "issued"

    def available_actions(self) -> list[str]:
        creditable = self.credited < self.payable
        allowed = {
            "issued": {"send", "record_payment", "apply_credit"}
            | ({"cancel"} if self.credited == 0 else set())
            | ({"void"} if self.credited == 0 and not self.has_payments else set()),
            "partially_paid": {"send", "record_payment", "apply_credit"}
            | ({"cancel"} if self.credited == 0 else set()),
            "paid": {"send"},
            "cancelled": {"revert_cancel"} | ({"void"} if not self.has_payments else set()),
            "void": set(),
        }[self.status] | {"archive", "unarchive"}
        if self.status in ("issued", "partially_paid", "paid") and creditable:
            allowed.add("credit")
        return [action for action in INVOICE_ACTIONS if action in allowed]


# The order `available_actions` lists them (the lifecycle table's), without the two it never lists.
INVOICE_ACTIONS = [action for action in ACTIONS if action not in INTERNAL_ACTIONS]
CREDITABLE = frozenset({"issued", "partially_paid", "paid"})
OPEN = frozenset({"issued", "partially_paid"})
VOIDABLE = frozenset({"issued", "cancelled"})


@dataclass(frozen=True)
class CreditLine:
    """One line of a credit-note request: by `quantity` or `amount` of an invoice line, or `free`."""

    kind: str
    invoice_line_id: int | None = None
    quantity: Decimal = ZERO
    amount: Decimal = ZERO
    unit_price: Decimal = ZERO
    vat: Decimal = ZERO

    def payload(self) -> dict[str, str | int]:
        match self.kind:
            case "quantity":
                assert self.invoice_line_id is not None
                return {"invoice_line_id": self.invoice_line_id, "quantity": str(self.quantity)}
            case "amount":
                assert self.invoice_line_id is not None
                return {"invoice_line_id": self.invoice_line_id, "amount": str(self.amount)}
        return {
            "name": "Goodwill",
            "quantity": str(self.quantity),
            "unit_price": str(self.unit_price),
            "vat_rate_percent": str(self.vat),
        }


@dataclass(frozen=True)
class PricedLine:
    invoice_line_id: int | None
    quantity: Decimal  # credited quantity (by quantity only, else 0)
    net: Decimal
    tax: Decimal


@dataclass
class ModelNote:
    id: int
    invoice_id: int
    customer: int
    currency: str
    request: tuple[CreditLine, ...]
    refund: Decimal | None
    lines: tuple[PricedLine, ...]
    status: str = "draft"
    reducing_due: Decimal = ZERO
    refunded: Decimal = ZERO
    kept: Decimal = ZERO
    allocated: Decimal = ZERO
    number: int | None = None
    events: list[str] = field(default_factory=lambda: ["credit_note.created"])

    @property
    def tax_exclusive(self) -> Decimal:
        return sum((line.net for line in self.lines), ZERO)

    @property
    def tax_total(self) -> Decimal:
        return sum((line.tax for line in self.lines), ZERO)

    @property
    def total(self) -> Decimal:
        return self.tax_exclusive + self.tax_total

    @property
    def available(self) -> Decimal:
        return self.kept - self.allocated

    def available_actions(self) -> list[str]:
        if self.status == "draft":
            return ["issue", "delete"]
        if self.status == "issued" and self.refunded == 0 and self.allocated == 0:
            return ["void"]
        return []


class Refusal(Exception):
    def __init__(self, status: int, code: str) -> None:
        super().__init__(f"{status} {code}")
        self.status, self.code = status, code


@dataclass(frozen=True)
class Left:
    quantity: Decimal = ZERO
    net: Decimal = ZERO
    tax: Decimal = ZERO


def price_request(
    request: tuple[CreditLine, ...], invoice: ModelInvoice, credited: dict[int, Left]
) -> tuple[PricedLine, ...]:
    """The issue's rules, line by line in order; raises the first Refusal.

    By quantity: the invoice line's price, discount and rate, rounded per line, never more than
    is left of the line; the units that close the line take exactly what is left of it. By
    amount: that net at the line's rate, the amount that closes the line taking the tax left.
    Free lines: their own price and rate.
    """
    currency = invoice.currency
    running = dict(credited)
    lines: list[PricedLine] = []
    for line in request:
        if line.kind == "free":
            net, tax = priced(line.quantity, line.unit_price, line.vat, ZERO, currency)
            lines.append(PricedLine(None, ZERO, net, tax))
            continue
        assert line.invoice_line_id is not None
        source = invoice.lines.get(line.invoice_line_id)
        if source is None:
            raise Refusal(422, "unknown_invoice_line")
        before = running.get(source.id, Left())
        left_net, left_tax = source.net - before.net, source.tax - before.tax
        if line.kind == "quantity":
            left_quantity = source.quantity - before.quantity
            if line.quantity > left_quantity:
                raise Refusal(422, "credit_exceeds_line")
            if line.quantity == left_quantity:
                net, tax = left_net, left_tax
            else:
                net, tax = priced(line.quantity, source.unit_price, source.vat, source.discount, currency)
                net, tax = min(net, left_net), min(tax, left_tax)
            credited_quantity = line.quantity
        else:
            if line.amount != line.amount.quantize(quantum(currency), rounding=ROUND_DOWN):
                raise Refusal(422, "invalid_amount")
            if line.amount > left_net:
                raise Refusal(422, "credit_exceeds_line")
            net = line.amount
            tax = left_tax if net == left_net else min(half_up(net * source.vat / 100, currency), left_tax)
            credited_quantity = ZERO
        running[source.id] = Left(before.quantity + credited_quantity, before.net + net, before.tax + tax)
        lines.append(PricedLine(source.id, credited_quantity, net, tax))
    total = sum((line.net + line.tax for line in lines), ZERO)
    if total <= 0:
        raise Refusal(422, "credit_note_empty")
    if total > invoice.payable - invoice.credited:
        raise Refusal(422, "credit_exceeds_invoice")
    return tuple(lines)


def invoice_refusal(invoice: ModelInvoice, action: str) -> Refusal | None:
    """The invoice-side guard of `action` (the lifecycle table, docs/api.md and the issue)."""
    status = invoice.status
    creditable = status in ("issued", "partially_paid", "paid")
    match action:
        case "record_payment" | "apply_credit":
            return None if status in ("issued", "partially_paid") else Refusal(409, "invoice_not_payable")
        case "credit":
            if not creditable:
                return Refusal(409, "invoice_not_creditable")
            return Refusal(409, "invoice_fully_credited") if invoice.credited >= invoice.payable else None
        case "void_credit_note":
            return None if creditable else Refusal(409, "invoice_not_creditable")
        case "cancel":
            if status == "cancelled":
                return Refusal(409, "invoice_already_cancelled")
            if status not in ("issued", "partially_paid"):
                return Refusal(409, "invoice_not_cancellable")
            return Refusal(409, "invoice_has_credit_notes") if invoice.credited > 0 else None
        case "revert_cancel":
            return None if status == "cancelled" else Refusal(409, "invoice_not_cancelled")
        case "void":
            if status == "void":
                return Refusal(409, "invoice_already_void")
            if status not in ("issued", "cancelled") or invoice.has_payments:
                return Refusal(409, "invoice_has_payments")
            return Refusal(409, "invoice_has_credit_notes") if invoice.credited > 0 else None
    raise AssertionError(action)


# -- what is drawn -------------------------------------------------------------------------------

LINE = st.fixed_dictionaries(
    {
        "name": st.just("Work"),
        "quantity": st.sampled_from(["1", "2", "3", "0.5", "3.333"]),
        "unit_price": st.sampled_from(["50.00", "19.99", "12.3456", "1000", "0.35"]),
        "vat_rate_percent": st.sampled_from(["0", "8", "18", "20"]),
        "discount_percent": st.sampled_from(["0", "0", "10", "12.5"]),
    }
)
LINES = st.lists(LINE, min_size=1, max_size=3)
PRICED = ("quantity", "unit_price", "vat_rate_percent", "discount_percent")
CURRENCIES = st.sampled_from(["TRY", "TRY", "TRY", "JPY"])
CUSTOMERS = st.sampled_from([0, 0, 0, 1])
PICK = st.integers(min_value=0, max_value=10_000)
PERCENT = st.integers(min_value=1, max_value=99)
# How a credit line is drawn against what is left of an invoice line (or free).
# Mostly within what is left (credits that can succeed); sometimes beyond it, or malformed.
CREDIT_LINE_KINDS = st.sampled_from(
    [
        *["quantity_part"] * 3,
        *["amount_part"] * 3,
        *["free"] * 2,
        "quantity_rest",
        "amount_rest",
        "quantity_one",
        "quantity_over",
        "amount_over",
        "amount_sub_unit",
        "unknown_line",
    ]
)
CREDIT_LINES = st.sampled_from([1, 1, 1, 2]).flatmap(
    lambda size: st.lists(st.tuples(CREDIT_LINE_KINDS, PICK, PERCENT), min_size=size, max_size=size)
)
# The refund asked for, against the credit beyond the amount due (`beyond`) and what was paid.
REFUND_KINDS = st.sampled_from([None, None, None, "beyond", "beyond", "part", "over_beyond", "over_paid", "sub_unit"])
PAYMENT_KINDS = st.sampled_from(["part", "part", "rest", "rest", "over", "sub_unit"])
ALLOCATION_KINDS = st.sampled_from(["most", "most", "part", "available", "due", "over", "sub_unit"])


def part_of(amount: Decimal, percent: int, currency: str) -> Decimal:
    """`percent` of `amount`, rounded down, at least one minor unit."""
    step = quantum(currency)
    return max(step, (amount * percent / 100).quantize(step, rounding=ROUND_DOWN))


def invoice_of(data: dict[str, Any]) -> dict[str, Any]:
    """The invoice an action answers: the data itself, or its `invoice`."""
    return dict(data["invoice"] if isinstance(data.get("invoice"), dict) else data)


# -- running it ----------------------------------------------------------------------------------


@dataclass
class Tally:
    """Rule steps (each one request checked against the model) and what they did."""

    rule_steps: int = 0


def make_machine(runner: Runner, tally: Tally) -> type[RuleBasedStateMachine]:
    class CreditLifecycle(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            runner.examples += 1
            assert runner.engine is not None
            assert runner.client is not None
            self.tenant: Tenant = runner.run(new_tenant(runner.engine, runner.client, name="Credit machine"))
            self.customers: list[int] = [
                runner.run(self.tenant.create_customer(first_name=name))["id"] for name in ("Ada", "Grace")
            ]
            self.invoices: dict[int, ModelInvoice] = {}
            self.notes: dict[int, ModelNote] = {}
            self.numbers = 0  # credit-note numbers given so far (one series, one year)
            self.steps = 0

        # -- plumbing ------------------------------------------------------------------------

        def begin(self) -> None:
            tally.rule_steps += 1

        def send(self, method: str, path: str, payload: dict[str, Any] | None = None) -> httpx.Response:
            return runner.run(self.tenant.request(method, path, json=payload))

        def get(self, path: str) -> dict[str, Any]:
            response = runner.run(self.tenant.get(path))
            assert response.status_code == 200, f"GET {path}: {response.text}"
            return dict(response.json())

        def expect_refusal(self, response: httpx.Response, refusal: Refusal, label: str) -> None:
            runner.tally(f"{label}: {refusal.status} {refusal.code}")
            assert response.status_code == refusal.status, f"{label}: expected {refusal}, got {response.text}"
            assert problem_code(response) == refusal.code, f"{label}: expected {refusal}, got {response.text}"

        def expect_success(self, response: httpx.Response, status: int, label: str) -> dict[str, Any]:
            runner.tally(f"{label}: {status}")
            assert response.status_code == status, f"{label}: expected {status}, got {response.text}"
            return dict(response.json()["data"])

        def unchanged(self, invoice_id: int | None = None, note_id: int | None = None) -> None:
            """A refused step changed nothing: what it touched reads back as the model has it."""
            if invoice_id is not None and invoice_id in self.invoices:
                self.check_invoice(self.get(f"/invoices/{invoice_id}")["data"])
            if note_id is not None and note_id in self.notes and self.notes[note_id].status != "deleted":
                self.check_note(self.get(f"/credit-notes/{note_id}")["data"])

        def pick_invoice(self, pick: int, wanted: frozenset[str] = frozenset()) -> ModelInvoice:
            """Four times in five one in a `wanted` status when there is one (so credits and
            allocations mostly meet invoices they can change), else any invoice. Hypothesis
            often draws the bounds (0, 10,000): both pick a wanted one."""
            ids = sorted(self.invoices)
            if wanted and pick % 5 != 4:
                ids = [id_ for id_ in ids if self.invoices[id_].status in wanted] or ids
            return self.invoices[ids[pick % len(ids)]]

        def pick_note(self, pick: int, wanted: str | None = None) -> ModelNote | None:
            """As `pick_invoice`: mostly one in `wanted` status, else any made so far (deleted too)."""
            ids = sorted(self.notes)
            if wanted is not None and pick % 5 != 4:
                ids = [id_ for id_ in ids if self.notes[id_].status == wanted] or ids
            return self.notes[ids[pick % len(ids)]] if ids else None

        def credited_lines(self, invoice: ModelInvoice) -> dict[int, Left]:
            left: dict[int, Left] = {}
            for note in self.notes.values():
                if note.invoice_id != invoice.id or note.status != "issued":
                    continue
                for line in note.lines:
                    if line.invoice_line_id is not None:
                        before = left.get(line.invoice_line_id, Left())
                        left[line.invoice_line_id] = Left(
                            before.quantity + line.quantity, before.net + line.net, before.tax + line.tax
                        )
            return left

        # -- checks --------------------------------------------------------------------------

        def check_invoice(self, shown: dict[str, Any]) -> None:
            invoice = self.invoices[shown["id"]]
            currency = invoice.currency
            expected = {
                "status": invoice.status,
                "amount_payable": invoice.payable,
                "amount_paid": invoice.paid,
                "amount_due": invoice.due,
                "amount_credited": invoice.credited,
                "amount_refunded": invoice.refunded,
                "amount_kept_as_credit": invoice.kept,
                "amount_credit_applied": invoice.applied,
                "available_actions": invoice.available_actions(),
                "version": len(invoice.events),
            }
            actual = {
                name: money(shown[name], currency) if name.startswith("amount_") else shown[name] for name in expected
            }
            diverging = {name: (expected[name], actual[name]) for name in expected if expected[name] != actual[name]}
            assert not diverging, f"invoice {invoice.id}: model vs service (expected, shown): {diverging}"
            # The issue's invariants, on what the service shows.
            payable, paid, due = actual["amount_payable"], actual["amount_paid"], actual["amount_due"]
            credited, refunded = actual["amount_credited"], actual["amount_refunded"]
            assert due >= 0, f"invoice {invoice.id}: {actual}"
            assert credited <= payable, f"invoice {invoice.id}: {actual}"
            assert refunded <= paid, f"invoice {invoice.id}: {actual}"
            if invoice.status not in ("cancelled", "void"):
                settled = paid + credited - refunded - actual["amount_kept_as_credit"] + actual["amount_credit_applied"]
                assert due == payable - settled, f"invoice {invoice.id}: due {due} != payable - settled"

        def check_note(self, shown: dict[str, Any]) -> None:
            note = self.notes[shown["id"]]
            currency = note.currency
            expected = {
                "status": note.status,
                "invoice_id": note.invoice_id,
                "amount_tax_exclusive": note.tax_exclusive,
                "amount_tax_total": note.tax_total,
                "amount_total": note.total,
                "amount_reducing_due": note.reducing_due,
                "amount_refunded": note.refunded,
                "amount_kept_as_credit": note.kept,
                "amount_allocated": note.allocated,
                "amount_available": note.available,
                "available_actions": note.available_actions(),
                "version": len(note.events),
                "lines": [(line.invoice_line_id, line.net, line.tax) for line in note.lines],
                "number": note.number,
            }
            number = shown["document_number"]
            if number is not None:
                assert NUMBER.match(number), f"credit note {note.id}: malformed number {number!r}"
            actual = {
                **{name: money(shown[name], currency) for name in expected if name.startswith("amount_")},
                "status": shown["status"],
                "invoice_id": shown["invoice_id"],
                "available_actions": shown["available_actions"],
                "version": shown["version"],
                "lines": [
                    (line["invoice_line_id"], Decimal(line["amount_net"]), Decimal(line["amount_tax"]))
                    for line in shown["lines"]
                ],
                "number": int(number[-9:]) if number else None,
            }
            diverging = {name: (expected[name], actual[name]) for name in expected if expected[name] != actual[name]}
            assert not diverging, f"credit note {note.id}: model vs service (expected, shown): {diverging}"
            assert actual["amount_reducing_due"] + actual["amount_refunded"] + actual["amount_kept_as_credit"] == (
                actual["amount_total"] if note.status != "draft" else ZERO
            ), f"credit note {note.id}: the split does not add up to its total"

        def check_balances(self) -> None:
            for index, customer in enumerate(self.customers):
                expected: dict[str, tuple[Decimal, Decimal]] = {}
                for note in self.notes.values():
                    if note.customer == index and note.status == "issued":
                        kept, allocated = expected.get(note.currency, (ZERO, ZERO))
                        expected[note.currency] = (kept + note.kept, allocated + note.allocated)
                shown = self.get(f"/customers/{customer}/credit-balance")["data"]["balances"]
                actual = {}
                for entry in shown:
                    kept, allocated = (
                        money(entry["amount_kept_as_credit"], entry["currency"]),
                        money(entry["amount_allocated"], entry["currency"]),
                    )
                    balance = money(entry["balance"], entry["currency"])
                    assert balance == kept - allocated, f"customer {customer}: {entry}"
                    assert balance >= 0, f"customer {customer}: {entry}"
                    actual[entry["currency"]] = (kept, allocated)
                assert actual == expected, f"customer {customer}: balances {actual}, model {expected}"

        def check_model(self) -> None:
            """The issue's invariants, on the model: it must not drift into what the service
            could then agree with."""
            for invoice in self.invoices.values():
                assert invoice.open >= 0, invoice
                assert invoice.credited <= invoice.payable, invoice
                assert invoice.refunded <= invoice.paid, invoice
                live = [n for n in self.notes.values() if n.invoice_id == invoice.id and n.status == "issued"]
                assert invoice.credited == sum((n.total for n in live), ZERO), invoice
                assert invoice.refunded == sum((n.refunded for n in live), ZERO), invoice
                assert invoice.kept == sum((n.kept for n in live), ZERO), invoice
            for note in self.notes.values():
                assert 0 <= note.allocated <= note.kept, note
            applied = sum((invoice.applied for invoice in self.invoices.values()), ZERO)
            allocated = sum((note.allocated for note in self.notes.values()), ZERO)
            assert applied == allocated, "every allocation lands on exactly one invoice"

        def sweep(self, *, events: bool) -> None:
            """Everything read back: all invoices, all credit notes, both balances."""
            listed = self.get("/invoices?archived=any&limit=200")["data"]
            assert {invoice["id"] for invoice in listed} == set(self.invoices)
            for invoice in listed:
                self.check_invoice(invoice)
            notes = self.get("/credit-notes?limit=200")["data"]
            live = {id_ for id_, note in self.notes.items() if note.status != "deleted"}
            assert {note["id"] for note in notes} == live
            for note in notes:
                self.check_note(note)
            numbers = sorted(note.number for note in self.notes.values() if note.number is not None)
            assert numbers == list(range(1, self.numbers + 1)), f"credit-note numbers not gapless: {numbers}"
            self.check_balances()
            if events:
                for invoice in self.invoices.values():
                    shown = [event["type"] for event in self.get(f"/invoices/{invoice.id}/events")["data"]]
                    assert shown == invoice.events, f"invoice {invoice.id}: events {shown}"
                for note in self.notes.values():
                    if note.status != "deleted":
                        shown = [event["type"] for event in self.get(f"/credit-notes/{note.id}/events")["data"]]
                        assert shown == note.events, f"credit note {note.id}: events {shown}"

        # -- rules ---------------------------------------------------------------------------

        @initialize(lines=LINES, currency=CURRENCIES, paid=st.sampled_from(["none", "part", "all"]))
        def an_invoice(self, lines: list[dict[str, str]], currency: str, paid: str) -> None:
            """Every example starts with one of the first customer's invoices, issued and maybe paid."""
            invoice = self.issue_invoice(lines, currency, 0)
            if paid != "none":
                amount = invoice.due if paid == "all" else part_of(invoice.due, 50, currency)
                self.pay_invoice(invoice, min(amount, invoice.due))

        @rule(lines=LINES, currency=CURRENCIES, customer=CUSTOMERS)
        def new_invoice(self, lines: list[dict[str, str]], currency: str, customer: int) -> None:
            self.begin()
            self.issue_invoice(lines, currency, customer)

        def issue_invoice(self, lines: list[dict[str, str]], currency: str, customer: int) -> ModelInvoice:
            if all(priced(*(Decimal(line[name]) for name in PRICED), currency)[0] == 0 for line in lines):
                lines = [{**lines[0], "unit_price": "1000"}, *lines[1:]]  # something to pay (a 0 invoice is paid)
            payload = {"customer_id": self.customers[customer], "currency": currency, "lines": lines}
            created = self.expect_success(self.send("POST", "/invoices", payload), 201, "create invoice")
            issued = self.expect_success(self.send("POST", f"/invoices/{created['id']}/issue"), 200, "issue invoice")
            model_lines = {}
            for sent, shown in zip(lines, issued["lines"], strict=True):
                numbers = [Decimal(sent[name]) for name in ("quantity", "unit_price", "vat_rate_percent")]
                quantity, unit_price, vat = numbers
                discount = Decimal(sent["discount_percent"])
                net, tax = priced(quantity, unit_price, vat, discount, currency)
                model_lines[shown["id"]] = InvoiceLine(shown["id"], quantity, unit_price, vat, discount, net, tax)
            payable = sum((line.net + line.tax for line in model_lines.values()), ZERO)
            invoice = ModelInvoice(issued["id"], customer, currency, model_lines, payable)
            self.invoices[invoice.id] = invoice
            self.check_invoice(issued)
            return invoice

        def pay_invoice(self, invoice: ModelInvoice, amount: Decimal) -> None:
            payload = {"amount": str(amount), "method": "bank_transfer"}
            response = self.send("POST", f"/invoices/{invoice.id}/payments", payload)
            refusal = invoice_refusal(invoice, "record_payment")
            if refusal is None and amount != amount.quantize(quantum(invoice.currency), rounding=ROUND_DOWN):
                refusal = Refusal(422, "invalid_amount")
            if refusal is None and amount > invoice.due:
                refusal = Refusal(422, "overpayment")
            if refusal is not None:
                self.expect_refusal(response, refusal, "payment")
                self.unchanged(invoice.id)
                return
            data = self.expect_success(response, 201, "payment")
            invoice.paid += amount
            invoice.status = "paid" if invoice.open <= 0 else "partially_paid"
            invoice.events.append("invoice.payment_recorded")
            self.check_invoice(invoice_of(data))

        @rule(pick=PICK, kind=PAYMENT_KINDS, percent=PERCENT)
        def pay(self, pick: int, kind: str, percent: int) -> None:
            self.begin()
            invoice = self.pick_invoice(pick, OPEN)
            step = quantum(invoice.currency)
            left = invoice.open
            amount = {
                "part": part_of(left, percent, invoice.currency),
                "rest": left,
                "over": left + step,
                "sub_unit": step / 10,
            }[kind]
            if amount <= 0:
                amount = step  # a non-positive amount is a schema error, tested elsewhere
            self.pay_invoice(invoice, amount)

        def invoice_action(self, invoice: ModelInvoice, action: str, path: str, payload: dict[str, Any] | None) -> None:
            response = self.send("POST", f"/invoices/{invoice.id}/{path}", payload)
            refusal = invoice_refusal(invoice, action)
            if refusal is not None:
                self.expect_refusal(response, refusal, action)
                self.unchanged(invoice.id)
                return
            data = self.expect_success(response, 200, action)
            match action:
                case "cancel":
                    invoice.prior, invoice.status = invoice.status, "cancelled"
                    invoice.events.append("invoice.cancelled")
                case "revert_cancel":
                    assert invoice.prior is not None
                    invoice.status, invoice.prior = invoice.prior, None
                    invoice.events.append("invoice.cancel_reverted")
                case "void":
                    invoice.status, invoice.prior = "void", None
                    invoice.events.append("invoice.voided")
            self.check_invoice(invoice_of(data))

        @rule(pick=PICK, action=st.sampled_from(["cancel", "revert_cancel", "revert_cancel", "void"]))
        def void_cancel_or_revert(self, pick: int, action: str) -> None:
            """Cancel, revert the cancel or void (one rule: they end credits, so drawn less often)."""
            self.begin()
            wanted = {"cancel": OPEN, "revert_cancel": frozenset({"cancelled"}), "void": VOIDABLE}[action]
            invoice = self.pick_invoice(pick, wanted)
            path = action.replace("_", "-")
            self.invoice_action(invoice, action, path, None if action == "void" else {"id": invoice.id})

        def credit_lines(self, invoice: ModelInvoice, drawn: list[tuple[str, int, int]]) -> tuple[CreditLine, ...]:
            """Concrete lines for what was drawn, against what is left of `invoice` now."""
            credited = self.credited_lines(invoice)
            step = quantum(invoice.currency)
            lines = []
            for kind, pick, percent in drawn:
                if kind == "free":
                    unit_price = part_of(Decimal(20), percent, invoice.currency)
                    lines.append(CreditLine("free", quantity=Decimal(1), unit_price=unit_price, vat=Decimal(20)))
                    continue
                if kind == "unknown_line":
                    others = [
                        line for other in self.invoices.values() if other.id != invoice.id for line in other.lines
                    ]
                    line_id = others[pick % len(others)] if others else max(invoice.lines) + 10_000
                    lines.append(CreditLine("quantity", line_id, quantity=Decimal(1)))
                    continue
                ids = sorted(invoice.lines)
                source = invoice.lines[ids[pick % len(ids)]]
                before = credited.get(source.id, Left())
                left_quantity, left_net = source.quantity - before.quantity, source.net - before.net
                match kind:
                    case "quantity_rest" | "quantity_one" | "quantity_part" | "quantity_over":
                        part = (left_quantity * percent / 100).quantize(Decimal("0.000001"), rounding=ROUND_DOWN)
                        quantity = {
                            "quantity_rest": left_quantity,
                            "quantity_one": Decimal(1),
                            "quantity_part": part,
                            "quantity_over": left_quantity + 1,
                        }[kind]
                        lines.append(CreditLine("quantity", source.id, quantity=max(quantity, Decimal("0.000001"))))
                    case _:
                        amount = {
                            "amount_rest": left_net,
                            "amount_part": part_of(left_net, percent, invoice.currency),
                            "amount_over": left_net + step,
                            "amount_sub_unit": step / 10,
                        }[kind]
                        lines.append(CreditLine("amount", source.id, amount=max(amount, step / 10)))
            return tuple(lines)

        def refund_for(self, invoice: ModelInvoice, total: Decimal, kind: str | None, percent: int) -> Decimal | None:
            if kind is None:
                return None
            step = quantum(invoice.currency)
            beyond = total - min(total, invoice.due)
            amount = {
                "beyond": beyond,
                "part": part_of(beyond, percent, invoice.currency),
                "over_beyond": beyond + step,
                "over_paid": invoice.paid - invoice.refunded + step,
                "sub_unit": step / 10,
            }[kind]
            if amount <= 0:  # nothing beyond the amount due: no refund, or one minor unit too much
                return step if kind.startswith("over") or kind == "sub_unit" else None
            return amount

        def issue_note(self, invoice: ModelInvoice, note: ModelNote, lines: tuple[PricedLine, ...]) -> None:
            """The model's issue of `note` (already priced): the split, then the invoice's sums."""
            total = sum((line.net + line.tax for line in lines), ZERO)
            reducing_due = min(total, invoice.due)
            beyond = total - reducing_due
            refund = note.refund or ZERO
            if refund > beyond:
                raise Refusal(422, "refund_exceeds_credit")
            if refund > invoice.paid - invoice.refunded:
                raise Refusal(422, "refund_exceeds_paid")
            self.numbers += 1
            note.lines, note.status, note.number = lines, "issued", self.numbers
            note.reducing_due, note.refunded, note.kept = reducing_due, refund, beyond - refund
            note.events.append("credit_note.issued")
            invoice.credited += total
            invoice.refunded += refund
            invoice.kept += note.kept
            invoice.settle()
            invoice.events.append("invoice.credited")
            if refund > 0:
                invoice.events.append("invoice.refunded")

        @rule(pick=PICK, drawn=CREDIT_LINES, refund=REFUND_KINDS, percent=PERCENT)
        def credit_and_issue(
            self, pick: int, drawn: list[tuple[str, int, int]], refund: str | None, percent: int
        ) -> None:
            """Issued at once against a paid invoice, mostly: the credit goes beyond the amount
            due, so it is refunded or kept as customer credit (what allocations then apply)."""
            self.begin()
            self.make_credit(self.pick_invoice(pick, frozenset({"paid"})), drawn, refund, percent, True)

        @rule(pick=PICK, drawn=CREDIT_LINES, refund=REFUND_KINDS, percent=PERCENT, issue=st.booleans())
        def credit(
            self, pick: int, drawn: list[tuple[str, int, int]], refund: str | None, percent: int, issue: bool
        ) -> None:
            self.begin()
            self.make_credit(self.pick_invoice(pick, CREDITABLE), drawn, refund, percent, issue)

        def make_credit(
            self,
            invoice: ModelInvoice,
            drawn: list[tuple[str, int, int]],
            refund: str | None,
            percent: int,
            issue: bool,
        ) -> None:
            request = self.credit_lines(invoice, drawn)
            label = f"credit ({'issue' if issue else 'draft'})"
            outcome: Refusal | tuple[PricedLine, ...]
            refund_amount = None
            try:
                guard = invoice_refusal(invoice, "credit")
                if guard is not None:
                    raise guard
                lines = price_request(request, invoice, self.credited_lines(invoice))
                refund_amount = self.refund_for(
                    invoice, sum((line.net + line.tax for line in lines), ZERO), refund, percent
                )
                if refund_amount is not None and refund_amount != refund_amount.quantize(quantum(invoice.currency)):
                    raise Refusal(422, "invalid_amount")
                outcome = lines
            except Refusal as refused:
                outcome = refused
                if refund is not None and refund_amount is None:
                    refund_amount = quantum(invoice.currency)  # something to send; the lines are refused first
            payload: dict[str, Any] = {
                "lines": [line.payload() for line in request],
                "reason": "Credited by the state machine",
                "issue": issue,
            }
            if refund_amount is not None:
                payload["refund"] = {"amount": str(refund_amount), "method": "bank_transfer", "reference": "SM"}
            response = self.send("POST", f"/invoices/{invoice.id}/credit-notes", payload)
            if isinstance(outcome, Refusal):
                self.expect_refusal(response, outcome, label)
                self.unchanged(invoice.id)
                return
            note = ModelNote(
                id=0,
                invoice_id=invoice.id,
                customer=invoice.customer,
                currency=invoice.currency,
                request=request,
                refund=refund_amount,
                lines=outcome,
            )
            if issue:
                try:
                    self.issue_note(invoice, note, outcome)
                except Refusal as refused:  # raised before the model changed anything
                    self.expect_refusal(response, refused, label)
                    self.unchanged(invoice.id)
                    return
            data = self.expect_success(response, 201, label)
            note.id = data["credit_note"]["id"]
            self.notes[note.id] = note
            self.check_note(data["credit_note"])
            self.check_invoice(data["invoice"])
            if issue:
                self.check_balances()

        @precondition(lambda self: bool(self.notes))
        @rule(pick=PICK)
        def issue_draft(self, pick: int) -> None:
            self.begin()
            note = self.pick_note(pick, "draft")
            assert note is not None
            invoice = self.invoices[note.invoice_id]
            response = self.send("POST", f"/credit-notes/{note.id}/issue")
            try:
                if note.status == "deleted":
                    raise Refusal(404, "credit_note_not_found")
                guard = invoice_refusal(invoice, "credit")
                if guard is not None:
                    raise guard
                if note.status != "draft":
                    raise Refusal(409, "credit_note_not_draft")
                lines = price_request(note.request, invoice, self.credited_lines(invoice))
                self.issue_note(invoice, note, lines)
            except Refusal as refused:
                self.expect_refusal(response, refused, "issue credit note")
                self.unchanged(invoice.id, note.id)
                return
            data = self.expect_success(response, 200, "issue credit note")
            self.check_note(data["credit_note"])
            self.check_invoice(data["invoice"])
            self.check_balances()

        @precondition(lambda self: bool(self.notes))
        @rule(pick=PICK)
        def void_note(self, pick: int) -> None:
            self.begin()
            note = self.pick_note(pick, "issued")
            assert note is not None
            invoice = self.invoices[note.invoice_id]
            response = self.send("POST", f"/credit-notes/{note.id}/void")
            refusal = None
            if note.status == "deleted":
                refusal = Refusal(404, "credit_note_not_found")
            else:
                refusal = invoice_refusal(invoice, "void_credit_note")
            if refusal is None:
                refusal = {
                    "draft": Refusal(409, "credit_note_not_issued"),
                    "void": Refusal(409, "credit_note_already_void"),
                }.get(note.status)
            if refusal is None and note.refunded > 0:
                refusal = Refusal(409, "credit_note_refunded")
            if refusal is None and note.allocated > 0:
                refusal = Refusal(409, "credit_note_applied")
            if refusal is not None:
                self.expect_refusal(response, refusal, "void credit note")
                self.unchanged(invoice.id, note.id)
                return
            data = self.expect_success(response, 200, "void credit note")
            note.status = "void"
            note.events.append("credit_note.voided")
            invoice.credited -= note.total
            invoice.kept -= note.kept
            invoice.settle()
            invoice.events.append("invoice.credit_voided")
            self.check_note(data["credit_note"])
            self.check_invoice(data["invoice"])
            self.check_balances()

        @precondition(lambda self: bool(self.notes))
        @rule(pick=PICK)
        def delete_note(self, pick: int) -> None:
            self.begin()
            note = self.pick_note(pick, "draft")
            assert note is not None
            response = self.send("DELETE", f"/credit-notes/{note.id}")
            refusal = None
            if note.status == "deleted":
                refusal = Refusal(404, "credit_note_not_found")
            elif note.status != "draft":
                refusal = Refusal(409, "credit_note_not_draft")
            if refusal is not None:
                self.expect_refusal(response, refusal, "delete credit note")
                self.unchanged(note.invoice_id, note.id)
                return
            self.expect_success(response, 200, "delete credit note")
            note.status = "deleted"
            note.events.append("credit_note.deleted")
            missing = runner.run(self.tenant.get(f"/credit-notes/{note.id}"))
            assert missing.status_code == 404, missing.text

        @precondition(lambda self: bool(self.notes))
        @rule(pick=PICK, note_pick=PICK, kind=ALLOCATION_KINDS, percent=PERCENT)
        def allocate(self, pick: int, note_pick: int, kind: str, percent: int) -> None:
            self.begin()
            with_credit = [n for n in self.notes.values() if n.status == "issued" and n.available > 0]
            # Mostly a note with credit left and an open invoice of its customer and currency
            # (allocations that can succeed); sometimes any note and any invoice.
            if with_credit and note_pick % 5 != 4:
                note: ModelNote | None = with_credit[note_pick % len(with_credit)]
                assert note is not None
                matching = [
                    invoice
                    for invoice in self.invoices.values()
                    if invoice.status in OPEN and (invoice.customer, invoice.currency) == (note.customer, note.currency)
                ]
                invoice = matching[pick % len(matching)] if matching else self.pick_invoice(pick, OPEN)
            else:
                note = self.pick_note(note_pick)
                invoice = self.pick_invoice(pick, OPEN)
            assert note is not None
            step = quantum(invoice.currency)
            amount = {
                "most": min(note.available, invoice.due),
                "part": part_of(min(note.available, invoice.due), percent, invoice.currency),
                "available": note.available,
                "due": invoice.due,
                "over": min(note.available, invoice.due) + step,
                "sub_unit": step / 10,
            }[kind]
            amount = amount if amount > 0 else step
            payload = {"credit_note_id": note.id, "amount": str(amount)}
            response = self.send("POST", f"/invoices/{invoice.id}/credit-allocations", payload)
            refusal = invoice_refusal(invoice, "apply_credit")
            if refusal is None and note.status != "issued":
                refusal = Refusal(422, "credit_not_available")
            if refusal is None and note.customer != invoice.customer:
                refusal = Refusal(422, "credit_customer_mismatch")
            if refusal is None and note.currency != invoice.currency:
                refusal = Refusal(422, "credit_currency_mismatch")
            if refusal is None and amount != amount.quantize(step, rounding=ROUND_DOWN):
                refusal = Refusal(422, "invalid_amount")
            if refusal is None and amount > note.available:
                refusal = Refusal(422, "allocation_exceeds_credit")
            if refusal is None and amount > invoice.due:
                refusal = Refusal(422, "allocation_exceeds_due")
            if refusal is not None:
                self.expect_refusal(response, refusal, "allocate credit")
                self.unchanged(invoice.id, note.id)
                return
            data = self.expect_success(response, 201, "allocate credit")
            note.allocated += amount
            note.events.append("credit_note.credit_applied")
            invoice.applied += amount
            invoice.settle()
            invoice.events.append("credit.applied")
            assert money(data["allocation"]["amount"], invoice.currency) == amount
            self.check_note(data["credit_note"])
            self.check_invoice(data["invoice"])
            self.check_balances()

        # -- invariants ----------------------------------------------------------------------

        @invariant()
        def the_model_keeps_the_invariants_and_the_service_agrees(self) -> None:
            self.check_model()
            self.steps += 1
            if self.steps % SWEEP_EVERY == 0:
                self.sweep(events=False)

        def teardown(self) -> None:
            self.sweep(events=True)

    return CreditLifecycle


def test_credit_notes_agree_with_the_money_model(database_url: str) -> None:
    runner = Runner(database_url)
    tally = Tally()
    try:
        runner.start()
        run_state_machine_as_test(
            make_machine(runner, tally),
            settings=settings(max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, print_blob=True),
        )
        print(f"\n[{database_url.split(':', 1)[0]}] {tally.rule_steps} rule steps; {runner.summary()}")
        if os.environ.get("CI") == "true" or EXAMPLES * STEPS >= REQUIRED_STEPS:
            assert tally.rule_steps >= REQUIRED_STEPS, f"only {tally.rule_steps} rule steps ran"
    finally:
        runner.close()
