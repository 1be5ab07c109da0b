"""UBL-TR 1.2.1: GIB's (Turkish Revenue Administration) e-Fatura / e-Arşiv profile of UBL 2.1."""

from invoicing.documents.ubl_tr.render import render_ubl_tr

__all__ = ["render_ubl_tr"]
