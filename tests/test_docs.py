"""The lifecycle page, docs/lifecycle.md, cannot drift from the code (ACCEPTANCE 6).

The state diagram must be exactly what `invoicing lifecycle` prints, every operation on one
invoice must have a curl example, and every refusal code of the table must be documented.
(The page was the README's lifecycle section until the README became a front page, issue 15.)
"""

import re
from pathlib import Path

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from invoicing.app import create_app
from invoicing.config import Settings
from invoicing.invoices.diagram import mermaid_state_diagram
from invoicing.invoices.lifecycle import LIFECYCLE

ROOT = Path(__file__).resolve().parent.parent
LIFECYCLE_PAGE_PATH = "docs/lifecycle.md"
LIFECYCLE_PAGE = (ROOT / LIFECYCLE_PAGE_PATH).read_text(encoding="utf-8")
API_DOC = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
API_PREFIX = "/api/v1/"

# A path segment that stands for an id: `6`, `$ID`, `${ID}` or `{invoice_id}`.
ID_SEGMENT = re.compile(r"/(?:\d+|\$\{?\w+\}?|\{\w+\})(?=/|$)")


def fenced_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def normalised(path: str) -> str:
    return ID_SEGMENT.sub("/{}", path)


def curl_operations(text: str) -> set[tuple[str, str]]:
    """(method, path with ids as `{}`) of every curl command in the text's sh blocks."""
    found: set[tuple[str, str]] = set()
    for block in fenced_blocks(text, "sh"):
        for command in block.replace("\\\n", " ").splitlines():
            if not re.search(r"\bcurl\b", command):
                continue
            explicit = re.search(r"(?:-X|--request)\s+([A-Z]+)", command)
            sends_data = re.search(r"\s(?:-d|--data\S*)\s", command)
            method = explicit.group(1) if explicit else "POST" if sends_data else "GET"
            for path in re.findall(r"(?:\$\{?BASE\}?|https?://[^/\s\"']+)(/api/v1/[^\s\"'?]*)", command):
                found.add((method, normalised(path)))
    return found


def invoice_operations() -> list[tuple[str, str]]:
    """(method, path) of every /api/v1 operation on one invoice the app serves."""
    app = create_app(Settings(database_url="sqlite://"))
    operations: set[tuple[str, str]] = set()
    for context in iter_route_contexts(app.routes):
        path = context.path_format
        if not isinstance(context.original_route, APIRoute) or not path or not path.startswith(API_PREFIX):
            continue
        if "{invoice_id}" in path:
            operations.update((method, path) for method in context.methods or ())
    return sorted(operations)


INVOICE_OPERATIONS = invoice_operations()


def test_the_lifecycle_page_diagram_is_the_one_generated_from_the_lifecycle_table() -> None:
    diagram = mermaid_state_diagram()
    blocks = [block.rstrip("\n") for block in fenced_blocks(LIFECYCLE_PAGE, "mermaid")]
    assert diagram in blocks, (
        f"{LIFECYCLE_PAGE_PATH}'s ```mermaid block differs from the lifecycle table: "
        "paste the output of `.venv/bin/invoicing lifecycle` into it.\n" + diagram
    )


def test_the_operations_on_an_invoice_are_enumerated() -> None:
    # Guards against the enumeration going blind (e.g. lazy included routers): then the
    # parametrised test below would pass with nothing to check.
    assert ("POST", "/api/v1/invoices/{invoice_id}/cancel") in INVOICE_OPERATIONS
    assert ("DELETE", "/api/v1/invoices/{invoice_id}/archive") in INVOICE_OPERATIONS
    assert len(INVOICE_OPERATIONS) >= 12


@pytest.mark.parametrize(("method", "path"), INVOICE_OPERATIONS, ids=[f"{m} {p}" for m, p in INVOICE_OPERATIONS])
def test_the_lifecycle_page_has_a_curl_for_every_operation_on_an_invoice(method: str, path: str) -> None:
    documented = curl_operations(LIFECYCLE_PAGE)
    example = path.replace("{invoice_id}", "1").replace("/api/v1", "$BASE/api/v1", 1)
    assert (method, normalised(path)) in documented, (
        f"{LIFECYCLE_PAGE_PATH} has no curl for {method} {path}; add one, e.g. `curl -s -X {method} {example} ...`"
    )


def test_the_curl_parser_reads_methods_ids_and_continuation_lines() -> None:
    text = (
        "```sh\n"
        'curl -s -X DELETE "$BASE/api/v1/invoices/3/archive?id=3" -H "X-Tenant: $TENANT"\n'
        "curl -s -X POST $BASE/api/v1/invoices/$ID/cancel \\\n"
        "  -d '{\"id\": 1}'\n"
        "curl -s $BASE/api/v1/invoices/1/events | python3 -m json.tool\n"
        "curl -s http://127.0.0.1:8000/api/v1/invoices/7/payments -d '{}'\n"
        "```\n"
    )
    assert curl_operations(text) == {
        ("DELETE", "/api/v1/invoices/{}/archive"),
        ("POST", "/api/v1/invoices/{}/cancel"),
        ("GET", "/api/v1/invoices/{}/events"),
        ("POST", "/api/v1/invoices/{}/payments"),
    }


REFUSAL_CODES = sorted(
    {rule.refusal for rule in LIFECYCLE.values()}
    | {code for rule in LIFECYCLE.values() for code in rule.refusal_by_state.values()}
    | {rule.refused_with_payments for rule in LIFECYCLE.values() if rule.refused_with_payments}
    | {rule.refused_with_credit_notes for rule in LIFECYCLE.values() if rule.refused_with_credit_notes}
    | {rule.refused_when_fully_credited for rule in LIFECYCLE.values() if rule.refused_when_fully_credited}
)


@pytest.mark.parametrize("code", REFUSAL_CODES)
def test_every_refusal_code_of_the_lifecycle_is_documented(code: str) -> None:
    assert code in LIFECYCLE_PAGE, f"{LIFECYCLE_PAGE_PATH} never mentions {code}"
    assert f"`{code}`" in API_DOC, f"docs/api.md never mentions `{code}`"
