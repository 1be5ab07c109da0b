"""The documents' refusals, with stable codes (core.errors)."""

from invoicing.core.errors import Conflict


class InvoiceNotIssued(Conflict):
    """A draft has no number: no e-invoice, no hosted page, nothing printed to record."""

    code = "invoice_not_issued"

    def __init__(self, status: str) -> None:
        super().__init__("The invoice is a draft: issue it first.", extra={"invoice_status": status})
