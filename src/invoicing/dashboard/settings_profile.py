"""The tenant's profile and logo: the seller on its invoices, as `PATCH /api/v1/tenant` and
`PUT /api/v1/tenant/logo` change them.

The form shows every field, so it sends a whole profile: a field left blank is cleared (null in
the merge patch). The same schema (`TenantProfilePatch`) and the same service check it.
"""

from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile
from starlette.responses import Response

from invoicing.core.errors import Unprocessable
from invoicing.dashboard.context import Page, signed_in
from invoicing.dashboard.forms import validated
from invoicing.dashboard.settings_pages import (
    FormRefused,
    blank_to_none,
    refusing,
    render_settings,
    see_other,
    submitted,
)
from invoicing.parties.codes import ADDRESS_KEYS
from invoicing.tenants import profile
from invoicing.tenants.endpoints import LOGO_HEADERS
from invoicing.tenants.logo import MAX_LOGO_BYTES, MEDIA_TYPES, checked_logo
from invoicing.tenants.representation import tenant_profile_resource
from invoicing.tenants.schemas import MAX_BANK_ACCOUNTS, TenantProfilePatch
from invoicing.users.roles import Permission

router = APIRouter()

TEXT_FIELDS = ("legal_name", "tax_number", "registration_id", "email", "phone", "website", "footer", "locale")
ACCOUNT_FIELDS = ("iban", "bic", "bank_name")
PAPER_SIZES = ("", "A4", "Letter")
# The upload's own body limit (app.py), as the API's logo path has: a logo may be 1 MiB itself.
DASHBOARD_LOGO_PATH = "/app/settings/logo"


def form_values(resource: dict[str, Any]) -> dict[str, str]:
    """The profile (as the API shows it) as the form's fields."""
    values = {name: "" if resource[name] is None else str(resource[name]) for name in TEXT_FIELDS}
    address = resource["postal_address"] or {}
    values |= {f"postal_address.{key}": address.get(key) or "" for key in ADDRESS_KEYS}
    for index, account in enumerate(resource["bank_accounts"] or ()):
        values |= {f"bank_accounts[{index}].{key}": account.get(key) or "" for key in ACCOUNT_FIELDS}
    terms = resource["payment_terms_days"]
    values["payment_terms_days"] = "" if terms is None else str(terms)
    electronic = resource["electronic_address"] or {}
    values["electronic_address.scheme"] = electronic.get("scheme", "")
    values["electronic_address.id"] = electronic.get("id", "")
    values["paper_size"] = resource["paper_size"] or ""
    return values


def profile_patch(page: Page) -> TenantProfilePatch:
    """The whole form as a merge patch: every key present, blank ones null."""
    patch: dict[str, Any] = {name: blank_to_none(page.field(name)) for name in TEXT_FIELDS}
    address = {key: blank_to_none(page.field(f"postal_address.{key}")) for key in ADDRESS_KEYS}
    country = address["country_code"]
    address["country_code"] = country.upper() if country else None
    patch["postal_address"] = address if any(address.values()) else None
    patch["bank_accounts"] = _bank_accounts(page) or None
    terms = page.field("payment_terms_days").strip()
    if terms and not terms.isdigit():
        raise Unprocessable.field("payment_terms_days", "Enter a whole number of days, 0 to 365.")
    patch["payment_terms_days"] = int(terms) if terms else None
    scheme, endpoint = (blank_to_none(page.field(f"electronic_address.{key}")) for key in ("scheme", "id"))
    if (scheme is None) != (endpoint is None):
        missing = "electronic_address.id" if endpoint is None else "electronic_address.scheme"
        raise Unprocessable.field(missing, "An electronic address has both a scheme and an id, or neither.")
    patch["electronic_address"] = {"scheme": scheme, "id": endpoint} if scheme else None
    patch["paper_size"] = blank_to_none(page.field("paper_size"))
    return validated(TenantProfilePatch, patch)


def _bank_accounts(page: Page) -> list[dict[str, str | None]]:
    accounts = []
    for index in range(MAX_BANK_ACCOUNTS):
        account = {key: blank_to_none(page.field(f"bank_accounts[{index}].{key}")) for key in ACCOUNT_FIELDS}
        if account["iban"] is None and any(account.values()):
            raise Unprocessable.field(f"bank_accounts[{index}].iban", "An account needs its IBAN.")
        if account["iban"] is not None:
            accounts.append(account)
    return accounts


def _account_rows(values: dict[str, str]) -> int:
    """The accounts there are and one empty row for another (without JS, a save adds the next)."""
    filled = [
        index
        for index in range(MAX_BANK_ACCOUNTS)
        if any(values.get(f"bank_accounts[{index}].{key}") for key in ACCOUNT_FIELDS)
    ]
    return min(MAX_BANK_ACCOUNTS, (max(filled) + 2) if filled else 1)


async def _profile_page(request: Request, *, refused: FormRefused | None = None) -> Response:
    async with signed_in(request) as page:
        tenant = await profile.get_tenant_row(page.context.connection, page.context.tenant_id)
        logo = await profile.logo_description(page.context.connection, tenant)
        resource = tenant_profile_resource(tenant, logo)
        values = submitted(page) if refused else form_values(resource)
        return render_settings(
            page,
            "settings/profile.html",
            refused=refused,
            profile=resource,
            values=values,
            max_accounts=MAX_BANK_ACCOUNTS,
            account_rows=range(_account_rows(values)),
            paper_sizes=PAPER_SIZES,
            logo_types=", ".join(MEDIA_TYPES),
            max_logo_kib=MAX_LOGO_BYTES // 1024,
            logo_version=tenant["logo_sha256"] or "",
        )


@router.get("/settings/profile")
async def profile_page(request: Request) -> Response:
    return await _profile_page(request)


@router.post("/settings/profile")
async def update_profile(request: Request) -> Response:
    try:
        async with signed_in(request, write=True, permission=Permission.ADMINISTER) as page, refusing():
            patch = profile_patch(page)
            await profile.update_profile(page.context.connection, tenant_id=page.context.tenant_id, patch=patch)
    except FormRefused as refused:
        return await _profile_page(request, refused=refused)
    return see_other(request, "/settings/profile", notice="profile")


@router.get("/settings/logo")
async def logo_image(request: Request) -> Response:
    """The current logo, served as the API serves it (an SVG as an image, never as a document)."""
    async with signed_in(request) as page:
        media_type, data = await profile.current_logo(page.context.connection, tenant_id=page.context.tenant_id)
    return Response(data, media_type=media_type, headers={**LOGO_HEADERS, "Cache-Control": "private, no-cache"})


@router.post("/settings/logo")
async def upload_logo(request: Request) -> Response:
    try:
        async with signed_in(request, write=True, permission=Permission.ADMINISTER) as page, refusing():
            upload = page.form.get("logo") if page.form is not None else None
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise Unprocessable.field("logo", "Choose an image file to upload.")
            # The body was bounded on the way in (app.py), so reading it whole is safe.
            logo = checked_logo(await upload.read(), upload.content_type)
            await profile.put_logo(page.context.connection, tenant_id=page.context.tenant_id, logo=logo)
    except FormRefused as refused:
        if "Content-Type" in refused.errors:  # the browser's type comes from the file's name
            message = "The file's name does not say what its contents are: " + refused.detail
            refused.error.errors = {"logo": [message]}
        return await _profile_page(request, refused=refused)
    return see_other(request, "/settings/profile", notice="logo")


@router.post("/settings/logo/remove")
async def remove_logo(request: Request) -> Response:
    async with signed_in(request, write=True, permission=Permission.ADMINISTER) as page:
        await profile.delete_logo(page.context.connection, tenant_id=page.context.tenant_id)
    return see_other(request, "/settings/profile", notice="logo-removed")
