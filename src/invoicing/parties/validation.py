"""The checks of a party's details that no JSON Schema can state: check digits (VAT and tax
numbers, IBAN, BIC), a subdivision of the party's own country, a locale CLDR knows.

`checked_party` takes the details as they will be stored (after a merge patch, say) and
answers them normalized, or raises one Unprocessable naming every bad field.
"""

import re
from collections.abc import Mapping
from typing import Any

from babel import Locale, UnknownLocaleError
from stdnum import bic, get_cc_module, iban
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError
from stdnum.tr import tckimlik, vkn

from invoicing.core.errors import Unprocessable
from invoicing.parties.codes import is_subdivision_of

INVALID = "invalid_party_details"
# EU VAT ids start with the member state's prefix, which is its ISO code but for Greece (EL)
# and Northern Ireland (XI, under the GB country code).
_VAT_PREFIX = {"GR": "EL"}
_ISO_SUBDIVISION = re.compile(r"^[A-Z]{2}-[A-Z0-9]{1,3}$")
# Countries without a checksum in python-stdnum: letters, digits and the usual separators.
_TAX_NUMBER_TEXT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./-]{1,31}$")


def checked_party(values: Mapping[str, Any], *, prefix: str = "") -> dict[str, Any]:
    """`values` with tax number, IBANs and BICs in their compact form and the locale as babel
    names it. Raises Unprocessable (`invalid_party_details`), `errors` keyed by field path
    (`prefix` first), when any of them is wrong."""
    checked = dict(values)
    errors: dict[str, list[str]] = {}
    address = values.get("postal_address") or {}
    country = address.get("country_code")
    subdivision = address.get("subdivision")
    if subdivision and _ISO_SUBDIVISION.search(subdivision) and not is_subdivision_of(subdivision, country):
        where = f" of {country}" if country else ""
        errors[f"{prefix}postal_address.subdivision"] = [f"{subdivision!r} is no ISO 3166-2 subdivision{where}."]
    if values.get("tax_number"):
        try:
            checked["tax_number"] = tax_number(values["tax_number"], country)
        except ValueError as error:
            errors[f"{prefix}tax_number"] = [str(error)]
    if values.get("locale") is not None:
        try:
            checked["locale"] = locale_id(values["locale"])
        except ValueError as error:
            errors[f"{prefix}locale"] = [str(error)]
    accounts = []
    for index, account in enumerate(values.get("bank_accounts") or ()):
        accounts.append(_checked_account(account, f"{prefix}bank_accounts[{index}]", errors))
    if "bank_accounts" in values:
        checked["bank_accounts"] = accounts if values["bank_accounts"] is not None else None
    if errors:
        raise Unprocessable("Some of the party's details are invalid.", code=INVALID, errors=errors)
    return checked


def _checked_account(account: Mapping[str, Any], path: str, errors: dict[str, list[str]]) -> dict[str, Any]:
    checked = {"iban": account["iban"], "bic": account.get("bic"), "bank_name": account.get("bank_name")}
    try:
        checked["iban"] = iban.validate(account["iban"])
    except ValidationError as error:
        errors[f"{path}.iban"] = [f"{account['iban']!r} is not a valid IBAN: {_reason(error)}."]
    if account.get("bic"):
        try:
            checked["bic"] = bic.validate(account["bic"])
        except ValidationError as error:
            errors[f"{path}.bic"] = [f"{account['bic']!r} is not a valid BIC: {_reason(error)}."]
    return checked


def tax_number(number: str, country: str | None) -> str:
    """The number in its compact form, checked as the party's country defines it.

    With no country it stays free text, as the seed's `tax_number` always was. EU VAT ids keep
    (or get) their country prefix, which an EU e-invoice requires (BT-31, BT-48); Turkish
    numbers are a VKN (10 digits) or a TCKN (11). Raises ValueError saying why not.
    """
    text = number.strip()
    if country is None:
        return text
    try:
        if country.lower() in eu_vat.MEMBER_STATES:
            return _eu_vat(text, country)
        if country == "TR":
            return str((vkn if len(re.sub(r"\D", "", text)) == 10 else tckimlik).validate(text))
        module = get_cc_module(country.lower(), "vat")
        if module is not None:
            return str(module.validate(text))
    except ValidationError as error:
        raise ValueError(f"{number!r} is not a valid tax number for {country}: {_reason(error)}.") from None
    if not _TAX_NUMBER_TEXT.search(text):
        raise ValueError(f"{number!r} is not a tax number: letters, digits, spaces and . / - only, 2 to 32.")
    return text


def _eu_vat(text: str, country: str) -> str:
    prefix = _VAT_PREFIX.get(country, country)
    if not text[:2].isalpha():
        text = prefix + text
    elif text[:2].upper() != prefix:
        raise ValidationError(f"a VAT id of {country} starts with {prefix}")
    return str(eu_vat.validate(text))


def locale_id(tag: str) -> str:
    """`de`, `de-DE` or `de_DE` -> babel's id (`de_DE`). Raises ValueError for a locale CLDR lacks."""
    try:
        return str(Locale.parse(tag.replace("-", "_")))
    except (UnknownLocaleError, ValueError):
        raise ValueError(f"{tag!r} is not a locale this service knows (CLDR), such as en, de, fr or tr.") from None


def _reason(error: Exception) -> str:
    return str(error).rstrip(".").lower()
