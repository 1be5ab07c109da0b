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
# The event each successful action writes (the docs name them; SPEC 3 asks for one per change).
EVENT_TYPES = {
    "update": "invoice.updated",
    "issue": "invoice.issued",
    "send": "invoice.sent",
    "record_payment": "invoice.payment_recorded",
    "cancel": "invoice.cancelled",
    "revert_cancel": "invoice.cancel_reverted",
    "void": "invoice.voided",
    "delete": "invoice.deleted",
    "archive": "invoice.archived",
    "unarchive": "invoice.unarchived",
}
