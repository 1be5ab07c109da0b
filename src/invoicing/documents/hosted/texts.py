"""The hosted page's own words: its download buttons, which no printed document shows.

Every other label comes from `documents.texts`, as the PDF's do; these two follow its fallback
(a language without them reads English).
"""

from collections.abc import Mapping

from invoicing.documents.texts import DEFAULT_LANGUAGE, language

DOWNLOADS: Mapping[str, Mapping[str, str]] = {
    "en": {"pdf": "Download PDF", "ubl": "Download e-invoice (UBL)"},
    "de": {"pdf": "PDF herunterladen", "ubl": "E-Rechnung (UBL) herunterladen"},
    "fr": {"pdf": "Télécharger le PDF", "ubl": "Télécharger la facture électronique (UBL)"},
    "tr": {"pdf": "PDF indir", "ubl": "E-fatura (UBL) indir"},
}


def download_labels(locale: str) -> Mapping[str, str]:
    return DOWNLOADS.get(language(locale), DOWNLOADS[DEFAULT_LANGUAGE])
