"""Drafts, issuing and reads over HTTP, on both databases."""

from tests.conftest import Tenant


async def test_a_new_draft_has_exact_totals_and_no_number(tenant: Tenant) -> None:
    draft = await tenant.create_draft(
        lines=[
            {"name": "A", "quantity": "1", "unit_price": "25.06", "vat_rate_percent": "15"},
            {"name": "B", "quantity": 1, "unit_price": 25.61, "vat_rate_percent": 15},
            {"name": "C", "quantity": "1", "unit_price": "25.63", "vat_rate_percent": 15},
        ]
    )
    assert draft["status"] == "draft"
    assert draft["is_draft"] is True
    assert draft["document_number"] is None
    assert draft["amount_tax_exclusive"] == "76.30"
    assert draft["amount_tax_total"] == "11.44"
    assert draft["amount_payable"] == "87.74"
    assert draft["amount_paid"] == "0.00"
    assert draft["available_actions"] == ["update", "issue", "send", "delete", "archive", "unarchive"]


async def test_issuing_assigns_the_first_number_of_the_series_and_year(tenant: Tenant) -> None:
    draft = await tenant.create_draft(issue_date="2026-03-01")
    issued = await tenant.issue(draft["id"])
    assert issued["status"] == "issued"
    assert issued["document_number"] == "INV2026000000001"
    assert issued["issued_at"] is not None
    second = await tenant.issue((await tenant.create_draft(issue_date="2026-04-01"))["id"])
    assert second["document_number"] == "INV2026000000002"


async def test_issuing_twice_is_refused_with_the_lifecycle_code(tenant: Tenant) -> None:
    draft = await tenant.create_draft()
    await tenant.issue(draft["id"])
    response = await tenant.post(f"/invoices/{draft['id']}/issue")
    assert response.status_code == 409
    body = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert body["code"] == "invoice_not_draft"
    assert body["invoice_status"] == "issued"


async def test_a_draft_without_lines_cannot_be_issued(tenant: Tenant) -> None:
    draft = await tenant.create_draft(lines=[])
    response = await tenant.post(f"/invoices/{draft['id']}/issue")
    assert response.status_code == 422
    assert response.json()["code"] == "invoice_incomplete"
    assert "lines" in response.json()["errors"]


async def test_editing_a_draft_recomputes_totals_and_writes_an_event(tenant: Tenant) -> None:
    draft = await tenant.create_draft()
    response = await tenant.patch(
        f"/invoices/{draft['id']}",
        json={
            "notes": "Revised",
            "lines": [{"name": "X", "quantity": "3", "unit_price": "10", "vat_rate_percent": "10"}],
        },
    )
    assert response.status_code == 200, response.text
    updated = response.json()["data"]
    assert updated["amount_payable"] == "33.00"
    assert updated["notes"] == "Revised"
    assert updated["version"] == 2
    events = (await tenant.get(f"/invoices/{draft['id']}/events")).json()["data"]
    assert [event["type"] for event in events] == ["invoice.created", "invoice.updated"]
    assert [event["sequence"] for event in events] == [1, 2]


async def test_an_issued_invoice_cannot_be_edited(tenant: Tenant) -> None:
    draft = await tenant.create_draft()
    await tenant.issue(draft["id"])
    response = await tenant.patch(f"/invoices/{draft['id']}", json={"notes": "late"})
    assert response.status_code == 409
    assert response.json()["code"] == "invoice_not_editable"


async def test_the_list_pages_with_a_cursor_newest_first(tenant: Tenant) -> None:
    ids = [(await tenant.create_draft())["id"] for _ in range(5)]
    first = (await tenant.get("/invoices", params={"limit": 2})).json()
    assert [item["id"] for item in first["data"]] == ids[::-1][:2]
    assert first["meta"]["has_more"] is True
    rest = (await tenant.get("/invoices", params={"limit": 10, "cursor": first["meta"]["next_cursor"]})).json()
    assert [item["id"] for item in rest["data"]] == ids[::-1][2:]
    assert rest["meta"] == {"limit": 10, "next_cursor": None, "has_more": False}


async def test_the_list_filters_by_status_and_text(tenant: Tenant) -> None:
    draft = await tenant.create_draft(notes="blue widgets")
    issued = await tenant.issue((await tenant.create_draft(notes="red widgets"))["id"])
    only_issued = (await tenant.get("/invoices", params={"status": "issued"})).json()["data"]
    assert [item["id"] for item in only_issued] == [issued["id"]]
    blue = (await tenant.get("/invoices", params={"q": "BLUE"})).json()["data"]
    assert [item["id"] for item in blue] == [draft["id"]]


async def test_a_json_number_with_more_digits_than_a_float_holds_arrives_exactly(tenant: Tenant) -> None:
    # As a binary float, 999999999999.9997 would become 999999999999.9998.
    raw = '{"lines": [{"name": "X", "quantity": 1, "unit_price": 999999999999.9997, "vat_rate_percent": 0}]}'
    response = await tenant.post("/invoices", content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 201, response.text
    assert response.json()["data"]["lines"][0]["unit_price"] == "999999999999.9997"


async def test_changing_the_document_class_of_a_draft_takes_that_class_default_profile(tenant: Tenant) -> None:
    draft = await tenant.create_draft()
    assert (draft["document_class"], draft["profile_id"]) == ("e_archive", "EARSIVFATURA")
    response = await tenant.patch(f"/invoices/{draft['id']}", json={"document_class": "e_invoice"})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["profile_id"] == "TEMELFATURA"
    explicit = await tenant.patch(
        f"/invoices/{draft['id']}", json={"document_class": "e_invoice", "profile_id": "TICARIFATURA"}
    )
    assert explicit.json()["data"]["profile_id"] == "TICARIFATURA"


async def test_a_cursor_past_the_largest_id_is_an_empty_page_not_an_error(tenant: Tenant) -> None:

    cursor = str(2**64)
    for path in ("/invoices", "/customers"):
        response = await tenant.get(path, params={"cursor": cursor})
        assert response.status_code == 200, response.text
        assert response.json()["data"] == []
