"""The tenant's people: the list, a new account, a change of role, disabling one.

Owner-only, even to read. The service keeps at least one enabled owner: demoting or disabling
the last one is refused (409), and the page says so in the service's words.
"""

from fastapi import APIRouter, Request
from starlette.responses import Response

from invoicing.core.errors import Conflict, NotFound
from invoicing.dashboard.context import signed_in
from invoicing.dashboard.settings_pages import FormRefused, refusing, render_settings, see_other, submitted
from invoicing.users import service
from invoicing.users.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from invoicing.users.roles import Permission, Role

router = APIRouter()

ROLE_LABELS = {Role.VIEWER.value: "Viewer", Role.ACCOUNTANT.value: "Accountant", Role.OWNER.value: "Owner"}
ROLE_CHOICES = tuple(ROLE_LABELS.items())


async def _users_page(
    request: Request, *, refused: FormRefused | None = None, refused_user: int | None = None
) -> Response:
    async with signed_in(request, permission=Permission.ADMINISTER) as page:
        people = await service.list_users(page.context.connection, tenant_id=page.context.tenant_id)
        creating = refused is not None and refused_user is None
        return render_settings(
            page,
            "settings/users.html",
            refused=refused,
            people=people,
            refused_user=refused_user,
            values=submitted(page) if creating else {"role": Role.VIEWER.value},
            role_choices=ROLE_CHOICES,
            role_labels=ROLE_LABELS,
            min_password=MIN_PASSWORD_LENGTH,
            max_password=MAX_PASSWORD_LENGTH,
        )


@router.get("/settings/users")
async def users_page(request: Request) -> Response:
    return await _users_page(request)


@router.post("/settings/users")
async def create_user(request: Request) -> Response:
    try:
        async with signed_in(request, write=True, permission=Permission.ADMINISTER) as page, refusing(Conflict):
            await service.create_user(
                page.context.connection,
                tenant_id=page.context.tenant_id,
                email=page.field("email"),
                name=page.field("name"),
                password=page.field("password"),
                role=page.field("role"),
            )
    except FormRefused as refused:
        if refused.status == 409:  # the e-mail is taken: its field says so
            refused.error.errors = {"email": [refused.detail]}
        return await _users_page(request, refused=refused)
    return see_other(request, "/settings/users", notice="user-created")


@router.post("/settings/users/{user_id}/role")
async def change_role(request: Request, user_id: int) -> Response:
    try:
        async with signed_in(request, write=True, permission=Permission.ADMINISTER) as page, refusing(Conflict):
            await service.change_role(
                page.context.connection, tenant_id=page.context.tenant_id, user_id=user_id, role=page.field("role")
            )
    except FormRefused as refused:
        return await _users_page(request, refused=refused, refused_user=user_id)
    return see_other(request, "/settings/users", notice="role-changed")


@router.get("/settings/users/{user_id}/disable")
async def confirm_disable(request: Request, user_id: int) -> Response:
    async with signed_in(request, permission=Permission.ADMINISTER) as page:
        people = await service.list_users(page.context.connection, tenant_id=page.context.tenant_id)
        person = next((row for row in people if row["id"] == user_id), None)
        if person is None:
            raise NotFound("No such user.")
        return render_settings(page, "settings/user_disable.html", person=person, role_labels=ROLE_LABELS)


@router.post("/settings/users/{user_id}/disable")
async def disable_user(request: Request, user_id: int) -> Response:
    try:
        async with signed_in(request, write=True, permission=Permission.ADMINISTER) as page, refusing(Conflict):
            await service.disable_user(page.context.connection, tenant_id=page.context.tenant_id, user_id=user_id)
    except FormRefused as refused:
        return await _users_page(request, refused=refused, refused_user=user_id)
    return see_other(request, "/settings/users", notice="user-disabled")


@router.post("/settings/users/{user_id}/enable")
async def enable_user(request: Request, user_id: int) -> Response:
    async with signed_in(request, write=True, permission=Permission.ADMINISTER) as page:
        await service.enable_user(page.context.connection, tenant_id=page.context.tenant_id, user_id=user_id)
    return see_other(request, "/settings/users", notice="user-enabled")
