from typing import Any

from invoicing.core.repository import Record
from invoicing.tenants.profile import profile_of


def tenant_profile_resource(tenant: Record, logo: Record | None) -> dict[str, Any]:
    """`GET /api/v1/tenant`: the profile's keys (as stored in `tenants.profile`) and the logo's facts."""
    described = {"media_type": logo["media_type"], "size": logo["size"], "sha256": logo["sha256"]} if logo else None
    return {**profile_of(tenant), "logo": described}
