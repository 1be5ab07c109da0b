"""The finer rules of SPEC 3 beyond the table: what cancel keeps, what void and delete leave behind,
numbering around drafts, archiving and lists, payments, sending, and the seeds' id quirks.

Over HTTP, on SQLite and PostgreSQL; what the API cannot show (deleted rows) is read from the tables.
"""

from datetime import datetime
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.invoices.schemas import InvoiceIdBody
from tests.conftest import Tenant, rows_of
from tests.lifecycle_states import (
    Invoices,
    act,
    invoice_in,
    stored_events,
    stored_invoice,
    succeed,
)
from tests.spec_lifecycle import ACTIONS, INTERNAL_ACTIONS


def when(text: str | None) -> datetime:
    assert text is not None
    return datetime.fromisoformat(text)


def sequence_of(document_number: str) -> int:
    return int(document_number[-9:])


async def get_invoice(tenant: Tenant, invoice_id: int) -> dict[str, Any]:
    response = await tenant.get(f"/invoices/{invoice_id}")
    assert response.status_code == 200, response.text
    return dict(response.json()["data"])


async def listed_ids(tenant: Tenant, **params: str) -> list[int]:
    response = await tenant.get("/invoices", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]]


async def pay(tenant: Tenant, invoice_id: int, amount: Any, **fields: Any) -> Any:
    return await tenant.post(f"/invoices/{invoice_id}/payments", json={"amount": amount, "method": "cash", **fields})


def assert_unprocessable(response: Any, field: str, code: str | None = None) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert field in body.get("errors", {}), body
    if code is not None:
        assert body["code"] == code, body


# -- cancel and revert-cancel ------------------------------------------------------------------


async def test_cancel_keeps_the_prior_state_and_nothing_is_due_while_cancelled(
    engine: AsyncEngine, tenant: Tenant
) -> None:
    invoice = await invoice_in(tenant, "partially_paid")
    assert (invoice["amount_paid"], invoice["amount_due"]) == ("40.00", "80.00")

    cancelled = await succeed(tenant, "cancel", invoice["id"])
    assert cancelled["status"] == "cancelled"
    assert cancelled["is_cancelled"] is True
    assert cancelled["amount_due"] == "0.00"
    assert cancelled["amount_paid"] == "40.00"  # the payment is still recorded
    assert cancelled["amount_payable"] == "120.00"
    assert cancelled["cancelled_at"] is not None
    assert cancelled["document_number"] == invoice["document_number"]  # a cancelled invoice keeps its number
    assert (await get_invoice(tenant, invoice["id"]))["amount_due"] == "0.00"
    assert (await stored_invoice(engine, tenant.id, invoice["id"]))["cancelled_from"] == "partially_paid"

    reverted = await succeed(tenant, "revert_cancel", invoice["id"])
    assert reverted["status"] == "partially_paid"
    assert reverted["is_cancelled"] is False
    assert reverted["amount_due"] == "80.00"  # from the recorded payments
    assert reverted["amount_paid"] == "40.00"
    assert reverted["cancelled_at"] is None
    assert (await stored_invoice(engine, tenant.id, invoice["id"]))["cancelled_from"] is None
    # and it can be paid off from there
    paid = await succeed(tenant, "record_payment", invoice["id"], amount="80.00")
    assert (paid["status"], paid["amount_due"]) == ("paid", "0.00")


async def test_reverting_the_cancel_of_an_issued_invoice_restores_the_whole_amount_due(tenant: Tenant) -> None:
    invoice = await invoice_in(tenant, "cancelled_from_issued")
    assert invoice["amount_due"] == "0.00"
    reverted = await succeed(tenant, "revert_cancel", invoice["id"])
    assert (reverted["status"], reverted["amount_due"], reverted["amount_paid"]) == ("issued", "120.00", "0.00")
    assert reverted["document_number"] == invoice["document_number"]


async def test_cancel_and_revert_write_one_event_each_with_from_and_to(tenant: Tenant) -> None:
    invoice = await invoice_in(tenant, "cancelled_from_partially_paid")
    await succeed(tenant, "revert_cancel", invoice["id"])
    events = (await tenant.get(f"/invoices/{invoice['id']}/events")).json()["data"]
    assert [(e["type"], e["from_status"], e["to_status"]) for e in events[-2:]] == [
        ("invoice.cancelled", "partially_paid", "cancelled"),
        ("invoice.cancel_reverted", "cancelled", "partially_paid"),
    ]
    assert [e["sequence"] for e in events] == list(range(1, len(events) + 1))


# -- void -------------------------------------------------------------------------------------


@pytest.mark.parametrize("situation", ["partially_paid", "paid", "cancelled_from_partially_paid"])
async def test_void_is_refused_once_a_payment_is_recorded_even_when_cancelled(
    engine: AsyncEngine, tenant: Tenant, situation: str
) -> None:
    invoice = await invoice_in(tenant, situation)
    assert "void" not in invoice["available_actions"]
    before = await rows_of(engine, tenant.id)
    response = await act(tenant, "void", invoice["id"])
    assert response.status_code == 409
    assert response.json()["code"] == "invoice_has_payments"
    assert response.json()["invoice_status"] == invoice["status"]
    assert await rows_of(engine, tenant.id) == before


@pytest.mark.parametrize("situation", ["issued", "cancelled_from_issued"])
async def test_void_keeps_the_number_and_the_number_is_not_given_again(tenant: Tenant, situation: str) -> None:
    invoices = Invoices(tenant)
    invoice = await invoices.make(situation, issue_date="2026-03-01")
    number = invoice["document_number"]
    assert number is not None
    voided = await succeed(tenant, "void", invoice["id"])
    assert voided["status"] == "void"
    assert voided["document_number"] == number
    assert voided["voided_at"] is not None
    assert voided["amount_due"] == "0.00"
    assert (await get_invoice(tenant, invoice["id"]))["document_number"] == number
    following = await invoices.make("issued", issue_date="2026-03-02")
    assert sequence_of(following["document_number"]) == sequence_of(number) + 1


# -- delete -----------------------------------------------------------------------------------


async def test_a_deleted_draft_is_gone_from_every_read_and_action_yet_kept_in_storage(
    engine: AsyncEngine, tenant: Tenant
) -> None:
    invoices = Invoices(tenant)
    kept = await invoices.make("draft")
    draft = await invoices.make("draft", notes="to be deleted")
    response = await act(tenant, "delete", draft["id"])
    assert response.status_code == 200, response.text
    assert response.json()["data"]["message"]
    assert response.json()["data"]["invoice"]["status"] == "deleted"

    path = f"/invoices/{draft['id']}"
    reads = [
        await tenant.get(path),
        await tenant.get(f"{path}/events"),
        await tenant.get(f"{path}/payments"),
        await tenant.patch(path, json={"notes": "resurrected?"}),
    ]
    for response in reads:
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "invoice_not_found"
    before = await rows_of(engine, tenant.id)
    for action in ACTIONS:
        if action in INTERNAL_ACTIONS:  # taken inside a credit note's own calls, not on the invoice
            continue
        response = await act(tenant, action, draft["id"])
        assert response.status_code == 404, (action, response.text)
        assert response.json()["code"] == "invoice_not_found", action
        assert "invoice_status" not in response.json()  # not found says nothing about the invoice
    assert await rows_of(engine, tenant.id) == before
    for params in ({}, {"archived": "any"}, {"archived": "true"}, {"q": "deleted"}):
        assert draft["id"] not in await listed_ids(tenant, **params), params
    assert await listed_ids(tenant) == [kept["id"]]

    row = await stored_invoice(engine, tenant.id, draft["id"])
    assert row["status"] == "deleted"
    assert row["deleted_at"] is not None
    assert row["document_number"] is None
    assert row["notes"] == "to be deleted"
    events = await stored_events(engine, tenant.id, draft["id"])
    assert [(e["type"], e["from_status"], e["to_status"], e["sequence"]) for e in events] == [
        ("invoice.created", None, "draft", 1),
        ("invoice.deleted", "draft", "deleted", 2),
    ]


# -- numbering around drafts ------------------------------------------------------------------


async def test_drafts_never_hold_numbers_so_deleting_drafts_leaves_no_gap(engine: AsyncEngine, tenant: Tenant) -> None:
    invoices = Invoices(tenant)
    fields: dict[str, Any] = {"issue_date": "2026-05-01"}
    drafts = [await invoices.make("draft", **fields) for _ in range(5)]
    for draft in drafts:
        assert draft["document_number"] is None
        row = await stored_invoice(engine, tenant.id, draft["id"])
        assert (row["document_number"], row["number_year"], row["number_sequence"]) == (None, None, None)
    updated = await tenant.patch(f"/invoices/{drafts[0]['id']}", json={"notes": "edited"})
    assert updated.json()["data"]["document_number"] is None

    await succeed(tenant, "delete", drafts[1]["id"])
    first = await succeed(tenant, "issue", drafts[0]["id"])
    await succeed(tenant, "delete", drafts[2]["id"])
    second = await succeed(tenant, "send", drafts[3]["id"])  # a sent draft is issued, numbered
    await succeed(tenant, "delete", drafts[4]["id"])
    third = await succeed(tenant, "issue", (await invoices.make("draft", **fields))["id"])
    numbers = [first["document_number"], second["document_number"], third["document_number"]]
    assert [sequence_of(number) for number in numbers] == [1, 2, 3], numbers
    assert all(number.startswith("INV2026") for number in numbers), numbers


# -- archive ----------------------------------------------------------------------------------


async def test_archived_invoices_are_hidden_from_the_default_list_and_shown_when_asked(tenant: Tenant) -> None:
    invoices = Invoices(tenant)
    shown = await invoices.make("issued")
    hidden = await invoices.make("paid", archived=True)
    assert hidden["is_archived"] is True
    assert hidden["archived_at"] is not None
    assert await listed_ids(tenant) == [shown["id"]]
    assert await listed_ids(tenant, archived="false") == [shown["id"]]
    assert await listed_ids(tenant, archived="true") == [hidden["id"]]
    assert await listed_ids(tenant, archived="any") == [hidden["id"], shown["id"]]
    assert (await get_invoice(tenant, hidden["id"]))["is_archived"] is True  # still readable by id

    unarchived = await succeed(tenant, "unarchive", hidden["id"])
    assert (unarchived["is_archived"], unarchived["archived_at"], unarchived["status"]) == (False, None, "paid")
    assert await listed_ids(tenant) == [hidden["id"], shown["id"]]


@pytest.mark.parametrize(("action", "archived"), [("archive", True), ("unarchive", False)])
async def test_archive_and_unarchive_are_idempotent(
    engine: AsyncEngine, tenant: Tenant, action: str, archived: bool
) -> None:
    invoice = await invoice_in(tenant, "issued", archived=archived)
    before = await rows_of(engine, tenant.id)
    for _ in range(2):
        again = await succeed(tenant, action, invoice["id"])
        assert again["is_archived"] is archived
        assert again["version"] == invoice["version"]
        assert again["updated_at"] == invoice["updated_at"]
    assert await rows_of(engine, tenant.id) == before


async def test_archiving_changes_only_the_flag_and_writes_one_event(engine: AsyncEngine, tenant: Tenant) -> None:
    invoice = await invoice_in(tenant, "partially_paid")
    archived = await succeed(tenant, "archive", invoice["id"])
    assert (archived["status"], archived["amount_due"]) == ("partially_paid", "80.00")
    assert archived["version"] == invoice["version"] + 1
    events = await stored_events(engine, tenant.id, invoice["id"])
    assert (events[-1]["type"], events[-1]["from_status"], events[-1]["to_status"]) == (
        "invoice.archived",
        "partially_paid",
        "partially_paid",
    )
    # archived invoices still take part in the lifecycle
    assert (await succeed(tenant, "record_payment", invoice["id"], amount="80.00"))["status"] == "paid"


# -- payments ---------------------------------------------------------------------------------


async def test_a_partial_then_a_full_payment_makes_the_invoice_paid(engine: AsyncEngine, tenant: Tenant) -> None:
    invoice = await invoice_in(tenant, "issued")
    first = await pay(tenant, invoice["id"], "20.00", reference="first")
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["success"] == "true"
    assert body["data"]["message"]
    assert body["data"]["payment"]["amount"] == "20.00"
    assert body["data"]["payment"]["reference"] == "first"
    partly = body["data"]["invoice"]
    assert (partly["status"], partly["amount_paid"], partly["amount_due"]) == ("partially_paid", "20.00", "100.00")
    assert partly["paid_at"] is None

    second = await pay(tenant, invoice["id"], "100.00")
    assert second.status_code == 201, second.text
    done = second.json()["data"]["invoice"]
    assert (done["status"], done["amount_paid"], done["amount_due"]) == ("paid", "120.00", "0.00")
    assert done["paid_at"] is not None
    assert done["available_actions"] == ["send", "archive", "unarchive", "credit"]
    events = await stored_events(engine, tenant.id, invoice["id"])
    assert [(e["type"], e["from_status"], e["to_status"]) for e in events[-2:]] == [
        ("invoice.payment_recorded", "issued", "partially_paid"),
        ("invoice.payment_recorded", "partially_paid", "paid"),
    ]


@pytest.mark.parametrize("amount", ["120.00", "120", 120, "120.0000"])
async def test_the_exact_amount_due_is_accepted(tenant: Tenant, amount: Any) -> None:
    invoice = await invoice_in(tenant, "issued")
    response = await pay(tenant, invoice["id"], amount)
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert (data["invoice"]["status"], data["invoice"]["amount_due"]) == ("paid", "0.00")
    assert data["payment"]["amount"] == "120.00"


@pytest.mark.parametrize(("situation", "amount"), [("issued", "120.01"), ("partially_paid", "80.01")])
async def test_paying_more_than_is_due_is_refused_and_writes_nothing(
    engine: AsyncEngine, tenant: Tenant, situation: str, amount: str
) -> None:
    invoice = await invoice_in(tenant, situation)
    before = await rows_of(engine, tenant.id)
    response = await pay(tenant, invoice["id"], amount)
    assert_unprocessable(response, "amount", "overpayment")
    assert await rows_of(engine, tenant.id) == before


def bad(name: str, body: dict[str, Any], field: str = "amount", code: str | None = None, currency: str = "TRY") -> Any:
    return pytest.param(currency, body, field, code, id=name)


CASH = {"method": "cash"}
TEN = {"amount": "10.00", "method": "cash"}
BAD_PAYMENTS = [
    bad("zero", {"amount": "0", **CASH}, code="invalid_amount"),
    bad("zero-number", {"amount": 0, **CASH}, code="invalid_amount"),
    bad("negative", {"amount": "-5.00", **CASH}, code="invalid_amount"),
    bad("not-a-number", {"amount": "abc", **CASH}),
    bad("empty", {"amount": "", **CASH}),
    bad("null", {"amount": None, **CASH}),
    bad("missing", CASH),
    bad("nan", {"amount": "NaN", **CASH}),
    bad("infinity", {"amount": "Infinity", **CASH}),
    bad("try-3-decimals", {"amount": "10.001", **CASH}, code="invalid_amount"),
    bad("try-3-decimals-number", {"amount": 10.001, **CASH}, code="invalid_amount"),
    bad("jpy-1-decimal", {"amount": "10.5", **CASH}, code="invalid_amount", currency="JPY"),
    bad("unknown-method", {"amount": "10.00", "method": "bitcoin"}, "method"),
    bad("no-method", {"amount": "10.00"}, "method"),
    bad("naive-paid-at", {**TEN, "paid_at": "2026-03-01T10:00:00"}, "paid_at"),
    bad("paid-at-not-a-date", {**TEN, "paid_at": "yesterday"}, "paid_at"),
    # Well-formed ISO datetimes whose UTC moment lies outside what a datetime can hold.
    bad("paid-at-before-year-1-in-utc", {**TEN, "paid_at": "0001-01-01T00:00:00+14:00"}, "paid_at"),
    bad("paid-at-after-year-9999-in-utc", {**TEN, "paid_at": "9999-12-31T23:59:59-14:00"}, "paid_at"),
]


@pytest.mark.parametrize(("currency", "body", "field", "code"), BAD_PAYMENTS)
async def test_an_invalid_payment_is_refused_with_422_and_writes_nothing(
    engine: AsyncEngine, tenant: Tenant, currency: str, body: dict[str, Any], field: str, code: str | None
) -> None:
    lines = [{"name": "Work", "quantity": "1", "unit_price": "1000", "vat_rate_percent": "10"}]
    invoice = await invoice_in(tenant, "issued", currency=currency, lines=lines)
    before = await rows_of(engine, tenant.id)
    response = await tenant.post(f"/invoices/{invoice['id']}/payments", json=body)
    assert_unprocessable(response, field, code)
    assert await rows_of(engine, tenant.id) == before


async def test_a_jpy_invoice_takes_whole_yen(tenant: Tenant) -> None:
    lines = [{"name": "Work", "quantity": "1", "unit_price": "1000", "vat_rate_percent": "10"}]
    invoice = await invoice_in(tenant, "issued", currency="JPY", lines=lines)
    assert invoice["amount_payable"] == "1100"
    response = await pay(tenant, invoice["id"], "100")
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["payment"]["amount"] == "100"
    assert (data["invoice"]["amount_paid"], data["invoice"]["amount_due"]) == ("100", "1000")


async def test_payments_are_listed_oldest_first_with_the_currencys_minor_units(tenant: Tenant) -> None:
    invoice = await invoice_in(tenant, "issued")
    sent = [
        {"amount": "10.5", "method": "card", "reference": "R-1", "paid_at": "2026-03-05T10:00:00+03:00"},
        {"amount": 20, "method": "cheque"},
        {"amount": "0.01", "method": "bank_transfer", "reference": "R-3"},
    ]
    for body in sent:
        response = await tenant.post(f"/invoices/{invoice['id']}/payments", json=body)
        assert response.status_code == 201, response.text
    listed = (await tenant.get(f"/invoices/{invoice['id']}/payments")).json()["data"]
    assert [p["amount"] for p in listed] == ["10.50", "20.00", "0.01"]
    assert [p["method"] for p in listed] == ["card", "cheque", "bank_transfer"]
    assert [p["reference"] for p in listed] == ["R-1", None, "R-3"]
    assert [p["invoice_id"] for p in listed] == [invoice["id"]] * 3
    assert listed[0]["id"] < listed[1]["id"] < listed[2]["id"]
    assert when(listed[0]["paid_at"]) == datetime.fromisoformat("2026-03-05T07:00:00+00:00")
    after = await get_invoice(tenant, invoice["id"])
    assert (after["amount_paid"], after["amount_due"], after["status"]) == ("30.51", "89.49", "partially_paid")


async def test_a_draft_has_no_payments_and_cannot_take_one(tenant: Tenant) -> None:
    invoice = await invoice_in(tenant, "draft")
    assert (await tenant.get(f"/invoices/{invoice['id']}/payments")).json()["data"] == []
    response = await pay(tenant, invoice["id"], "10.00")
    assert response.status_code == 409
    assert (response.json()["code"], response.json()["invoice_status"]) == ("invoice_not_payable", "draft")


# -- send -------------------------------------------------------------------------------------


async def test_sending_stamps_sent_at_and_sending_again_moves_it(engine: AsyncEngine, tenant: Tenant) -> None:
    invoice = await invoice_in(tenant, "issued")
    assert invoice["sent_at"] is None
    first = await succeed(tenant, "send", invoice["id"])
    assert first["status"] == "issued"
    assert first["sent_at"] is not None
    again = await succeed(tenant, "send", invoice["id"])
    assert again["status"] == "issued"
    assert when(again["sent_at"]) > when(first["sent_at"])
    assert again["document_number"] == invoice["document_number"]
    events = await stored_events(engine, tenant.id, invoice["id"])
    assert [(e["type"], e["from_status"], e["to_status"]) for e in events[-2:]] == [
        ("invoice.sent", "issued", "issued"),
        ("invoice.sent", "issued", "issued"),
    ]


async def test_sending_a_draft_issues_it_in_the_same_change_with_one_event(engine: AsyncEngine, tenant: Tenant) -> None:
    invoice = await invoice_in(tenant, "draft", issue_date="2026-03-01")
    sent = await succeed(tenant, "send", invoice["id"])
    assert sent["status"] == "issued"
    assert sent["document_number"] == "INV2026000000001"
    assert sent["sent_at"] is not None
    assert sent["issued_at"] is not None
    assert sent["version"] == invoice["version"] + 1
    events = await stored_events(engine, tenant.id, invoice["id"])
    assert [(e["type"], e["from_status"], e["to_status"], e["sequence"]) for e in events] == [
        ("invoice.created", None, "draft", 1),
        ("invoice.sent", "draft", "issued", 2),
    ]


@pytest.mark.parametrize(("fields", "missing"), [({"lines": []}, "lines"), ({"customer_id": None}, "customer_id")])
async def test_sending_an_incomplete_draft_is_refused_and_writes_nothing(
    engine: AsyncEngine, tenant: Tenant, fields: dict[str, Any], missing: str
) -> None:
    invoice = (
        await tenant.create_draft(**fields) if "customer_id" in fields else await invoice_in(tenant, "draft", **fields)
    )
    before = await rows_of(engine, tenant.id)
    response = await act(tenant, "send", invoice["id"])
    assert_unprocessable(response, missing, "invoice_incomplete")
    assert await rows_of(engine, tenant.id) == before
    # no number was consumed
    assert (await invoice_in(tenant, "issued"))["document_number"].endswith("000000001")


@pytest.mark.parametrize("situation", ["cancelled_from_issued", "void"])
async def test_cancelled_and_void_invoices_cannot_be_sent(engine: AsyncEngine, tenant: Tenant, situation: str) -> None:
    invoice = await invoice_in(tenant, situation)
    before = await rows_of(engine, tenant.id)
    response = await act(tenant, "send", invoice["id"])
    assert response.status_code == 409
    assert response.json()["code"] == "invoice_not_sendable"
    assert await rows_of(engine, tenant.id) == before


# -- the seeds' id quirks ---------------------------------------------------------------------

BAD_BODIES = [
    pytest.param(None, id="no-body"),
    pytest.param({}, id="empty-object"),
    pytest.param({"id": 0}, id="zero"),
    pytest.param({"id": -1}, id="negative"),
    pytest.param({"id": None}, id="null"),
    pytest.param({"id": "x"}, id="not-a-number"),
    pytest.param({"id": 1.5}, id="fraction"),
    pytest.param("other", id="another-invoice"),
]


@pytest.mark.parametrize(("action", "situation"), [("cancel", "issued"), ("revert-cancel", "cancelled_from_issued")])
@pytest.mark.parametrize("body", BAD_BODIES)
async def test_cancel_and_revert_cancel_need_the_path_id_in_the_body(
    engine: AsyncEngine, tenant: Tenant, action: str, situation: str, body: Any
) -> None:
    invoices = Invoices(tenant)
    invoice = await invoices.make(situation)
    if body == "other":  # another invoice of the tenant, which the action could wrongly reach
        body = {"id": (await invoices.make(situation))["id"]}
    before = await rows_of(engine, tenant.id)
    kwargs = {} if body is None else {"json": body}
    response = await tenant.post(f"/invoices/{invoice['id']}/{action}", **kwargs)
    assert_unprocessable(response, "id")
    assert await rows_of(engine, tenant.id) == before


def test_a_json_boolean_is_not_an_invoice_id() -> None:
    # `true` would otherwise pass as 1 and cancel invoice 1; the HTTP body is validated by this model.
    with pytest.raises(ValidationError) as refused:
        InvoiceIdBody.model_validate({"id": True})
    assert refused.value.errors()[0]["loc"] == ("id",)


@pytest.mark.parametrize("query_id", ["0", "-1", "x", "1.5", "", "other"])
async def test_unarchive_refuses_a_query_id_that_is_not_the_path_id(
    engine: AsyncEngine, tenant: Tenant, query_id: str
) -> None:
    invoices = Invoices(tenant)
    invoice = await invoices.make("issued", archived=True)
    if query_id == "other":
        query_id = str((await invoices.make("issued", archived=True))["id"])
    before = await rows_of(engine, tenant.id)
    response = await tenant.request("DELETE", f"/invoices/{invoice['id']}/archive", params={"id": query_id})
    assert_unprocessable(response, "id")
    assert await rows_of(engine, tenant.id) == before


@pytest.mark.parametrize("with_query_id", [False, True])
async def test_unarchive_works_with_or_without_the_query_id(tenant: Tenant, with_query_id: bool) -> None:
    invoice = await invoice_in(tenant, "issued", archived=True)
    params = {"id": invoice["id"]} if with_query_id else {}
    response = await tenant.request("DELETE", f"/invoices/{invoice['id']}/archive", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] == "true"
    assert body["data"]["id"] == invoice["id"]
    assert body["data"]["is_archived"] is False
    assert body["data"]["version"] == invoice["version"] + 1
