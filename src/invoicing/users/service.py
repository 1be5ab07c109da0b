"""People: accounts, signing in and out, sessions. The dashboard's one way to know who acts."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from invoicing.auth.secrets import digest
from invoicing.core.clock import utc_now
from invoicing.core.db import set_tenant
from invoicing.core.errors import Conflict, NotFound, Unauthenticated, Unprocessable
from invoicing.core.ids import new_public_id
from invoicing.core.wire_types import Email
from invoicing.users import passwords
from invoicing.users.repository import SessionRepository, UserRepository, memberships_by_email, session_by_hash
from invoicing.users.roles import Role

SESSION_PREFIX = "ses_"
SESSION_LIFETIME = timedelta(hours=12)  # signed in at most this long, however busy
SESSION_IDLE = timedelta(hours=2)  # ...and signed out after this long unused
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often, not per page


class InvalidCredentials(Unauthenticated):
    """One answer for an unknown e-mail, a wrong password and a disabled account."""

    code = "invalid_credentials"


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who a session belongs to, for one request."""

    session_id: int
    tenant_id: int
    user_id: int
    user_public_id: str
    email: str
    name: str
    role: str

    @property
    def actor(self) -> str:
        return f"user:{self.user_public_id}"


@dataclass(frozen=True, slots=True)
class OpenedSession:
    token: str  # the cookie's value: shown to the browser once, stored only as its digest
    signed_in: SignedIn


def normalized_email(email: str) -> str:
    cleaned = email.strip().lower()
    try:
        return _email_adapter().validate_python(cleaned)
    except ValidationError:
        raise Unprocessable.field("email", "Enter an e-mail address such as name@example.com.") from None


@cache
def _email_adapter() -> TypeAdapter[str]:
    return TypeAdapter(Email)


def csrf_token(session_token: str) -> str:
    """The forms' anti-forgery token: derived from the session's secret, which a forging site never
    sees (the cookie is HttpOnly), so nothing more is stored."""
    return hmac.new(session_token.encode(), b"invoicing dashboard csrf", hashlib.sha256).hexdigest()


def _check_password(password: str) -> None:
    if not passwords.MIN_PASSWORD_LENGTH <= len(password) <= passwords.MAX_PASSWORD_LENGTH:
        raise Unprocessable.field(
            "password",
            f"A password has {passwords.MIN_PASSWORD_LENGTH} to {passwords.MAX_PASSWORD_LENGTH} characters.",
        )


def _check_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise Unprocessable.field("role", f"The role is one of {allowed}.") from None


async def create_user(
    connection: AsyncConnection, *, tenant_id: int, email: str, name: str, password: str, role: str
) -> RowMapping:
    """A new account in the tenant. Raises Conflict when the tenant has the e-mail already."""
    address, checked_role = normalized_email(email), _check_role(role)
    _check_password(password)
    if not name.strip() or len(name) > 200:
        raise Unprocessable.field("name", "A name has 1 to 200 characters.")
    await set_tenant(connection, tenant_id)
    repository = UserRepository(connection, tenant_id)
    if await repository.by_email(address) is not None:
        raise Conflict("The tenant has an account with this e-mail already.", code="user_exists")
    return await repository.insert(
        public_id=new_public_id(),
        email=address,
        name=name.strip(),
        password_hash=passwords.hash_password(password),
        role=checked_role.value,
        created_at=utc_now(),
    )


async def sign_in(
    connection: AsyncConnection, *, email: str, password: str, tenant_id: int | None = None
) -> OpenedSession:
    """A new session for the account the password opens: in `tenant_id` if given, else the first
    tenant (by id) where it opens one (a person with accounts in several tenants names one).

    Always a new session token: a session id a browser held before signing in is never reused
    (no session fixation). Raises InvalidCredentials, after the same work, whatever was wrong.
    """
    try:
        address = normalized_email(email)
    except Unprocessable:
        address = ""
    verified: list[RowMapping] = []
    accounts = [row for row in await memberships_by_email(connection, address) if row["disabled_at"] is None]
    for account in accounts:
        if len(password) <= passwords.MAX_PASSWORD_LENGTH and passwords.verify_password(
            account["password_hash"], password
        ):
            verified.append(account)
    if not accounts:
        passwords.verify_password(passwords.decoy_hash(), password)
    chosen = next((row for row in verified if tenant_id in (None, row["tenant_id"])), None)
    if chosen is None:
        raise InvalidCredentials("The e-mail or the password is not right.")
    if passwords.needs_rehash(chosen["password_hash"]):
        await set_tenant(connection, chosen["tenant_id"])
        await UserRepository(connection, chosen["tenant_id"]).change(
            chosen["id"], password_hash=passwords.hash_password(password)
        )
    return await _open_session(connection, chosen)


async def _open_session(connection: AsyncConnection, account: RowMapping) -> OpenedSession:
    token, now = SESSION_PREFIX + secrets.token_urlsafe(32), utc_now()
    await set_tenant(connection, account["tenant_id"])
    row = await SessionRepository(connection, account["tenant_id"]).insert(
        public_id=new_public_id(),
        token_hash=digest(token),
        user_pk=account["id"],
        created_at=now,
        last_seen_at=now,
        expires_at=now + SESSION_LIFETIME,
    )
    return OpenedSession(token=token, signed_in=_signed_in(row, account))


async def resume_session(connection: AsyncConnection, token: str) -> SignedIn | None:
    """The session the cookie names, if it is open, not expired, not idle and its account enabled.
    Binds the transaction to the session's tenant."""
    if not token.startswith(SESSION_PREFIX):
        return None
    row = await session_by_hash(connection, digest(token))
    now = utc_now()
    if (
        row is None
        or row["ended_at"] is not None
        or row["expires_at"] <= now
        or row["last_seen_at"] + SESSION_IDLE <= now
    ):
        return None
    await set_tenant(connection, row["tenant_id"])
    account = await UserRepository(connection, row["tenant_id"]).by_id(row["user_pk"])
    if account is None or account["disabled_at"] is not None:
        return None
    if row["last_seen_at"] + TOUCH_EVERY <= now:
        await SessionRepository(connection, row["tenant_id"]).touch(row["id"], at=now)
    return _signed_in(row, account)


async def sign_out(connection: AsyncConnection, signed_in: SignedIn) -> None:
    await set_tenant(connection, signed_in.tenant_id)
    await SessionRepository(connection, signed_in.tenant_id).end(signed_in.session_id, at=utc_now())


async def list_users(connection: AsyncConnection, *, tenant_id: int) -> list[RowMapping]:
    return await UserRepository(connection, tenant_id).all()


async def set_password(connection: AsyncConnection, *, tenant_id: int, user_id: int, password: str) -> None:
    """A new password for the account; its open sessions end (whoever knew the old one is out)."""
    _check_password(password)
    repository = UserRepository(connection, tenant_id)
    await _account(repository, user_id)
    await repository.change(user_id, password_hash=passwords.hash_password(password))
    await SessionRepository(connection, tenant_id).end_all_of(user_id, at=utc_now())


async def change_role(connection: AsyncConnection, *, tenant_id: int, user_id: int, role: str) -> RowMapping:
    """Gives the account `role`; the tenant keeps at least one enabled owner."""
    repository = UserRepository(connection, tenant_id)
    account = await _account(repository, user_id)
    new_role = _check_role(role)
    if account["role"] == Role.OWNER and new_role != Role.OWNER:
        await _keep_an_owner(repository)
    changed = await repository.change(user_id, role=new_role.value)
    assert changed is not None
    return changed


async def disable_user(connection: AsyncConnection, *, tenant_id: int, user_id: int) -> RowMapping:
    """The account can no longer sign in, and its open sessions end now."""
    repository = UserRepository(connection, tenant_id)
    account = await _account(repository, user_id)
    if account["role"] == Role.OWNER and account["disabled_at"] is None:
        await _keep_an_owner(repository)
    now = utc_now()
    changed = await repository.change(user_id, disabled_at=account["disabled_at"] or now)
    await SessionRepository(connection, tenant_id).end_all_of(user_id, at=now)
    assert changed is not None
    return changed


async def enable_user(connection: AsyncConnection, *, tenant_id: int, user_id: int) -> RowMapping:
    """A disabled account can sign in again (with its password as it was); no-op when enabled."""
    repository = UserRepository(connection, tenant_id)
    await _account(repository, user_id)
    changed = await repository.change(user_id, disabled_at=None)
    assert changed is not None
    return changed


async def _account(repository: UserRepository, user_id: int) -> RowMapping:
    account = await repository.by_id(user_id)
    if account is None:
        raise NotFound("No such user.")
    return account


async def _keep_an_owner(repository: UserRepository) -> None:
    if await repository.count_enabled_owners() <= 1:
        raise Conflict("A tenant keeps at least one owner who can sign in.", code="last_owner")


def _signed_in(session: RowMapping, account: RowMapping) -> SignedIn:
    return SignedIn(
        session_id=session["id"],
        tenant_id=session["tenant_id"],
        user_id=account["id"],
        user_public_id=account["public_id"],
        email=account["email"],
        name=account["name"],
        role=account["role"],
    )
