"""The event-type catalogue holds every event type the sources write, and nothing else."""

import re
from pathlib import Path

from invoicing.credit_notes.lifecycle import CREDIT_NOTE_LIFECYCLE
from invoicing.documents.hosted.service import VIEWED
from invoicing.invoices.lifecycle import LIFECYCLE
from invoicing.mail.service import EMAIL_DELIVERED, EMAIL_FAILED
from invoicing.webhooks.catalog import EVENT_TYPES

SOURCES = Path(__file__).resolve().parents[2] / "src" / "invoicing"
# A quoted `invoice.x`, `credit_note.x` or `credit.x`: how the sources spell an event type.
EVENT_TYPE_LITERAL = re.compile(r"""["']((?:invoice|credit_note|credit)\.[a-z_]+)["']""")
# Literals of that shape that are no event type: the PDF layout's Typst file name.
NOT_EVENT_TYPES = {"invoice.typ"}


def literals_in_sources() -> set[str]:
    found: set[str] = set()
    for path in SOURCES.rglob("*.py"):
        if path.parent.name == "webhooks" and path.name == "catalog.py":
            continue  # the catalogue itself
        found.update(EVENT_TYPE_LITERAL.findall(path.read_text(encoding="utf-8")))
    return found - NOT_EVENT_TYPES


def test_every_event_type_literal_in_the_sources_is_in_the_catalogue() -> None:
    found = literals_in_sources()
    assert len(found) >= 20, "the scan found too little to mean anything"
    assert found <= set(EVENT_TYPES), f"add to webhooks/catalog.py: {sorted(found - set(EVENT_TYPES))}"


def test_the_catalogue_holds_only_emitted_types_sorted_each_described() -> None:
    declared = {rule.event_type for rule in LIFECYCLE.values()} | {
        rule.event_type for rule in CREDIT_NOTE_LIFECYCLE.values()
    }
    assert set(EVENT_TYPES) == declared | literals_in_sources() | {VIEWED, EMAIL_DELIVERED, EMAIL_FAILED}
    assert list(EVENT_TYPES) == sorted(EVENT_TYPES)
    for event_type, description in EVENT_TYPES.items():
        assert description.endswith("."), event_type
        assert "\n" not in description
        assert len(description) <= 120, event_type
