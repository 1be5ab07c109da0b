from typing import Any

from invoicing.core.render import day, timestamp
from invoicing.core.repository import Record


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
    }


def display_name(row: Record) -> str:
    """How an invoice names its receiver: the company, else the person."""
    if row["company_name"]:
        return str(row["company_name"])
    return " ".join(part for part in (row["first_name"], row["last_name"]) if part)
