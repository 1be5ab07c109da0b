"""Credit notes over the primary API: a paid invoice credited in part with a refund, in full
kept as customer credit, and that credit applied to the customer's next invoice."""

from typing import Any

from tests.conftest import Tenant
from tests.lifecycle_states import Invoices


async def _credit(tenant: Tenant, invoice_id: int, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    response = await tenant.post(f"/invoices/{invoice_id}/credit-notes", json=body)
    assert response.status_code == status, response.text
    return dict(response.json() if status >= 400 else response.json()["data"])


async def test_a_partial_credit_of_a_paid_invoice_refunds_exactly_what_the_caller_asked(tenant: Tenant) -> None:
    invoice = await Invoices(tenant).make("paid")  # 2 x 50.00 at 20 %: 120.00, paid in full
    line_id = invoice["lines"][0]["id"]
    body = {
        "lines": [{"invoice_line_id": line_id, "quantity": "1"}],
        "reason": "One unit returned",
        "refund": {"amount": "50.00", "method": "bank_transfer", "reference": "RF-1"},
        "issue": True,
    }
    result = await _credit(tenant, invoice["id"], body)
    note, credited = result["credit_note"], result["invoice"]
    assert note["status"] == "issued"
    assert note["document_number"].startswith("CRN")
    assert (note["amount_tax_exclusive"], note["amount_tax_total"], note["amount_total"]) == ("50.00", "10.00", "60.00")
    assert (note["amount_reducing_due"], note["amount_refunded"], note["amount_kept_as_credit"]) == (
        "0.00",
        "50.00",
        "10.00",
    )
    assert credited["status"] == "paid"
    assert (credited["amount_paid"], credited["amount_credited"], credited["amount_refunded"]) == (
        "120.00",
        "60.00",
        "50.00",
    )
    assert credited["amount_kept_as_credit"] == "10.00"
    assert credited["amount_due"] == "0.00"
    events = (await tenant.get(f"/invoices/{invoice['id']}/events")).json()["data"]
    assert [event["type"] for event in events][-2:] == ["invoice.credited", "invoice.refunded"]
    note_events = (await tenant.get(f"/credit-notes/{note['id']}/events")).json()["data"]
    assert [event["type"] for event in note_events] == ["credit_note.created", "credit_note.issued"]


async def test_a_full_credit_kept_as_credit_pays_the_next_invoice(tenant: Tenant) -> None:
    invoices = Invoices(tenant)
    first = await invoices.make("paid")
    next_one = await invoices.make("issued")
    result = await _credit(
        tenant,
        first["id"],
        {
            "lines": [{"invoice_line_id": first["lines"][0]["id"], "quantity": "2"}],
            "reason": "Cancelled order",
            "issue": True,
        },
    )
    note = result["credit_note"]
    assert note["amount_kept_as_credit"] == "120.00"
    assert "credit" not in result["invoice"]["available_actions"]  # fully credited
    balance = (await tenant.get(f"/customers/{invoices.customer_id}/credit-balance")).json()["data"]
    assert balance["balances"] == [
        {"currency": "TRY", "amount_kept_as_credit": "120.00", "amount_allocated": "0.00", "balance": "120.00"}
    ]
    response = await tenant.post(
        f"/invoices/{next_one['id']}/credit-allocations", json={"credit_note_id": note["id"], "amount": "100.00"}
    )
    assert response.status_code == 201, response.text
    applied = response.json()["data"]
    assert applied["invoice"]["amount_credit_applied"] == "100.00"
    assert applied["invoice"]["amount_due"] == "20.00"
    assert applied["invoice"]["status"] == "partially_paid"
    assert applied["credit_note"]["amount_available"] == "20.00"
    over = await tenant.post(
        f"/invoices/{next_one['id']}/credit-allocations", json={"credit_note_id": note["id"], "amount": "20.01"}
    )
    assert over.status_code == 422, over.text
    assert over.json()["code"] == "allocation_exceeds_credit"
    void = await tenant.post(f"/credit-notes/{note['id']}/void")
    assert void.status_code == 409, void.text
    assert void.json()["code"] == "credit_note_applied"


async def test_a_credit_of_an_unpaid_invoice_reduces_what_is_due_and_void_restores_it(tenant: Tenant) -> None:
    invoice = await Invoices(tenant).make("issued")
    line_id = invoice["lines"][0]["id"]
    draft = await _credit(
        tenant, invoice["id"], {"lines": [{"invoice_line_id": line_id, "amount": "30.00"}], "reason": "Discount"}
    )
    note = draft["credit_note"]
    assert note["status"] == "draft"
    assert note["document_number"] is None
    assert note["available_actions"] == ["issue", "delete"]
    issued = await tenant.post(f"/credit-notes/{note['id']}/issue")
    assert issued.status_code == 200, issued.text
    shown = issued.json()["data"]["invoice"]
    assert (shown["amount_credited"], shown["amount_due"], shown["status"]) == ("36.00", "84.00", "issued")
    too_much = await _credit(
        tenant, invoice["id"], {"lines": [{"invoice_line_id": line_id, "amount": "70.01"}], "reason": "x"}, status=422
    )
    assert too_much["code"] == "credit_exceeds_line"
    for action in ("cancel", "void"):  # the credit note corrects it: void that first
        refused = await tenant.post(f"/invoices/{invoice['id']}/{action}", json={"id": invoice["id"]})
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "invoice_has_credit_notes"
    voided = await tenant.post(f"/credit-notes/{note['id']}/void")
    assert voided.status_code == 200, voided.text
    after = voided.json()["data"]["invoice"]
    assert (after["amount_credited"], after["amount_due"]) == ("0.00", "120.00")
    assert voided.json()["data"]["credit_note"]["status"] == "void"


async def test_credit_notes_number_in_their_own_series_gapless_and_apart_from_invoices(tenant: Tenant) -> None:
    created = await tenant.post("/series", json={"name": "RET", "kind": "credit_note"})
    assert created.status_code == 201, created.text
    assert created.json()["data"]["kind"] == "credit_note"
    invoices = Invoices(tenant)
    numbers = []
    for series_name in (None, "RET", "RET", None):
        invoice = await invoices.make("issued")
        body: dict[str, Any] = {"lines": [{"invoice_line_id": invoice["lines"][0]["id"], "amount": "1.00"}]}
        body |= {"reason": "Price correction", "issue": True}
        if series_name:
            body["series_name"] = series_name
        numbers.append((await _credit(tenant, invoice["id"], body))["credit_note"]["document_number"])
    year = numbers[0][3:7]
    assert numbers == [f"CRN{year}000000001", f"RET{year}000000001", f"RET{year}000000002", f"CRN{year}000000002"]
    # A credit-note series numbers no invoice, and an invoice series no credit note.
    refused = await tenant.post("/invoices", json={"series_name": "RET"})
    assert refused.status_code == 422
    assert refused.json()["code"] == "unknown_series"
    invoice = await invoices.make("issued")
    body = {"lines": [{"invoice_line_id": invoice["lines"][0]["id"], "amount": "1.00"}], "reason": "x"}
    wrong = await _credit(tenant, invoice["id"], {**body, "series_name": "INV"}, status=422)
    assert wrong["code"] == "unknown_series"
