"""What an invoice freezes about its parties at issue (`invoices.seller`, `buyer`, `locale`),
so its documents never change when the tenant's profile or the customer changes later.

Keys as the shared contract of issue 11 fixes them: the seller is the tenant's profile as
`GET /api/v1/tenant` shows it plus `logo_sha256`; the buyer is `legal_name`,
`postal_address`, `tax_number`, `registration_id`, `email`, `phone`, `electronic_address`.
"""

import json
from typing import Any

from invoicing.core.repository import Record
from invoicing.customers.representation import customer_details, display_name
from invoicing.tenants.profile import profile_of, seller_snapshot

DEFAULT_LOCALE = "en"


def buyer_snapshot(customer: Record | None, receiver: Record) -> dict[str, Any]:
    """The customer's details; with no customer, the invoice's own receiver fields."""
    if customer is None:
        return {
            "legal_name": receiver["receiver_name"],
            "postal_address": None,
            "tax_number": receiver["receiver_tax_number"],
            "registration_id": None,
            "email": receiver["receiver_email"],
            "phone": None,
            "electronic_address": None,
        }
    details = customer_details(customer)
    return {
        "legal_name": display_name(customer),
        "postal_address": details["postal_address"],
        "tax_number": customer["tax_number"] or customer["identity_number"],
        "registration_id": None,  # customers have no registration id of their own (yet)
        "email": customer["email"],
        "phone": customer["phone_number"],
        "electronic_address": details["electronic_address"],
    }


def document_locale(tenant: Record, customer: Record | None) -> str:
    """The customer's locale, else the tenant's, else English."""
    if customer is not None and customer["locale"]:
        return str(customer["locale"])
    return str(profile_of(tenant)["locale"] or DEFAULT_LOCALE)


def frozen_parties(tenant: Record, customer: Record | None, receiver: Record) -> dict[str, Any]:
    """The columns issuing writes: `seller` and `buyer` (JSON text) and `locale`."""
    return {
        "seller": json.dumps(seller_snapshot(tenant)),
        "buyer": json.dumps(buyer_snapshot(customer, receiver)),
        "locale": document_locale(tenant, customer),
    }
