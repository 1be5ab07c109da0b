"""Schemathesis over the whole primary OpenAPI document, in-process, on SQLite and PostgreSQL.

Acceptance: all default checks, the stateless phases (examples, coverage, fuzzing; positive
and negative data) with at least 100 generated examples per operation, and the stateful
phase; no failures. The API must never answer 500, must answer every error with a declared
status, content type and schema, and must accept what its OpenAPI accepts and refuse what
it refuses.

How the run is set up:

- Its own application, driven by schemathesis' ASGI transport. That transport runs the app
  on an event loop of its own (a thread), so the app's lifespan opens the app's engine there,
  as `invoicing serve` does; the session `app`/`engine` fixtures stay on pytest's loop.
- A tenant of its own and a bearer token for it (the OpenAPI `HTTPBearer` scheme), and rows
  to aim at: customers, and invoices in every lifecycle situation, archived or not.
- `point_at_seed` (a `map_case` hook) swaps valid generated ids for the run's tenant and rows,
  so operations act on real data, not only on 404s.
- Webhook URLs' made-up hosts resolve to a public address (a stub resolver, no DNS).
- Narrow allowances (`filter_failure`), each explained where it is defined: two schemathesis
  mislabels, and 422 refusals that depend on stored rows (or on DNS). One status is added to
  `positive_data_acceptance` (412, a stale If-Match). No check or phase is switched off.
"""

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import CoveragePhaseData, CoverageScenario, TestPhase
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.python import asgi as schemathesis_asgi
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.app import create_app
from invoicing.config import Settings
from invoicing.webhooks import targets as webhook_targets
from tests.conftest import new_tenant
from tests.lifecycle_states import SITUATIONS, Invoices

# Generated examples per operation in the fuzzing phase; the examples and coverage phases add
# their own cases on top (about 20 to 400 per operation).
# SQLite runs the acceptance budget; PostgreSQL runs every phase and check with fewer
# generated examples, to keep the file within a few minutes on a 2-core CI runner.
MAX_EXAMPLES = {"sqlite": 100, "postgresql": 50}
# The stateful phase: scenarios, each a chain of up to STATEFUL_STEPS calls.
STATEFUL_SCENARIOS = {"sqlite": 25, "postgresql": 15}
STATEFUL_STEPS = 10

MAX_ID = 2**53 - 1  # the largest id the API accepts anywhere (JSON-safe integers)
IDEMPOTENCY_KEY = re.compile(r"[ -~]{1,255}")  # printable ASCII, as the API checks it
# Positive data the API refuses with 422 for reasons no JSON Schema can state, because they
# depend on what is stored: the problem `code`s, from the services.
STATE_DEPENDENT_CODES = {
    "overpayment",  # more than the invoice's amount due
    "invoice_incomplete",  # issuing (or sending) a draft without a customer or lines
    "unknown_customer",  # a customer id that names no customer of the tenant
    "unknown_series",  # a series name that names no series of the tenant
    "customer_deleted",  # issuing a draft whose customer an earlier generated DELETE removed
    # Check digits (VAT and tax numbers, IBAN, BIC), a tax number or subdivision judged by the
    # address's country, a locale CLDR lacks: parties.validation, no schema can state them.
    "invalid_party_details",
    # A line's category against its rate and exemption reason: fields taken together.
    "invalid_tax_category",
    # A logo upload's bytes: an image of the declared type, an SVG without scripts.
    "invalid_logo",
    # An issued invoice's CII or UBL when the stored profile or customer lacks what EN 16931 needs.
    "einvoice_incomplete",
    # Credit notes: what is left to credit of the stored invoice and its lines, what was paid,
    # the credit a stored note keeps, and whose and in which currency it is.
    "unknown_invoice_line",
    "credit_note_empty",
    "credit_exceeds_invoice",
    "credit_exceeds_line",
    "refund_exceeds_credit",
    "refund_exceeds_paid",
    "credit_not_available",
    "credit_customer_mismatch",
    "credit_currency_mismatch",
    "allocation_exceeds_credit",
    "allocation_exceeds_due",
    # A webhook URL whose host resolves (or is written as) a private, loopback or link-local
    # address: what DNS answers, not what the schema can say.
    "webhook_url_refused",
    # Replaying a stored message to an endpoint whose stored filter does not take its type.
    "event_type_not_subscribed",
}


@dataclass(frozen=True)
class Seed:
    tenant_id: int
    token: str
    customer_ids: list[int]
    invoice_ids: list[int]


@pytest.fixture
async def seed(engine: AsyncEngine, client: httpx.AsyncClient) -> Seed:
    tenant = await new_tenant(engine, client, name="Schemathesis")
    invoices = Invoices(tenant)
    invoice_ids = []
    for _ in range(2):
        for situation in SITUATIONS:
            for archived in (False, True):
                if situation == "deleted" and archived:
                    continue  # a deleted invoice cannot be archived
                invoice_ids.append((await invoices.make(situation, archived=archived))["id"])
    assert invoices.customer_id is not None
    customer_ids = [invoices.customer_id] + [(await tenant.create_customer())["id"] for _ in range(3)]
    return Seed(tenant.id, tenant.token, customer_ids, invoice_ids)


@pytest.fixture(autouse=True)
def _webhook_hosts_resolve_publicly(monkeypatch: pytest.MonkeyPatch) -> None:
    """Generated webhook URLs name made-up hosts: each resolves to one public address here, so
    endpoints get made (then changed, rotated, replayed) rather than all refused, and no DNS
    query leaves the test. The SSRF rules have their own tests (tests/webhooks/test_ssrf.py)."""

    async def lookup(host: str, port: int) -> list[str]:
        return ["93.184.215.14"]

    monkeypatch.setattr(webhook_targets, "lookup", lookup)


def as_id(value: Any) -> int | None:
    """The id a generated value stands for, if it is a valid one: an int or, on the wire, its digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, float) and value.is_integer():  # JSON Schema's integers include 7.0
        value = int(value)
    return value if isinstance(value, int) and 1 <= value <= MAX_ID else None


def like(original: Any, value: int) -> Any:
    return str(value) if isinstance(original, str) else value


def point_at_seed(case: Any, seed: Seed) -> Any:
    """Send valid values where they hit something: the run's tenant, its rows, the path's own id.

    Only values that are already valid change, and only to other valid values, so a negative case
    stays negative and a positive one positive (schemathesis re-validates changed parts anyway).
    One in eight keeps its generated tenant or row id, so 403 and 404 are still asked for.
    Containers are replaced, never changed in place: explicit examples may share them.
    """
    headers = dict(case.headers or {})
    tenant = as_id(headers.get("X-Tenant"))
    if tenant is not None and tenant % 8:
        headers["X-Tenant"] = like(headers["X-Tenant"], seed.tenant_id)
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and IDEMPOTENCY_KEY.fullmatch(key):
        # A client takes a fresh key for each new request. The generator repeats a few short keys,
        # which would turn later cases into replays of unrelated requests or into 422 (key reused).
        headers["Idempotency-Key"] = f"{key[:222]}-{uuid.uuid4().hex}"  # at most 255 characters still
    if headers != case.headers:
        case.headers = headers
    path = dict(case.path_parameters or {})
    # A stateful step's path ids come from earlier responses (the links); those stay.
    stateful = case.meta is not None and case.meta.phase.name == TestPhase.STATEFUL
    for name, ids in (("invoice_id", seed.invoice_ids), ("customer_id", seed.customer_ids)):
        value = as_id(path.get(name))
        if value is not None and value % 8 and not stateful:
            path[name] = like(path[name], ids[value % len(ids)])
    if path != case.path_parameters:
        case.path_parameters = path
    # Seed quirk: cancel and revert-cancel repeat the invoice id in the body, unarchive may in the
    # query, and it must equal the path's. JSON Schema cannot say "equal to another parameter".
    invoice_id = as_id(path.get("invoice_id"))
    if invoice_id is not None:
        if isinstance(case.body, dict) and as_id(case.body.get("id")) is not None:
            case.body = {**case.body, "id": like(case.body["id"], invoice_id)}
        if case.query and as_id(case.query.get("id")) is not None:
            case.query = {**case.query, "id": like(case.query["id"], invoice_id)}
    return case


def only_undeclared_headers(failure: Any, case: Any) -> bool:
    """An unknown header the API ignored, reported as "schema-violating request accepted".

    HTTP recipients ignore header fields they do not recognise (RFC 9110, section 5.1), and
    schemathesis means to excuse exactly this (`has_only_additional_properties_in_non_body_parameters`),
    but in 4.32 that excuse re-validates the declared headers without reading them as the server
    does: `X-Tenant: 7` is the string "7" there, not the integer the schema declares, so the excuse
    never applies to this API. Only cases whose one negation is an added header qualify.
    """
    if not isinstance(failure, AcceptedNegativeData) or case.meta is None:
        return False
    data = case.meta.phase.data
    if isinstance(data, CoveragePhaseData):
        return (
            data.scenario == CoverageScenario.OBJECT_UNEXPECTED_PROPERTIES
            and data.parameter_location == ParameterLocation.HEADER
        )
    mutations = getattr(data, "mutations", ())
    return bool(mutations) and all(
        mutation.parameter_location == ParameterLocation.HEADER and mutation.keywords == ("additionalProperties",)
        for mutation in mutations
    )


def mislabelled_header(failure: Any, case: Any) -> bool:
    """A "valid data rejected" whose request sent a header value its own schema forbids.

    schemathesis 4.32.5's coverage phase fills a header whose `pattern` only admits values with
    a quote or a lone `*` (If-Match, once documented as RFC 9110 entity tags) with `0`, and still
    labels the case positive. Such a case is not positive data; this only checks the label.
    """
    if not isinstance(failure, RejectedPositiveData):
        return False
    headers = {name.lower(): value for name, value in (case.headers or {}).items()}
    for parameter in case.operation.headers:
        pattern = (parameter.definition.get("schema") or {}).get("pattern")
        value = headers.get(parameter.name.lower())
        if isinstance(pattern, str) and isinstance(value, str) and not re.search(pattern, value):
            return True
    return False


def problem_of(response: Any) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def state_dependent_refusal(failure: Any, case: Any, response: Any) -> bool:
    """Schema-valid data refused because of what is stored, or of two fields taken together.

    `positive_data_acceptance` expects every request the schema allows to succeed (or to be
    refused with 401/403/404/409). Some refusals depend on rows the request names, or compare
    two fields; no JSON Schema can state them, so a valid-looking request may be refused with 422.
    Only those refusals are excused, each by its stable problem `code`; every other 422 (e.g.
    `validation_failed` for a field the schema allows) still fails the test.
    """
    if not isinstance(failure, RejectedPositiveData) or response.status_code != 422:
        return False
    problem = problem_of(response)
    code = problem.get("code")
    errors = problem.get("errors") or {}
    if code in STATE_DEPENDENT_CODES:
        return True
    if code == "invalid_amount" and isinstance(case.body, dict):
        # A positive amount with more decimals than the *invoice's* currency has; the schema
        # cannot know the currency. (An amount <= 0 is the schema's to refuse: it stays a failure.)
        # Credit notes name theirs as `refund.amount` or `lines[i].amount`.
        return bool(errors) and all(_positive(_amount_named(case.body, field)) for field in errors)
    if code == "validation_failed" and set(errors) == {"due_date"}:
        # due_date before issue_date: two fields of the body, or the body and the stored draft.
        return all("before issue_date" in message for message in errors["due_date"])
    return False


def _amount_named(body: dict[str, Any], field: str) -> Any:
    """The body's value at an error's field name: `amount`, `refund.amount`, `lines[2].amount`."""
    value: Any = body
    for part in re.split(r"\.|\[(\d+)\]\.?", field):
        if not part:
            continue
        if part.isdigit():
            value = value[int(part)] if isinstance(value, list) and int(part) < len(value) else None
        else:
            value = value.get(part) if isinstance(value, dict) else None
    return value


def _positive(value: Any) -> bool:
    try:
        return Decimal(str(value)) > 0
    except InvalidOperation:
        return False


def load_schema(app: Any, seed: Seed, max_examples: int) -> Any:
    config = schemathesis.Config.from_dict(
        {
            # Default generation modes: positive and negative data.
            "generation": {"max-examples": max_examples},
            "auth": {"openapi": {"HTTPBearer": {"bearer": seed.token}}},
            "checks": {
                # A syntactically valid If-Match that no longer matches is refused with 412,
                # documented on every operation that takes If-Match: a precondition is judged
                # against the stored version (RFC 9110, section 13.1.1), never by the schema.
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "412", "429", "5xx"]
                }
            },
        }
    )
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app, config=config)

    @schema.hook
    def map_case(context: Any, case: Any) -> Any:
        return point_at_seed(case, seed)

    @schema.hook
    def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
        return not (
            only_undeclared_headers(failure, case)
            or mislabelled_header(failure, case)
            or state_dependent_refusal(failure, case, response)
        )

    return schema


@pytest.fixture
def api_schema(settings: Settings, seed: Seed, backend: str) -> Iterator[Any]:
    yield load_schema(create_app(settings), seed, MAX_EXAMPLES[backend])
    # Runs the app's lifespan shutdown on schemathesis' loop: its engine is disposed there.
    schemathesis_asgi.shutdown_lifespans()


@pytest.fixture(autouse=True)
def _pytest_node_id_shim(request: pytest.FixtureRequest) -> None:
    # schemathesis 4.32.5's `from_fixture` reads `Node._nodeid`, which pytest 9.2 no longer has.
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@hypothesis.settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_api(case: Any) -> None:
    case.call_and_validate()


def run_stateful(schema: Any, *, scenarios: int, steps: int) -> None:
    """The stateful phase: chains of calls joined by the links schemathesis infers from the schema.

    No shrinking and no example database: a replay meets a database the first run has changed,
    and schemathesis picks links with true randomness, so a replayed scenario is not the same one.
    """
    schema.as_state_machine().run(
        settings=hypothesis.settings(
            max_examples=scenarios,
            stateful_step_count=steps,
            phases=[Phase.explicit, Phase.generate],
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )


def test_stateful(api_schema: Any, backend: str) -> None:
    run_stateful(api_schema, scenarios=STATEFUL_SCENARIOS[backend], steps=STATEFUL_STEPS)
