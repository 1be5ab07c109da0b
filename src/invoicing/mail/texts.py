"""The words of the invoice e-mail, in every language the documents print.

Kept beside the documents' own table (documents.texts): the same language choice (`language`),
the same English fallback, so an e-mail always reads like the PDF it carries.
"""

from collections.abc import Mapping
from types import MappingProxyType

from invoicing.documents.texts import DEFAULT_LANGUAGE, language

_EN = {
    "subject": "Invoice {number} from {seller}",
    "greeting": "Hello {buyer},",
    "intro": "please find attached invoice {number} from {seller}.",
    "amount_due": "Amount due: {amount}",
    "due_date": "Due date: {date}",
    "view_online": "View it online: {url}",
    "closing": "Kind regards,\n{seller}",
}
_DE = {
    "subject": "Rechnung {number} von {seller}",
    "greeting": "Guten Tag {buyer},",
    "intro": "anbei erhalten Sie die Rechnung {number} von {seller}.",
    "amount_due": "Offener Betrag: {amount}",
    "due_date": "Fällig am: {date}",
    "view_online": "Online ansehen: {url}",
    "closing": "Mit freundlichen Grüßen\n{seller}",
}
_FR = {
    "subject": "Facture {number} de {seller}",
    "greeting": "Bonjour {buyer},",
    "intro": "veuillez trouver ci-joint la facture {number} de {seller}.",
    "amount_due": "Montant dû : {amount}",
    "due_date": "Date d’échéance : {date}",
    "view_online": "La consulter en ligne : {url}",
    "closing": "Cordialement,\n{seller}",
}
_TR = {
    "subject": "{seller} firmasından {number} numaralı fatura",
    "greeting": "Sayın {buyer},",
    "intro": "{seller} tarafından düzenlenen {number} numaralı fatura ektedir.",
    "amount_due": "Ödenecek tutar: {amount}",
    "due_date": "Son ödeme tarihi: {date}",
    "view_online": "Çevrimiçi görüntüleyin: {url}",
    "closing": "Saygılarımızla,\n{seller}",
}

MAIL_TEXTS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {"en": MappingProxyType(_EN), "de": MappingProxyType(_DE), "fr": MappingProxyType(_FR), "tr": MappingProxyType(_TR)}
)


def mail_text(locale: str | None, key: str) -> str:
    """The e-mail's text `key` in `locale`'s language, English when it has none."""
    return MAIL_TEXTS.get(language(locale), MAIL_TEXTS[DEFAULT_LANGUAGE])[key]
