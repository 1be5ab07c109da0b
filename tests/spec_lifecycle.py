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
    "credit",
    "refund",
    "void_credit_note",
    "apply_credit",
]
# In the table, but taken inside a credit note's own action (its refund, its void), never called
# on the invoice: `available_actions` does not list them.
INTERNAL_ACTIONS = {"refund", "void_credit_note"}
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
    "invoice_not_creditable",
    "invoice_fully_credited",
    "invoice_has_credit_notes",
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
    "credit": "invoice.credited",
    "refund": "invoice.refunded",
    "void_credit_note": "invoice.credit_voided",
    "apply_credit": "credit.applied",
}
