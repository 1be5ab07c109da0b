"""The documents' refusals, with stable codes (core.errors)."""

from invoicing.core.errors import Conflict


class InvoiceNotIssued(Conflict):
    """A draft has no number: no e-invoice, no hosted page, nothing printed to record."""

    code = "invoice_not_issued"

    def __init__(self, status: str) -> None:
        super().__init__("The invoice is a draft: issue it first.", extra={"invoice_status": status})


class CreditNoteNotIssued(Conflict):
    """A draft credit note has no number, so no e-invoice form."""

    code = "credit_note_not_issued"

    def __init__(self, status: str) -> None:
        super().__init__("The credit note is a draft: issue it first.", extra={"credit_note_status": status})
