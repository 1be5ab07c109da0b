"""The tenant's profile and logo: the seller's details on its invoices.

The profile is one JSON document (`tenants.profile`), keyed as `GET /api/v1/tenant` shows it;
`tax_number` is also the tenant's own column, which drafts copy as `sender_tax_number`.
"""

import hashlib
import json
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.core.clock import utc_now
from invoicing.core.errors import NotFound
from invoicing.core.repository import Record
from invoicing.parties.codes import ADDRESS_KEYS
from invoicing.parties.validation import checked_party
from invoicing.tenants.logo import LogoImage
from invoicing.tenants.repository import TenantLogoRepository, TenantRepository
from invoicing.tenants.schemas import TenantProfilePatch

PROFILE_KEYS = (
    "legal_name",
    "postal_address",
    "tax_number",
    "registration_id",
    "email",
    "phone",
    "website",
    "bank_accounts",
    "payment_terms_days",
    "footer",
    "locale",
    "electronic_address",
    "paper_size",
)


class TenantNotFound(NotFound):
    code = "tenant_not_found"


class LogoNotFound(NotFound):
    code = "logo_not_found"


def profile_of(tenant: Record) -> dict[str, Any]:
    """Every profile key (null when never set) of a tenant row."""
    stored = json.loads(tenant["profile"]) if tenant["profile"] else {}
    profile = {key: stored.get(key) for key in PROFILE_KEYS}
    if "tax_number" not in stored:  # a tenant created with `--tax-number`, never patched since
        profile["tax_number"] = tenant["tax_number"]
    return profile


def merged(profile: Record, patch: Record) -> dict[str, Any]:
    """RFC 7396 onto the profile: `postal_address` field by field, every other key whole."""
    result = dict(profile)
    for key, value in patch.items():
        if key == "postal_address" and value is not None:
            address = {**dict.fromkeys(ADDRESS_KEYS), **(profile.get("postal_address") or {}), **value}
            result[key] = address if any(item is not None for item in address.values()) else None
        else:
            result[key] = value
    return result


async def get_tenant_row(connection: AsyncConnection, tenant_id: int) -> RowMapping:
    tenant = await TenantRepository(connection).get(tenant_id)
    if tenant is None:  # a token outlived its tenant
        raise TenantNotFound("Tenant not found.")
    return tenant


async def update_profile(connection: AsyncConnection, *, tenant_id: int, patch: TenantProfilePatch) -> RowMapping:
    """Applies the merge patch. Raises Unprocessable (`invalid_party_details`) naming the bad
    fields, and then stores nothing. Pre: the tenant exists."""
    tenant = await get_tenant_row(connection, tenant_id)
    changes = patch.model_dump(exclude_unset=True)
    if changes.get("postal_address") is not None:
        changes["postal_address"] = patch.postal_address.model_dump(exclude_unset=True) if patch.postal_address else {}
    profile = checked_party(merged(profile_of(tenant), changes))
    updated = await TenantRepository(connection).update(
        tenant_id, profile=json.dumps(profile), tax_number=profile["tax_number"], updated_at=utc_now()
    )
    if updated is None:
        raise TenantNotFound("Tenant not found.")
    return updated


async def logo_description(connection: AsyncConnection, tenant: Record) -> RowMapping | None:
    """The current logo's sha256, media_type and size, or None."""
    if not tenant["logo_sha256"]:
        return None
    return await TenantLogoRepository(connection, tenant["id"]).describe(tenant["logo_sha256"])


async def put_logo(connection: AsyncConnection, *, tenant_id: int, logo: LogoImage) -> RowMapping:
    """Makes `logo` (already checked: tenants.logo.checked_logo) the tenant's logo."""
    tenant = await get_tenant_row(connection, tenant_id)
    digest = hashlib.sha256(logo.data).hexdigest()
    logos = TenantLogoRepository(connection, tenant_id)
    now = utc_now()
    await logos.keep(sha256=digest, media_type=logo.media_type, data=logo.data, created_at=now)
    updated = await TenantRepository(connection).update(tenant_id, logo_sha256=digest, updated_at=now)
    if tenant["logo_sha256"] and tenant["logo_sha256"] != digest:
        await logos.discard_unless_frozen(tenant["logo_sha256"])
    assert updated is not None, "the tenant was read in this transaction"
    return updated


async def delete_logo(connection: AsyncConnection, *, tenant_id: int) -> RowMapping:
    """The tenant has no logo any more; issued invoices keep theirs. Idempotent."""
    tenant = await get_tenant_row(connection, tenant_id)
    if not tenant["logo_sha256"]:
        return tenant
    updated = await TenantRepository(connection).update(tenant_id, logo_sha256=None, updated_at=utc_now())
    await TenantLogoRepository(connection, tenant_id).discard_unless_frozen(tenant["logo_sha256"])
    assert updated is not None, "the tenant was read in this transaction"
    return updated


async def current_logo(connection: AsyncConnection, *, tenant_id: int) -> tuple[str, bytes]:
    """(media_type, bytes) of the tenant's logo. Raises LogoNotFound without one."""
    tenant = await get_tenant_row(connection, tenant_id)
    found = await logo(connection, tenant_id=tenant_id, sha256=tenant["logo_sha256"]) if tenant["logo_sha256"] else None
    if found is None:
        raise LogoNotFound("The tenant has no logo.")
    return found


async def logo(connection: AsyncConnection, *, tenant_id: int, sha256: str) -> tuple[str, bytes] | None:
    """A logo of the tenant by its digest (an invoice's frozen `seller.logo_sha256`)."""
    return await TenantLogoRepository(connection, tenant_id).logo(sha256)


def seller_snapshot(tenant: Record) -> dict[str, Any]:
    """What an invoice freezes about its seller at issue: the profile as it is, `legal_name`
    falling back to the tenant's name, and the digest of the current logo (or null)."""
    profile = profile_of(tenant)
    return {**profile, "legal_name": profile["legal_name"] or tenant["name"], "logo_sha256": tenant["logo_sha256"]}
