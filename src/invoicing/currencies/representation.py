from typing import Any

from invoicing.currencies.catalog import Currency, data_published_at

_PUBLISHED = data_published_at().isoformat().replace("+00:00", "Z")


def currency_resource(currency: Currency) -> dict[str, Any]:
    """Seed 000's `currency` object, plus `minor_units`."""
    return {
        "id": currency.id,
        "name": currency.name,
        "code": currency.code,
        "symbol": currency.symbol,
        "minor_units": currency.minor_units,
        "is_active": "true",  # a string in the seed
        "deleted_at": None,
        "created_at": _PUBLISHED,  # the ISO 4217 table's publication date
        "updated_at": _PUBLISHED,
        "locale": currency.locale,
        "search_vector": f"{currency.code} {currency.name}".lower(),
    }
