"""SPEC section 3's vocabulary, transcribed once for the lifecycle tests (independent of src)."""

SAME = "same"  # allowed; the status stays as it is
STATES = ["draft", "issued", "partially_paid", "paid", "cancelled", "void"]  # deleted: not found
ACTIONS = [
    "update",
    "issue",
    "send",
    "record_payment",
    "cancel",
    "revert_cancel",
    "void",
    "delete",
    "archive",
    "unarchive",
]
REFUSAL_CODES = {
    "invoice_not_editable",
    "invoice_not_draft",
    "invoice_not_sendable",
    "invoice_not_payable",
    "invoice_not_cancellable",
    "invoice_already_cancelled",
    "invoice_not_cancelled",
    "invoice_is_draft",
    "invoice_has_payments",
    "invoice_already_void",
}
