"""Idempotency keys and If-Match on every unsafe credit-note call, as on invoices.

Each call is made ready on a fresh invoice, then sent (a) with a stale If-Match: 412 and no row
of the tenant changes; (b) with the current ETag: it succeeds; (c) twice under one
Idempotency-Key: it executes once and the retry replays the first response byte for byte.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import Tenant, rows_of
from tests.lifecycle_states import Invoices, spare_credit

FREE_LINE = {"name": "Goodwill", "quantity": "1", "unit_price": "10.00", "vat_rate_percent": "0"}
STALE = '"v999"'


@dataclass(frozen=True)
class Ready:
    method: str
    path: str
    body: dict[str, Any] | None
    etag_path: str  # what the precondition names: the invoice, or the credit note
    status: int  # what success answers


async def _draft_note(tenant: Tenant, invoice_id: int) -> int:
    body = {"lines": [FREE_LINE], "reason": "Goodwill"}
    response = await tenant.post(f"/invoices/{invoice_id}/credit-notes", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["data"]["credit_note"]["id"])


async def create_on_invoice(tenant: Tenant) -> Ready:
    invoice = await Invoices(tenant).make("issued")
    body = {"lines": [FREE_LINE], "reason": "Goodwill", "issue": True}
    path = f"/invoices/{invoice['id']}"
    return Ready("POST", f"{path}/credit-notes", body, path, 201)


async def issue_note(tenant: Tenant) -> Ready:
    note_id = await _draft_note(tenant, (await Invoices(tenant).make("issued"))["id"])
    return Ready("POST", f"/credit-notes/{note_id}/issue", None, f"/credit-notes/{note_id}", 200)


async def void_note(tenant: Tenant) -> Ready:
    invoice = await Invoices(tenant).make("issued")
    body = {"lines": [FREE_LINE], "reason": "Goodwill", "issue": True}
    response = await tenant.post(f"/invoices/{invoice['id']}/credit-notes", json=body)
    note_id = response.json()["data"]["credit_note"]["id"]
    return Ready("POST", f"/credit-notes/{note_id}/void", None, f"/credit-notes/{note_id}", 200)


async def delete_draft_note(tenant: Tenant) -> Ready:
    note_id = await _draft_note(tenant, (await Invoices(tenant).make("issued"))["id"])
    return Ready("DELETE", f"/credit-notes/{note_id}", None, f"/credit-notes/{note_id}", 200)


async def allocate(tenant: Tenant) -> Ready:
    invoices = Invoices(tenant)
    invoice = await invoices.make("issued")
    note_id = await spare_credit(tenant, invoice["customer"]["id"])
    path = f"/invoices/{invoice['id']}"
    return Ready("POST", f"{path}/credit-allocations", {"credit_note_id": note_id, "amount": "25.00"}, path, 201)


CALLS: dict[str, Callable[[Tenant], Awaitable[Ready]]] = {
    "create": create_on_invoice,
    "issue": issue_note,
    "void": void_note,
    "delete": delete_draft_note,
    "allocate": allocate,
}


async def _send(tenant: Tenant, ready: Ready, headers: dict[str, str]) -> httpx.Response:
    return await tenant.request(ready.method, ready.path, json=ready.body, headers=headers)


@pytest.mark.parametrize("call", list(CALLS))
async def test_a_stale_if_match_is_refused_with_412_and_changes_nothing(
    engine: AsyncEngine, tenant: Tenant, call: str
) -> None:
    ready = await CALLS[call](tenant)
    before = await rows_of(engine, tenant.id)
    response = await _send(tenant, ready, {"If-Match": STALE})
    assert response.status_code == 412, response.text
    assert response.json()["code"] == "precondition_failed"
    current = await tenant.get(ready.etag_path)
    assert response.json()["current_etag"] == current.headers["etag"]
    assert await rows_of(engine, tenant.id) == before


@pytest.mark.parametrize("call", list(CALLS))
async def test_the_current_etag_lets_the_call_through(tenant: Tenant, call: str) -> None:
    ready = await CALLS[call](tenant)
    etag = (await tenant.get(ready.etag_path)).headers["etag"]
    response = await _send(tenant, ready, {"If-Match": etag})
    assert response.status_code == ready.status, response.text
    if ready.method != "DELETE":  # a deleted draft cannot be read back
        assert (await tenant.get(ready.etag_path)).headers["etag"] != etag, "the change bumps the version"


@pytest.mark.parametrize("call", list(CALLS))
async def test_a_retry_under_the_same_key_replays_and_acts_once(engine: AsyncEngine, tenant: Tenant, call: str) -> None:
    ready = await CALLS[call](tenant)
    first = await _send(tenant, ready, {"Idempotency-Key": f"credit-{call}"})
    assert first.status_code == ready.status, first.text
    after_first = await rows_of(engine, tenant.id)
    again = await _send(tenant, ready, {"Idempotency-Key": f"credit-{call}"})
    assert again.status_code == ready.status
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    after_retry = await rows_of(engine, tenant.id)
    # Only the stored key's bookkeeping may differ; no credit note, line, allocation or event more.
    assert {table: rows for table, rows in after_retry.items() if table != "idempotency_keys"} == {
        table: rows for table, rows in after_first.items() if table != "idempotency_keys"
    }
