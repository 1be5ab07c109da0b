"""The invoice page and its actions: what it shows is the API's resource, what it offers is the
resource's available_actions, and every change it makes is the API's own service call."""

import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.dashboard.security import FRAMED_CONTENT_SECURITY_POLICY
from invoicing.dashboard.templating import money
from tests.conftest import Tenant, rows_of
from tests.dashboard.support import Person, credit_first_line

THREE_LINES = [
    {"name": "Consulting (hours)", "quantity": "10", "unit_price": "100.00", "vat_rate_percent": "18"},
    {"name": "Travel", "quantity": "1", "unit_price": "245.50", "vat_rate_percent": "20", "discount_percent": "10"},
    {"name": "Licence", "quantity": "3", "unit_price": "33.33", "vat_rate_percent": "0"},
]
ACTION_FORM = re.compile(r'/invoices/\d+/actions/(\w+)"')
CONFIRM_LINK = re.compile(r'/invoices/\d+/confirm/(\w+)"')
BUTTON_ACTIONS = {"issue", "send", "cancel", "revert_cancel", "void", "delete", "archive", "unarchive"}


async def api_invoice(tenant: Tenant, invoice_id: int) -> dict[str, Any]:
    response = await tenant.get(f"/invoices/{invoice_id}")
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


def version_of(html: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found is not None, "the page has no form with the invoice's version"
    return found.group(1)


def offered(html: str) -> set[str]:
    return set(ACTION_FORM.findall(html)) | set(CONFIRM_LINK.findall(html))


async def issue(tenant: Tenant, **fields: Any) -> dict[str, Any]:
    draft = await tenant.create_draft(**fields)
    await tenant.issue(draft["id"])
    return await api_invoice(tenant, draft["id"])


async def state(engine: AsyncEngine, tenant: Tenant) -> dict[str, Any]:
    """Everything the tenant owns but its people's sessions (a page view may touch one)."""
    return {name: rows for name, rows in (await rows_of(engine, tenant.id)).items() if name != "user_sessions"}


async def act(person: Person, invoice_id: int, action: str, **fields: str) -> Any:
    page = await person.get(f"/app/invoices/{invoice_id}")
    assert page.status_code == 200, page.text
    return await person.post(
        f"/app/invoices/{invoice_id}/actions/{action}", {"version": version_of(page.text), **fields}
    )


async def test_the_page_shows_the_lines_and_totals_the_api_gives(owner: Person, tenant: Tenant) -> None:
    invoice = await issue(tenant, lines=THREE_LINES)
    page = await owner.get(f"/app/invoices/{invoice['id']}")
    assert page.status_code == 200
    html = page.text
    code = invoice["currency"]["code"]
    assert invoice["document_number"] in html
    for line in invoice["lines"]:
        assert line["name"] in html
        for key in ("unit_price", "amount_net", "amount_tax", "amount_total"):
            assert money(line[key], code) in html, (key, line[key])
    for key in ("amount_tax_exclusive", "amount_tax_total", "amount_payable", "amount_paid", "amount_due"):
        assert money(invoice[key], code) in html, (key, invoice[key])
    assert '<span class="chip issued">Issued</span>' in html
    assert f'src="/app/invoices/{invoice["id"]}/pdf?inline=1"' in html
    timeline = html.split('id="timeline-title"')[1]
    assert timeline.index("Issued") < timeline.index("Draft created")  # newest first
    assert "API client" in timeline  # who: the tenant's token made both


async def test_an_invoice_past_its_due_date_shows_the_overdue_chip(owner: Person, tenant: Tenant) -> None:
    past = date.today() - timedelta(days=40)
    invoice = await issue(tenant, issue_date=past.isoformat(), due_date=(past + timedelta(days=10)).isoformat())
    html = (await owner.get(f"/app/invoices/{invoice['id']}")).text
    assert '<span class="chip overdue">Overdue</span>' in html


async def test_each_action_button_is_offered_exactly_when_the_api_lists_it(owner: Person, tenant: Tenant) -> None:
    draft = await tenant.create_draft()
    issued_one = await issue(tenant)
    cancelled = await issue(tenant)
    assert (await tenant.post(f"/invoices/{cancelled['id']}/cancel", json={"id": cancelled["id"]})).status_code == 200
    archived = await issue(tenant)
    assert (await tenant.post(f"/invoices/{archived['id']}/archive")).status_code == 200
    for invoice_id in (draft["id"], issued_one["id"], cancelled["id"], archived["id"]):
        resource = await api_invoice(tenant, invoice_id)
        # Both archive and unarchive are always available (idempotent): the one that changes nothing is not shown.
        noop = "unarchive" if not resource["is_archived"] else "archive"
        expected = (set(resource["available_actions"]) & BUTTON_ACTIONS) - {noop}
        html = (await owner.get(f"/app/invoices/{invoice_id}")).text
        assert offered(html) == expected, (resource["status"], resource["available_actions"])
        assert ("/payments" in html) == ("record_payment" in resource["available_actions"])
        assert ("/credit-notes" in html) == ("credit" in resource["available_actions"])
        assert (f"/invoices/{invoice_id}/edit" in html) == ("update" in resource["available_actions"])


async def test_issue_cancel_and_revert_through_the_forms_change_the_status_as_the_api_shows(
    accountant: Person, tenant: Tenant
) -> None:
    draft = await tenant.create_draft()
    invoice_id = draft["id"]
    for action, status, message in (
        ("issue", "issued", "Invoice issued."),
        ("cancel", "cancelled", "Invoice cancelled."),
        ("revert_cancel", "issued", "Invoice cancellation reverted."),
    ):
        response = await act(accountant, invoice_id, action)
        assert response.status_code == 303, response.text
        assert response.headers["location"] == f"/app/invoices/{invoice_id}?done={action}"
        assert (await api_invoice(tenant, invoice_id))["status"] == status
        page = await accountant.get(response.headers["location"])
        assert f'<p class="notice" role="status">{message}</p>' in page.text
    events = (await tenant.get(f"/invoices/{invoice_id}/events")).json()["data"]
    assert {event["actor"] for event in events[1:]} == {events[-1]["actor"]}
    assert events[-1]["actor"].startswith("user:")
    assert "Accountant Person" in (await accountant.get(f"/app/invoices/{invoice_id}")).text


async def test_a_partial_payment_makes_the_invoice_partly_paid(accountant: Person, tenant: Tenant) -> None:
    invoice = await issue(tenant)  # 2 x 50.00 + 20 % = 120.00
    page = await accountant.get(f"/app/invoices/{invoice['id']}")
    response = await accountant.post(
        f"/app/invoices/{invoice['id']}/payments",
        {
            "version": version_of(page.text),
            "amount": "45.50",
            "paid_on": date.today().isoformat(),
            "method": "bank_transfer",
            "reference": "EFT 7",
        },
    )
    assert response.status_code == 303, response.text
    after = await api_invoice(tenant, invoice["id"])
    assert (after["status"], after["amount_paid"], after["amount_due"]) == ("partially_paid", "45.50", "74.50")
    html = (await accountant.get(response.headers["location"])).text
    assert '<span class="chip partially_paid">Partly paid</span>' in html
    assert "Payment recorded." in html
    assert "EFT 7" in html
    assert money("74.50", after["currency"]["code"]) in html


async def test_a_payment_the_service_refuses_is_shown_again_with_the_field_named_and_records_nothing(
    owner: Person, tenant: Tenant, engine: AsyncEngine
) -> None:
    invoice = await issue(tenant)
    page = await owner.get(f"/app/invoices/{invoice['id']}")
    before = await state(engine, tenant)
    for amount, message in (("500.00", "exceeds the amount due"), ("ten", "Must be a decimal")):
        response = await owner.post(
            f"/app/invoices/{invoice['id']}/payments",
            {"version": version_of(page.text), "amount": amount, "method": "card", "paid_on": "2026-01-02"},
        )
        assert response.status_code == 422
        assert message in response.text
        assert 'id="amount" name="amount" type="text" inputmode="decimal" required value="' + amount in response.text
        assert 'aria-invalid="true" aria-describedby="error-amount"' in response.text
    assert await state(engine, tenant) == before


async def test_a_credit_note_reduces_the_amount_due_exactly(owner: Person, tenant: Tenant) -> None:
    invoice = await issue(tenant, lines=THREE_LINES)
    travel = invoice["lines"][1]
    page = await owner.get(f"/app/invoices/{invoice['id']}")
    response = await owner.post(
        f"/app/invoices/{invoice['id']}/credit-notes",
        {"version": version_of(page.text), f"line-{travel['id']}-amount": "100.01", "reason": "Taxi overcharged"},
    )
    assert response.status_code == 303, response.text
    notes = (await tenant.get(f"/invoices/{invoice['id']}/credit-notes")).json()["data"]
    assert len(notes) == 1
    assert notes[0]["status"] == "issued"
    after = await api_invoice(tenant, invoice["id"])
    credited = notes[0]["amount_total"]  # 100.01 + 20 % VAT = 120.01
    assert credited == "120.01"
    assert after["amount_credited"] == credited
    assert (after["amount_payable"], after["amount_due"]) == ("1545.13", "1425.12")  # 1545.13 - 120.01
    html = (await owner.get(response.headers["location"])).text
    assert "Credit note issued." in html
    assert notes[0]["document_number"] in html
    assert money(after["amount_due"], after["currency"]["code"]) in html


async def test_a_credit_of_a_paid_invoice_refunds_what_the_form_says(owner: Person, tenant: Tenant) -> None:
    invoice = await issue(tenant)
    paid = await tenant.post(f"/invoices/{invoice['id']}/payments", json={"amount": "120.00", "method": "card"})
    assert paid.status_code == 201
    page = await owner.get(f"/app/invoices/{invoice['id']}")
    form = {
        "version": version_of(page.text),
        "whole": "yes",
        "reason": "Order returned",
        "refund_amount": "100.00",
        "refund_method": "card",
        "refund_reference": "RF-1",
    }
    response = await owner.post(f"/app/invoices/{invoice['id']}/credit-notes", form)
    assert response.status_code == 303, response.text
    after = await api_invoice(tenant, invoice["id"])
    assert (after["amount_credited"], after["amount_refunded"], after["amount_kept_as_credit"]) == (
        "120.00",
        "100.00",
        "20.00",
    )


async def test_a_credit_the_service_refuses_names_the_line_and_issues_nothing(
    owner: Person, tenant: Tenant, engine: AsyncEngine
) -> None:
    invoice = await issue(tenant)
    line = invoice["lines"][0]
    page = await owner.get(f"/app/invoices/{invoice['id']}")
    before = await state(engine, tenant)
    too_many = {"version": version_of(page.text), f"line-{line['id']}-quantity": "3", "reason": "Too much"}
    response = await owner.post(f"/app/invoices/{invoice['id']}/credit-notes", too_many)
    assert response.status_code == 422
    assert f'aria-describedby="error-line-{line["id"]}-quantity"' in response.text
    assert "left to credit" in response.text
    nothing = {"version": version_of(page.text), "reason": "Nothing chosen"}
    response = await owner.post(f"/app/invoices/{invoice['id']}/credit-notes", nothing)
    assert response.status_code == 422
    assert "Choose what to credit" in response.text
    assert await state(engine, tenant) == before


async def test_void_needs_its_confirmation_page(owner: Person, tenant: Tenant, engine: AsyncEngine) -> None:
    invoice = await issue(tenant)
    before = await state(engine, tenant)
    unconfirmed = await act(owner, invoice["id"], "void")
    assert unconfirmed.status_code == 303
    assert unconfirmed.headers["location"] == f"/app/invoices/{invoice['id']}/confirm/void"
    assert await state(engine, tenant) == before
    confirm = await owner.get(unconfirmed.headers["location"])
    assert confirm.status_code == 200
    assert "Voiding is final" in confirm.text
    assert invoice["document_number"] in confirm.text
    response = await owner.post(
        f"/app/invoices/{invoice['id']}/actions/void", {"version": version_of(confirm.text), "confirmed": "yes"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/app/invoices/{invoice['id']}?done=void"
    assert (await api_invoice(tenant, invoice["id"]))["status"] == "void"


async def test_delete_needs_its_confirmation_page_and_goes_back_to_the_list(owner: Person, tenant: Tenant) -> None:
    draft = await tenant.create_draft()
    page = await owner.get(f"/app/invoices/{draft['id']}")
    assert f'href="/app/invoices/{draft["id"]}/confirm/delete"' in page.text
    assert (await act(owner, draft["id"], "delete")).status_code == 303
    assert (await api_invoice(tenant, draft["id"]))["status"] == "draft"
    confirm = await owner.get(f"/app/invoices/{draft['id']}/confirm/delete")
    assert "Deleting removes this draft for good" in confirm.text
    response = await owner.post(
        f"/app/invoices/{draft['id']}/actions/delete", {"version": version_of(confirm.text), "confirmed": "yes"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/app/invoices?done=delete"
    assert (await tenant.get(f"/invoices/{draft['id']}")).status_code == 404
    assert (await owner.get(f"/app/invoices/{draft['id']}")).status_code == 404


async def test_a_stale_page_gets_the_someone_changed_it_page_and_changes_nothing(
    owner: Person, tenant: Tenant, engine: AsyncEngine
) -> None:
    invoice = await issue(tenant)
    page = await owner.get(f"/app/invoices/{invoice['id']}")
    assert (await tenant.post(f"/invoices/{invoice['id']}/archive")).status_code == 200  # someone else
    before = await state(engine, tenant)
    url = f"https://testserver/app/invoices/{invoice['id']}"
    for path, form in (
        ("actions/cancel", {}),
        ("payments", {"amount": "10.00", "method": "cash"}),
        ("credit-notes", {"whole": "yes", "reason": "Stale"}),
    ):
        response = await owner.post(
            f"/app/invoices/{invoice['id']}/{path}",
            {"version": version_of(page.text), **form},
            headers={"referer": url},
        )
        assert response.status_code == 412, path
        assert "Someone changed this since you opened it" in response.text
        assert "Someone else changed this invoice after you opened the page, so nothing was done." in response.text
        assert f'href="/app/invoices/{invoice["id"]}">Reload to see the changes' in response.text
    assert await state(engine, tenant) == before


async def test_a_refused_action_shows_the_lifecycle_reason_in_words(owner: Person, tenant: Tenant) -> None:
    invoice = await issue(tenant)
    credit = {"lines": [{"invoice_line_id": invoice["lines"][0]["id"], "quantity": "1"}], "reason": "R", "issue": True}
    assert (await tenant.post(f"/invoices/{invoice['id']}/credit-notes", json=credit)).status_code == 201
    await owner.get(f"/app/invoices/{invoice['id']}")
    response = await owner.post(f"/app/invoices/{invoice['id']}/actions/cancel", {})  # a form without a version
    assert response.status_code == 409
    assert "This cannot be done now" in response.text
    assert "Credit notes have been issued against it." in response.text
    paid = await issue(tenant)
    await tenant.post(f"/invoices/{paid['id']}/payments", json={"amount": "120.00", "method": "card"})
    confirm = await owner.get(f"/app/invoices/{paid['id']}/confirm/void")
    assert confirm.status_code == 409
    assert "The invoice cannot void while it is paid." in confirm.text


async def test_a_viewer_sees_everything_but_no_buttons_and_a_viewer_post_is_refused(
    viewer: Person, tenant: Tenant, engine: AsyncEngine
) -> None:
    invoice = await issue(tenant, lines=THREE_LINES)
    page = await viewer.get(f"/app/invoices/{invoice['id']}")
    assert page.status_code == 200
    assert invoice["document_number"] in page.text
    assert "Travel" in page.text
    assert offered(page.text) == set()
    assert "/payments" not in page.text
    assert "/credit-notes" not in page.text
    before = await state(engine, tenant)
    for path, form in (
        ("actions/cancel", {}),
        ("actions/void", {"confirmed": "yes"}),
        ("payments", {"amount": "10.00", "method": "cash"}),
        ("credit-notes", {"whole": "yes", "reason": "No"}),
    ):
        response = await viewer.post(f"/app/invoices/{invoice['id']}/{path}", {"version": invoice["version"], **form})
        assert response.status_code == 403, path
    assert (await viewer.get(f"/app/invoices/{invoice['id']}/confirm/void")).status_code == 403
    assert await state(engine, tenant) == before


async def test_another_tenants_invoice_is_not_found(owner: Person, other_tenant: Tenant, engine: AsyncEngine) -> None:
    theirs = await other_tenant.create_draft()
    before = await state(engine, other_tenant)
    for path in ("", "/pdf", "/confirm/delete"):
        assert (await owner.get(f"/app/invoices/{theirs['id']}{path}")).status_code == 404, path
    await owner.get("/app/invoices")
    response = await owner.post(f"/app/invoices/{theirs['id']}/actions/delete", {"confirmed": "yes"})
    assert response.status_code == 404
    assert await state(engine, other_tenant) == before


async def test_the_pdf_is_a_pdf_only_this_site_may_frame(viewer: Person, tenant: Tenant) -> None:
    invoice = await issue(tenant)
    draft = await tenant.create_draft()
    download = await viewer.get(f"/app/invoices/{invoice['id']}/pdf")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/pdf"
    assert download.content.startswith(b"%PDF-")
    assert download.headers["content-security-policy"] == FRAMED_CONTENT_SECURITY_POLICY
    assert download.headers["content-disposition"] == f'attachment; filename="{invoice["document_number"]}.pdf"'
    framed = await viewer.get(f"/app/invoices/{draft['id']}/pdf?inline=1")
    assert framed.status_code == 200
    assert framed.headers["content-type"] == "application/pdf"
    assert framed.headers["content-disposition"].startswith("inline; ")
    assert framed.headers["content-security-policy"] == FRAMED_CONTENT_SECURITY_POLICY


async def test_credit_a_customer_keeps_is_offered_on_their_next_invoice_and_applied_exactly(
    accountant: Person, tenant: Tenant
) -> None:
    customer = await tenant.create_customer()
    paid = await issue(tenant, customer_id=customer["id"])  # 2 x 50.00 + 20% VAT = 120.00
    await tenant.post(f"/invoices/{paid['id']}/payments", json={"amount": "120.00", "method": "card"})
    note = await credit_first_line(tenant, paid, "One hour less")
    assert note["amount_kept_as_credit"] == "60.00"  # paid in full before: the credit is the customer's
    later = await issue(tenant, customer_id=customer["id"])
    assert "apply_credit" in later["available_actions"]

    page = await accountant.get(f"/app/invoices/{later['id']}")
    assert "Apply the customer&#39;s credit" in page.text or "Apply the customer's credit" in page.text
    assert f'value="{note["id"]}"' in page.text
    too_much = await accountant.post(
        f"/app/invoices/{later['id']}/credit-allocations",
        {"version": version_of(page.text), "credit_note_id": str(note["id"]), "credit_amount": "75.00"},
    )
    assert too_much.status_code == 422
    assert 'id="error-credit_amount"' in too_much.text  # more than the note has left: the amount is named
    assert (await api_invoice(tenant, later["id"]))["amount_credit_applied"] == "0.00"

    page = await accountant.get(f"/app/invoices/{later['id']}")
    applied = await accountant.post(
        f"/app/invoices/{later['id']}/credit-allocations",
        {"version": version_of(page.text), "credit_note_id": str(note["id"]), "credit_amount": "45.50"},
    )
    assert applied.status_code == 303, applied.text
    after = await api_invoice(tenant, later["id"])
    assert after["amount_credit_applied"] == "45.50"
    assert after["amount_due"] == "74.50"
    assert after["status"] == "partially_paid"


async def test_a_viewer_cannot_apply_credit(viewer: Person, tenant: Tenant) -> None:
    invoice = await issue(tenant)
    page = await viewer.get(f"/app/invoices/{invoice['id']}")
    assert "credit-allocations" not in page.text
    refused = await viewer.post(
        f"/app/invoices/{invoice['id']}/credit-allocations", {"credit_note_id": "1", "credit_amount": "1.00"}
    )
    assert refused.status_code == 403


async def test_a_credit_note_is_voided_after_its_confirmation_and_the_invoice_owes_again(
    accountant: Person, tenant: Tenant
) -> None:
    invoice = await issue(tenant)
    note = await credit_first_line(tenant, invoice)
    assert (await api_invoice(tenant, invoice["id"]))["amount_due"] == "60.00"
    page = await accountant.get(f"/app/invoices/{invoice['id']}")
    assert f"/app/credit-notes/{note['id']}/confirm-void" in page.text

    unconfirmed = await accountant.post(f"/app/credit-notes/{note['id']}/void", {"version": str(note["version"])})
    assert unconfirmed.status_code == 303
    assert unconfirmed.headers["location"].endswith(f"/app/credit-notes/{note['id']}/confirm-void")
    assert (await api_invoice(tenant, invoice["id"]))["amount_due"] == "60.00"

    confirm = await accountant.get(f"/app/credit-notes/{note['id']}/confirm-void")
    assert confirm.status_code == 200
    assert "This cannot be undone." in confirm.text
    voided = await accountant.post(
        f"/app/credit-notes/{note['id']}/void", {"version": version_of(confirm.text), "confirmed": "yes"}
    )
    assert voided.status_code == 303, voided.text
    assert voided.headers["location"].endswith(f"/app/invoices/{invoice['id']}?done=void_credit_note")
    after = await api_invoice(tenant, invoice["id"])
    assert after["amount_credited"] == "0.00"
    assert after["amount_due"] == "120.00"
    again = await accountant.get(f"/app/credit-notes/{note['id']}/confirm-void")
    assert again.status_code == 409, "a void credit note cannot be voided again"
