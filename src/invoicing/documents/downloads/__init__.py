"""Signed, expiring download links to an invoice's PDF (FlowPayroll's `attachments[].downloadUrl`)."""
