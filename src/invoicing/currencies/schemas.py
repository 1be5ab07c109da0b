from typing import Annotated

from pydantic import AfterValidator, BaseModel, WithJsonSchema
from pydantic_core import PydanticCustomError

from invoicing.currencies.catalog import all_currencies

UNKNOWN_CURRENCY = "unknown_currency"


def _catalogued(code: str) -> str:
    # Refused with the body's other field errors, before any stored state (or If-Match) is read.
    if code not in all_currencies():
        raise PydanticCustomError(UNKNOWN_CURRENCY, "{code!r} is not an ISO 4217 currency code.", {"code": code})
    return code


CURRENCY_CODE_SCHEMA = {"type": "string", "enum": sorted(all_currencies())}
CurrencyCode = Annotated[str, AfterValidator(_catalogued), WithJsonSchema(CURRENCY_CODE_SCHEMA)]


class CurrencyResource(BaseModel):
    id: int
    name: str
    code: str
    symbol: str
    minor_units: int
    is_active: str
    deleted_at: str | None
    created_at: str
    updated_at: str
    locale: str
    search_vector: str
