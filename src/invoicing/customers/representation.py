import json
from typing import Any

from invoicing.core.render import day, timestamp
from invoicing.core.repository import Record
from invoicing.parties.codes import ADDRESS_KEYS


def customer_resource(row: Record) -> dict[str, Any]:
    return {
        "id": row["id"],
        "public_id": row["public_id"],
        "tenant_id": row["tenant_id"],
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "company_name": row["company_name"],
        "phone_number": row["phone_number"],
        "email": row["email"],
        "tax_number": row["tax_number"],
        "date_of_birth": day(row["date_of_birth"]),
        "country_id": row["country_id"],
        "identity_number": row["identity_number"],
        "job": row["job"],
        "address": row["address"],
        "deleted_at": timestamp(row["deleted_at"]),
        "created_at": timestamp(row["created_at"]),
        "updated_at": timestamp(row["updated_at"]),
        "avatar_url": row["avatar_url"],
        "avatar_updated_at": timestamp(row["avatar_updated_at"]),
        "user_id": row["user_id"],
        "city_id": row["city_id"],
        "district_id": row["district_id"],
        "import_source_id": row["import_source_id"],
        "passport_number": row["passport_number"],
        "search_vector": row["search_text"],
        "is_intake_completed": row["is_intake_completed"],
        "default_channel_id": row["default_channel_id"],
        **customer_details(row),
        "locale": row["locale"],
    }


def customer_details(row: Record) -> dict[str, Any]:
    """The structured details stored as JSON text: `postal_address` and `electronic_address`."""
    electronic = json.loads(row["electronic_address"]) if row["electronic_address"] else None
    return {"postal_address": _address(row["postal_address"]), "electronic_address": electronic}


def _address(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    stored = json.loads(text)
    return {key: stored.get(key) for key in ADDRESS_KEYS}


def display_name(row: Record) -> str:
    """How an invoice names its receiver: the company, else the person."""
    if row["company_name"]:
        return str(row["company_name"])
    return " ".join(part for part in (row["first_name"], row["last_name"]) if part)
