from typing import Any

import orjson

from invoicing.core.render import timestamp
from invoicing.core.repository import Record


def event_resource(row: Record) -> dict[str, Any]:
    return {
        "id": row["id"],
        "public_id": row["public_id"],
        "invoice_id": row["invoice_id"],
        "sequence": row["sequence"],
        "type": row["type"],
        "from_status": row["from_status"],
        "to_status": row["to_status"],
        "actor": row["actor"],
        "request_id": row["request_id"],
        "data": orjson.loads(row["data"]) if row["data"] else None,
        "created_at": timestamp(row["created_at"]),
    }
