"""UBL 2.1 Invoice: EN 16931 (Peppol BIS Billing 3.0 when both parties have an electronic address) or UBL-TR."""

from invoicing.documents.ubl.render import render_ubl

__all__ = ["render_ubl"]
