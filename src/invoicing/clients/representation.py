from typing import Any

from invoicing.core.render import timestamp
from invoicing.core.repository import Record


def client_resource(row: Record) -> dict[str, Any]:
    """A client as the API and `invoicing client list --json` show it: never its secret or hash."""
    return {
        "id": row["id"],
        "public_id": row["public_id"],
        "tenant_id": row["tenant_id"],
        "client_id": row["client_id"],
        "name": row["name"],
        "scopes": row["scopes"].split(),
        "status": "revoked" if row["revoked_at"] is not None else "active",
        "created_at": timestamp(row["created_at"]),
        "revoked_at": timestamp(row["revoked_at"]),
    }


def client_with_secret(row: Record, client_secret: str) -> dict[str, Any]:
    return {**client_resource(row), "client_secret": client_secret}
