"""UN/CEFACT Cross Industry Invoice, Factur-X / ZUGFeRD EN 16931 profile."""

from invoicing.documents.cii.render import render_cii

__all__ = ["render_cii"]
