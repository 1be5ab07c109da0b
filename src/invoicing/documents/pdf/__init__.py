"""The invoice as PDF (Typst), PDF/A-3b, with the Factur-X CII embedded for issued invoices."""

from invoicing.documents.pdf.render import render_pdf

__all__ = ["render_pdf"]
