"""Roles as data: what each may do. The dashboard asks `may(role, permission)`, nothing else."""

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    ACCOUNTANT = "accountant"
    VIEWER = "viewer"


class Permission(StrEnum):
    READ = "read"  # every screen, the PDF, the CSV export
    BILL = "bill"  # customers, drafts, issuing, payments, credit notes, every invoice action
    ADMINISTER = "administer"  # the tenant's profile, series, API tokens, webhooks, users


PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.ACCOUNTANT: frozenset({Permission.READ, Permission.BILL}),
    Role.VIEWER: frozenset({Permission.READ}),
}


def may(role: str, permission: Permission) -> bool:
    """Whether `role` holds `permission`; an unknown role holds nothing."""
    try:
        return permission in PERMISSIONS[Role(role)]
    except ValueError:
        return False
