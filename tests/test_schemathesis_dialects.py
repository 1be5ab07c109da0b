"""Schemathesis over the vendor dialects' OpenAPI documents, in-process, on SQLite and PostgreSQL.

The HighLevel-compatible dialect (/highlevel/openapi.json) and the FlowPayroll-compatible one
(/flowpayroll/v1/billing/openapi.json) are held to what tests/test_schemathesis.py holds the
primary API to: all default checks, the stateless phases (examples, coverage, fuzzing; positive
and negative data) with at least 100 generated examples per operation, and the stateful phase;
no failures. Each document must state exactly what its dialect accepts and refuses, and declare
every status, content type and body it answers with; no request may get a 5xx.

Set up as the primary file is (read its docstring): an application of its own driven by
schemathesis' ASGI transport, a tenant with a token, and rows to aim at: customers, and
invoices of two clients in every lifecycle situation. `point_at_seed` hooks swap valid generated
ids for the tenant's public_id (`altId`), its customers' (`clientId`, `contactId`) and its
invoices' (`invoiceId`); one in eight keeps its generated value, so 403 and 404 are still asked
for. The allowances (`filter_failure`) are narrow, each explained where it is defined.
"""

import re
import uuid
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from schemathesis.generation.meta import TestPhase
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.python import asgi as schemathesis_asgi
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.app import create_app
from invoicing.config import Settings
from tests.conftest import Tenant, new_tenant
from tests.lifecycle_states import SITUATIONS, Invoices
from tests.test_schemathesis import (
    IDEMPOTENCY_KEY,
    _pytest_node_id_shim,
    only_undeclared_headers,
    problem_of,
    run_stateful,
)

__all__ = ["_pytest_node_id_shim"]  # the primary file's autouse fixture, needed here too

# As in the primary file: SQLite runs the acceptance budget, PostgreSQL fewer generated examples.
MAX_EXAMPLES = {"sqlite": 100, "postgresql": 30}

STATEFUL_SCENARIOS = {"sqlite": 20, "postgresql": 10}
STATEFUL_STEPS = 8

T = TypeVar("T")

# HighLevel answers these with 400 (its bodies carry no code), all from highlevel/errors.REFUSALS.
# The first is HighLevel's answer to an unknown invoice id (SPEC 6), where the checks expect a
# 404: schema-valid ids that name no invoice of the tenant. The others are lifecycle refusals:
# whether an invoice may be voided, sent, paid, updated or deleted depends on its stored status,
# which no schema can know.
HIGHLEVEL_STATE_REFUSALS = {
    "Unable to find an invoice with the given invoice id",
    "Invoice status need to be draft to delete an invoice",
    "Can not void draft invoice. You can delete draft invoice!",
    "Can not void an invoice which has recorded payments",
    "Invoice is already void",
    "Invoice status need to be draft to update an invoice",
    "Can not send a void invoice",
    "Payment can only be recorded for a sent or partially paid invoice",
}
# HighLevel's 422 messages for schema-valid bodies refused because of what is stored or of two
# fields taken together (a JSON Schema compares neither): the invoice's currency decides an
# amount's decimals and every item's currency; the amount due caps a payment; an invoice needs a
# customer and lines to be sent; an item's taxes must add up to at most 100 %; a due date must not
# precede the issue date.
HIGHLEVEL_STATE_MESSAGES = re.compile(
    r"[A-Z]{3} amounts have [0-9]+ decimal places at most\."
    r"|The amount exceeds the amount due \(.*\)\."
    r"|An invoice needs (a customer|at least one line) to be issued\."
    r"|items\[[0-9]+\]\.currency must be the invoice's currency \([A-Z]{3}\)\."
    r"|items\[[0-9]+\]\.taxes: the rates add up to more than 100\."
    r"|dueDate: Value error, dueDate cannot be before issueDate"
    r"|contactId does not name a contact of this location\."
)
# FlowPayroll's lifecycle refusals: 400 `rule_violation`, with the service's stable codes.
FLOWPAYROLL_STATE_CODES = {"invoice_is_draft", "invoice_has_payments", "invoice_already_void"}


@dataclass(frozen=True)
class Seed:
    token: str
    location: str  # the tenant's public_id: HighLevel's altId
    customers: list[str]  # public_ids; the first two are billed, the last has no invoice
    invoices: list[tuple[str, str]]  # (client public_id, invoice public_id), every lifecycle situation


async def _bill(tenant: Tenant, copies: int) -> tuple[str, list[tuple[str, str]]]:
    """A new customer with `copies` invoices in every lifecycle situation (deleted ones included)."""
    customer = await tenant.create_customer()
    invoices = Invoices(tenant, customer_id=customer["id"])
    made = [await invoices.make(situation) for _ in range(copies) for situation in SITUATIONS]
    return customer["public_id"], [(customer["public_id"], invoice["public_id"]) for invoice in made]


@pytest.fixture
async def seed(engine: AsyncEngine, client: httpx.AsyncClient) -> Seed:
    tenant = await new_tenant(engine, client, name="Schemathesis dialects")
    first, first_invoices = await _bill(tenant, 2)
    second, second_invoices = await _bill(tenant, 1)
    idle = (await tenant.create_customer())["public_id"]
    return Seed(tenant.token, tenant.public_id, [first, second, idle], first_invoices + second_invoices)


def pick(value: Any, choices: Sequence[T]) -> T | None:
    """A seed value standing for a generated one; None (keep it) for one value in eight."""
    digest = zlib.crc32(repr(value).encode("utf-8", "surrogatepass"))
    return None if digest % 8 == 0 else choices[digest % len(choices)]


def short_text(value: Any, *, max_length: int = 64) -> bool:
    """A value the documents accept for an id or an altId: text of 1 to 64 characters, no NUL."""
    return isinstance(value, str) and 1 <= len(value) <= max_length and "\x00" not in value


def any_short_text(value: Any) -> bool:
    return value == "" or short_text(value)


def fresh_idempotency_key(case: Any) -> None:
    # As the primary file does: a client takes a fresh key for each new request.
    headers = dict(case.headers or {})
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and IDEMPOTENCY_KEY.fullmatch(key):
        headers["Idempotency-Key"] = f"{key[:222]}-{uuid.uuid4().hex}"
        case.headers = headers


def is_stateful(case: Any) -> bool:
    # A stateful step's path ids come from earlier responses (the links); those stay.
    return case.meta is not None and case.meta.phase.name == TestPhase.STATEFUL


def replaced(container: Any, name: str, choices: Sequence[str], valid: Callable[[Any], bool]) -> Any:
    """`container` (a dict, never changed in place) with `name` aimed at the seed, if it is valid."""
    if not isinstance(container, dict) or not valid(container.get(name)):
        return container
    chosen = pick(container[name], choices)
    return container if chosen is None else {**container, name: chosen}


def public_id_form(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[0-9a-f]{24}\n?", value) is not None


def point_highlevel_at_seed(case: Any, seed: Seed) -> Any:
    """altId -> the tenant, invoiceId -> its invoices, contactId / contactDetails.id -> its customers.

    Only valid values change, and only to valid values, so a negative case stays negative.
    """
    fresh_idempotency_key(case)
    customers = seed.customers
    query = replaced(case.query, "altId", [seed.location], short_text)
    query = replaced(query, "contactId", customers, any_short_text)
    if query != case.query:
        case.query = query
    if not is_stateful(case):
        path = replaced(case.path_parameters, "invoiceId", [invoice for _, invoice in seed.invoices], short_text)
        if path != case.path_parameters:
            case.path_parameters = path
    body = replaced(case.body, "altId", [seed.location], short_text)
    body = replaced(body, "contactId", customers, any_short_text)
    if isinstance(body, dict) and isinstance(body.get("contactDetails"), dict):
        contact = replaced(body["contactDetails"], "id", customers, public_id_form)
        if contact is not body["contactDetails"]:
            body = {**body, "contactDetails": contact}
    if body is not case.body:
        case.body = body
    return case


def point_flowpayroll_at_seed(case: Any, seed: Seed) -> Any:
    """clientId/invoiceId -> one of the tenant's invoices and its client (or a client alone)."""
    fresh_idempotency_key(case)
    path = dict(case.path_parameters or {})
    if is_stateful(case) or not short_text(path.get("clientId")):
        return case
    if "invoiceId" in path:
        if short_text(path["invoiceId"]):
            chosen = pick(path["invoiceId"], seed.invoices)
            if chosen is not None:
                path["clientId"], path["invoiceId"] = chosen
    else:
        client = pick(path["clientId"], seed.customers)
        if client is not None:
            path["clientId"] = client
    if path != case.path_parameters:
        case.path_parameters = path
    return case


def highlevel_state_refusal(failure: Any, response: Any) -> bool:
    """Schema-valid HighLevel data refused because of what is stored, or of two fields together.

    A lifecycle refusal is HighLevel's 400 with one of its messages; the 422s excused are only those
    whose every message is one of HIGHLEVEL_STATE_MESSAGES. Any other 400 or 422 still fails.
    """
    if not isinstance(failure, RejectedPositiveData):
        return False
    body = problem_of(response)
    message = body.get("message")
    if response.status_code == 400:
        return message in HIGHLEVEL_STATE_REFUSALS
    if response.status_code == 422 and isinstance(message, list) and message:
        return all(isinstance(text, str) and HIGHLEVEL_STATE_MESSAGES.fullmatch(text) for text in message)
    return False


def flowpayroll_state_refusal(failure: Any, response: Any) -> bool:
    """A valid void refused by the lifecycle (400 `rule_violation`): it depends on the invoice's status."""
    if not isinstance(failure, RejectedPositiveData) or response.status_code != 400:
        return False
    body = problem_of(response)
    reasons = body.get("errors") or []
    return (body.get("message") or {}).get("textId") == "rule_violation" and all(
        isinstance(reason, dict) and reason.get("reasonId") in FLOWPAYROLL_STATE_CODES for reason in reasons
    )


def load_schema(app: Any, seed: Seed, max_examples: int, dialect: str) -> Any:
    if dialect == "highlevel":
        path, auth = "/highlevel/openapi.json", {"HTTPBearer": {"bearer": seed.token}}
        point_at_seed, state_refusal = point_highlevel_at_seed, highlevel_state_refusal
    else:
        path, auth = "/flowpayroll/v1/billing/openapi.json", {"APIKeyHeader": {"api_key": seed.token}}
        point_at_seed, state_refusal = point_flowpayroll_at_seed, flowpayroll_state_refusal
    config = schemathesis.Config.from_dict({"generation": {"max-examples": max_examples}, "auth": {"openapi": auth}})
    schema = schemathesis.openapi.from_asgi(path, app, config=config)

    @schema.hook
    def map_case(context: Any, case: Any) -> Any:
        return point_at_seed(case, seed)

    @schema.hook
    def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
        return not (only_undeclared_headers(failure, case) or state_refusal(failure, response))

    return schema


def _dialect_schema(settings: Settings, seed: Seed, backend: str, dialect: str) -> Iterator[Any]:
    yield load_schema(create_app(settings), seed, MAX_EXAMPLES[backend], dialect)
    # Runs the app's lifespan shutdown on schemathesis' loop: its engine is disposed there.
    schemathesis_asgi.shutdown_lifespans()


@pytest.fixture
def highlevel_schema(settings: Settings, seed: Seed, backend: str) -> Iterator[Any]:
    yield from _dialect_schema(settings, seed, backend, "highlevel")


@pytest.fixture
def flowpayroll_schema(settings: Settings, seed: Seed, backend: str) -> Iterator[Any]:
    yield from _dialect_schema(settings, seed, backend, "flowpayroll")


highlevel = schemathesis.pytest.from_fixture("highlevel_schema")
flowpayroll = schemathesis.pytest.from_fixture("flowpayroll_schema")
SETTINGS = hypothesis.settings(deadline=None, suppress_health_check=list(HealthCheck))


@highlevel.parametrize()
@SETTINGS
def test_highlevel(case: Any) -> None:
    case.call_and_validate()


@flowpayroll.parametrize()
@SETTINGS
def test_flowpayroll(case: Any) -> None:
    case.call_and_validate()


def run_dialect_stateful(schema: Any, backend: str) -> None:
    run_stateful(schema, scenarios=STATEFUL_SCENARIOS[backend], steps=STATEFUL_STEPS)


def test_highlevel_stateful(highlevel_schema: Any, backend: str) -> None:
    run_dialect_stateful(highlevel_schema, backend)


def test_flowpayroll_stateful(flowpayroll_schema: Any, backend: str) -> None:
    run_dialect_stateful(flowpayroll_schema, backend)
