"""What a request may send of a party's details. Shapes and code lists only: the checks no
JSON Schema can state (check digits, a subdivision of the right country, a known locale) are
`parties.validation`'s, so the published schema accepts exactly what it says."""

from typing import Annotated

from pydantic import AfterValidator, BaseModel, StringConstraints

from invoicing.core.schemas import Input
from invoicing.core.wire_types import CodeOf, VisibleName
from invoicing.parties.codes import COUNTRY_CODES, EAS_CODES


def _without_final_newline(value: str) -> str:
    # JSON Schema tools' `$` admits one final newline, which no code or identifier holds.
    return value.removesuffix("\n")


Trimmed = AfterValidator(_without_final_newline)
AddressLine = Annotated[str, StringConstraints(max_length=200)]
CountryCode = Annotated[str, CodeOf(COUNTRY_CODES, "an ISO 3166-1 alpha-2 country code, such as DE or TR")]
EasCode = Annotated[str, CodeOf(EAS_CODES, "an EAS code (Electronic Address Scheme), such as 9930 or 0088")]
TaxNumber = Annotated[str, StringConstraints(max_length=32)]
Iban = Annotated[str, StringConstraints(max_length=42, pattern=r"^[A-Za-z]{2}[0-9]{2}[A-Za-z0-9 ]{1,38}$"), Trimmed]
Bic = Annotated[str, StringConstraints(max_length=11, pattern=r"^[A-Za-z]{6}[A-Za-z0-9]{2}([A-Za-z0-9]{3})?$"), Trimmed]
LocaleTag = Annotated[
    str, StringConstraints(max_length=35, pattern=r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8}){0,3}$"), Trimmed
]
EndpointId = Annotated[str, StringConstraints(max_length=100, pattern=r"^[\x21-\x7E]{1,100}$"), Trimmed]


class PostalAddressIn(Input):
    line1: AddressLine | None = None
    line2: AddressLine | None = None
    city: AddressLine | None = None
    postal_code: Annotated[str, StringConstraints(max_length=20)] | None = None
    subdivision: Annotated[str, StringConstraints(max_length=100)] | None = None
    country_code: CountryCode | None = None


class ElectronicAddressIn(Input):
    """Where e-invoices reach the party (Peppol): an EAS scheme and the id within it."""

    scheme: EasCode
    id: EndpointId


class BankAccountIn(Input):
    iban: Iban
    bic: Bic | None = None
    bank_name: Annotated[str, VisibleName(200)] | None = None


class PostalAddressResource(BaseModel):
    line1: str | None
    line2: str | None
    city: str | None
    postal_code: str | None
    subdivision: str | None
    country_code: str | None


class ElectronicAddressResource(BaseModel):
    scheme: str
    id: str


class BankAccountResource(BaseModel):
    iban: str
    bic: str | None
    bank_name: str | None
