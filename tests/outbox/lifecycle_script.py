"""A scripted lifecycle through the primary API, touching every kind of change: a draft edited,
issued, sent, paid in part, cancelled and reverted, printed, archived and unarchived, credited
with a credit note, and a second draft deleted. Returns what the delivery tests compare with."""

from dataclasses import dataclass
from typing import Any

from tests.conftest import Tenant


@dataclass(frozen=True)
class Scripted:
    invoice_ids: list[int]
    credit_note_ids: list[int]


async def _ok(tenant: Tenant, method: str, path: str, json: Any = None) -> dict[str, Any]:
    response = await tenant.request(method, path, json=json)
    assert response.status_code in (200, 201), f"{method} {path}: {response.status_code} {response.text}"
    return dict(response.json()["data"])


async def run_lifecycle(tenant: Tenant) -> Scripted:
    customer = await tenant.create_customer(email="billing@customer.example")
    draft = await tenant.create_draft(customer_id=customer["id"])
    invoice_id = int(draft["id"])
    await _ok(tenant, "PATCH", f"/invoices/{invoice_id}", {"notes": "Thank you"})
    issued = await _ok(tenant, "POST", f"/invoices/{invoice_id}/issue")
    await _ok(tenant, "POST", f"/invoices/{invoice_id}/send")
    line_id = issued["lines"][0]["id"]
    await _ok(tenant, "POST", f"/invoices/{invoice_id}/payments", {"amount": "10.00", "method": "cash"})
    await _ok(tenant, "POST", f"/invoices/{invoice_id}/cancel", {"id": invoice_id})
    await _ok(tenant, "POST", f"/invoices/{invoice_id}/revert-cancel", {"id": invoice_id})
    await _ok(tenant, "POST", f"/invoices/{invoice_id}/printed")
    await _ok(tenant, "POST", f"/invoices/{invoice_id}/archive")
    await _ok(tenant, "DELETE", f"/invoices/{invoice_id}/archive")
    credit = await _ok(
        tenant,
        "POST",
        f"/invoices/{invoice_id}/credit-notes",
        {"lines": [{"invoice_line_id": line_id, "quantity": "1"}], "reason": "One hour too many", "issue": True},
    )
    doomed = await tenant.create_draft(customer_id=customer["id"])
    response = await tenant.request("DELETE", f"/invoices/{doomed['id']}")
    assert response.status_code in (200, 204), response.text
    credit_note = credit.get("credit_note", credit)
    return Scripted(invoice_ids=[invoice_id, int(doomed["id"])], credit_note_ids=[int(credit_note["id"])])
