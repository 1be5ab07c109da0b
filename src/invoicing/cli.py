"""`invoicing`: the operator's command line. Every command takes --json for scripts."""

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import click
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from invoicing.auth import service as auth
from invoicing.auth.scopes import parse_scopes
from invoicing.config import get_settings
from invoicing.core.db import create_engine, set_tenant, transaction
from invoicing.core.errors import DomainError
from invoicing.core.migrate import upgrade
from invoicing.core.render import timestamp

T = TypeVar("T")

json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")


def run(work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    # The operator's commands act as DATABASE_URL's user: on PostgreSQL the tables' owner (it
    # creates tenants and sees them all); each one names the tenant it writes for (set_tenant).
    async def main() -> T:
        engine = create_engine(get_settings().database_url, pool_size=1)
        try:
            return await work(engine)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except DomainError as error:
        fields = "".join(f"\n  {field}: {' '.join(messages)}" for field, messages in (error.errors or {}).items())
        raise click.ClickException(f"{error.detail} ({error.error_code}){fields}") from None
    except (OperationalError, ProgrammingError) as error:
        raise click.ClickException(
            f"The database is not ready ({error.orig}). Run `invoicing migrate` first, and check DATABASE_URL."
        ) from None


async def sum_over_tenants(engine: AsyncEngine, work: Callable[[AsyncConnection, int], Awaitable[int]]) -> int:
    """`work` for every tenant, each in its own write transaction acting for that tenant; the sum."""
    from invoicing.tenants.service import list_tenants

    async with transaction(engine, write=False) as connection:
        tenant_ids = [row["id"] for row in await list_tenants(connection)]
    total = 0
    for tenant_id in tenant_ids:
        async with transaction(engine, write=True) as connection:
            await set_tenant(connection, tenant_id)
            total += await work(connection, tenant_id)
    return total


def emit(as_json: bool, payload: dict[str, Any] | list[dict[str, Any]], text: str) -> None:
    click.echo(json.dumps(payload, indent=2, ensure_ascii=False) if as_json else text)


def scopes_option(value: str | None) -> tuple[str, ...]:
    try:
        return parse_scopes(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@click.group()
def main() -> None:
    """Self-hostable multi-tenant invoicing service."""


@main.command()
@json_option
def migrate(as_json: bool) -> None:
    """Create or upgrade the database schema (DATABASE_URL)."""
    upgrade(get_settings().database_url)
    emit(as_json, {"migrated": True}, "Database is up to date.")


@main.command()
@click.option("--host", default=None, help="Default: HOST or 127.0.0.1.")
@click.option("--port", type=int, default=None, help="Default: PORT or 8000.")
@click.option("--workers", type=int, default=None, help="Worker processes. Default: WORKERS or 1.")
@json_option
def serve(host: str | None, port: int | None, workers: int | None, as_json: bool) -> None:
    """Serve the HTTP API (production mode: uvloop, httptools with a bounded request head, no reload)."""
    import uvicorn

    from invoicing.core.http_protocol import BoundedHttpToolsProtocol
    from invoicing.operations import multiprocess

    settings = get_settings()
    host, port, workers = host or settings.host, port or settings.port, workers or settings.workers
    multiprocess.prepare(workers)
    if as_json:
        click.echo(json.dumps({"url": f"http://{host}:{port}", "workers": workers}))
    uvicorn.run(
        "invoicing.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http=BoundedHttpToolsProtocol,
        server_header=False,  # no banner naming the server and inviting its known bugs
        access_log=False,
        log_level="info",
    )


@main.command()
@click.option("--concurrency", type=int, default=None, help="Deliveries in flight. Default: WORKER_CONCURRENCY or 16.")
@click.option("--metrics-port", type=int, default=None, help="Serve this worker's /metrics on HOST:PORT.")
def worker(concurrency: int | None, metrics_port: int | None) -> None:
    """Deliver the outbox (webhooks and e-mails) until SIGTERM or Ctrl-C; run as many as you like."""
    from invoicing.outbox.runner import run_worker

    settings = get_settings()
    if concurrency is not None:
        settings = settings.model_copy(update={"worker_concurrency": concurrency})
    asyncio.run(run_worker(settings, metrics_port=metrics_port))


@main.group()
def tenant() -> None:
    """Tenants: the organisations that issue invoices."""


@tenant.command("create")
@click.option("--name", required=True)
@click.option("--currency", default="TRY", show_default=True, help="Base currency (ISO 4217).")
@click.option("--timezone", default="Europe/Istanbul", show_default=True, help="IANA time zone of issue dates.")
@click.option("--tax-number", default=None)
@json_option
def tenant_create(name: str, currency: str, timezone: str, tax_number: str | None, as_json: bool) -> None:
    from invoicing.tenants.service import create_tenant

    async def work(engine: AsyncEngine) -> dict[str, Any]:
        async with transaction(engine, write=True) as connection:
            row = await create_tenant(
                connection, name=name, base_currency=currency, timezone=timezone, tax_number=tax_number
            )
        return _tenant_json(row)

    created = run(work)
    emit(as_json, created, f"Tenant {created['id']} ({created['public_id']}) created: {created['name']}")


@tenant.command("list")
@json_option
def tenant_list(as_json: bool) -> None:
    from invoicing.tenants.service import list_tenants

    async def work(engine: AsyncEngine) -> list[dict[str, Any]]:
        async with transaction(engine, write=False) as connection:
            return [_tenant_json(row) for row in await list_tenants(connection)]

    rows = run(work)
    lines = [
        f"{row['id']}\t{row['public_id']}\t{row['base_currency']}\t{row['timezone']}\t{row['name']}" for row in rows
    ]
    emit(as_json, rows, "\n".join(lines) or "No tenants.")


# `tenant update` options -> profile fields (a dotted name is a field of an object).
PROFILE_OPTIONS = {
    "legal_name": "legal_name",
    "line1": "postal_address.line1",
    "line2": "postal_address.line2",
    "city": "postal_address.city",
    "postal_code": "postal_address.postal_code",
    "subdivision": "postal_address.subdivision",
    "country": "postal_address.country_code",
    "tax_number": "tax_number",
    "registration_id": "registration_id",
    "email": "email",
    "phone": "phone",
    "website": "website",
    "payment_terms_days": "payment_terms_days",
    "footer": "footer",
    "locale": "locale",
    "paper_size": "paper_size",
}


def profile_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """One option per PROFILE_OPTIONS field; an empty string clears the field."""
    for name in reversed(PROFILE_OPTIONS):
        kind = click.IntRange(0, 365) if name == "payment_terms_days" else None
        command = click.option(f"--{name.replace('_', '-')}", name, type=kind, default=None)(command)
    return command


def _profile_patch(from_json: Any, options: dict[str, Any]) -> dict[str, Any]:
    """The merge patch: the JSON file's, then each option given (an empty string clears a field)."""
    patch: dict[str, Any] = json.load(from_json) if from_json is not None else {}
    if not isinstance(patch, dict):
        raise click.BadParameter("must hold a JSON object (a merge patch of the profile)", param_hint="--from-json")
    for option, field in PROFILE_OPTIONS.items():
        value = options.get(option)
        if value is None:
            continue
        cleared = None if value == "" else value
        if "." in field:
            parent, child = field.split(".")
            patch[parent] = {**(patch.get(parent) or {}), child: cleared}
        else:
            patch[field] = cleared
    if options.get("iban"):
        patch["bank_accounts"] = [{"iban": options["iban"], "bic": options["bic"], "bank_name": options["bank_name"]}]
    if options.get("eas_scheme") or options.get("eas_id"):
        patch["electronic_address"] = {"scheme": options["eas_scheme"], "id": options["eas_id"]}
    return patch


def _profile_refusal(error: ValidationError) -> click.ClickException:
    from invoicing.core.problems import field_path

    fields = "; ".join(f"{field_path(('body', *item['loc']))}: {item['msg']}" for item in error.errors())
    return click.ClickException(f"Invalid profile: {fields} (validation_failed)")


@tenant.command("update")
@click.option("--tenant", "tenant_ref", required=True, help="The tenant's id or name.")
@click.option("--from-json", type=click.File("r"), default=None, help="A JSON merge patch of the profile.")
@click.option("--logo", type=click.File("rb"), default=None, help="A PNG, JPEG or SVG image (1 MiB at most).")
@click.option("--iban", default=None, help="The one bank account's IBAN (replaces the accounts).")
@click.option("--bic", default=None)
@click.option("--bank-name", default=None)
@click.option("--eas-scheme", default=None, help="Electronic address: EAS code (9930, 0088...).")
@click.option("--eas-id", default=None, help="Electronic address: the id within the scheme.")
@profile_options
@json_option
def tenant_update(tenant_ref: str, from_json: Any, logo: Any, as_json: bool, **options: Any) -> None:
    """Change the tenant's profile (the seller on its invoices) and logo, as PATCH /api/v1/tenant does."""
    import mimetypes

    from invoicing.tenants import profile
    from invoicing.tenants.logo import checked_logo
    from invoicing.tenants.representation import tenant_profile_resource
    from invoicing.tenants.schemas import TenantProfilePatch

    try:
        patch = TenantProfilePatch.model_validate(_profile_patch(from_json, options))
    except ValidationError as error:
        raise _profile_refusal(error) from None
    image = checked_logo(logo.read(), mimetypes.guess_type(logo.name)[0]) if logo is not None else None

    async def work(engine: AsyncEngine) -> dict[str, Any]:
        async with transaction(engine, write=True) as connection:
            tenant_id = await _tenant_id(connection, tenant_ref)
            await _enter_tenant(connection, tenant_id)
            if patch.model_fields_set:
                await profile.update_profile(connection, tenant_id=tenant_id, patch=patch)
            if image is not None:
                await profile.put_logo(connection, tenant_id=tenant_id, logo=image)
            row = await profile.get_tenant_row(connection, tenant_id)
            return tenant_profile_resource(row, await profile.logo_description(connection, row))

    shown = run(work)
    emit(as_json, shown, f"Tenant {tenant_ref} updated: {shown['legal_name'] or '(no legal name)'}")


async def _tenant_id(connection: Any, ref: str) -> int:
    from invoicing.tenants.repository import TenantRepository

    found = await TenantRepository(connection).by_name(ref) if not ref.isdigit() else None
    if found is not None:
        return int(found["id"])
    if ref.isdigit():
        return int(ref)
    raise click.ClickException(f"No tenant is named {ref!r}.")


@main.group()
def client() -> None:
    """OAuth clients (client credentials grant)."""


@client.command("create")
@click.option("--tenant", "tenant_id", type=int, required=True)
@click.option(
    "--scopes",
    default=None,
    help="Comma-separated; default: invoices:read,invoices:write (clients:manage only when named).",
)
@click.option("--name", default="API client", show_default=True)
@json_option
def client_create(tenant_id: int, scopes: str | None, name: str, as_json: bool) -> None:
    """Prints client_id and client_secret once; the secret is stored only as a hash."""
    granted = scopes_option(scopes)

    async def work(engine: AsyncEngine) -> auth.IssuedClient:
        async with transaction(engine, write=True) as connection:
            await _enter_tenant(connection, tenant_id)
            return await auth.create_client(connection, tenant_id=tenant_id, name=name, scopes=granted)

    issued = run(work)
    payload = {
        "client_id": issued.client_id,
        "client_secret": issued.client_secret,
        "tenant_id": issued.tenant_id,
        "scopes": list(issued.scopes),
    }
    emit(
        as_json,
        payload,
        f"client_id:     {issued.client_id}\nclient_secret: {issued.client_secret}\n(shown once; store it now)",
    )


@client.command("list")
@click.option("--tenant", "tenant_id", type=int, default=None, help="Only this tenant's clients.")
@json_option
def client_list(tenant_id: int | None, as_json: bool) -> None:
    """Every client (never a secret), revoked ones included."""
    from invoicing.clients import service as clients
    from invoicing.clients.representation import client_resource

    async def work(engine: AsyncEngine) -> list[dict[str, Any]]:
        async with transaction(engine, write=False) as connection:
            return [
                client_resource(row) for row in await clients.list_clients_for_operator(connection, tenant_id=tenant_id)
            ]

    rows = run(work)
    lines = [
        f"{row['tenant_id']}\t{row['client_id']}\t{row['status']}\t{' '.join(row['scopes'])}\t{row['name']}"
        for row in rows
    ]
    emit(as_json, rows, "\n".join(lines) or "No clients.")


@client.command("revoke")
@click.option("--client-id", required=True, help="The client's client_id (cli_…).")
@json_option
def client_revoke(client_id: str, as_json: bool) -> None:
    """The client mints no more tokens, and every token it minted stops working. Idempotent."""
    from invoicing.clients import service as clients
    from invoicing.clients.representation import client_resource

    async def work(engine: AsyncEngine) -> dict[str, Any]:
        async with transaction(engine, write=True) as connection:
            found = await clients.find_client_for_operator(connection, client_id)
            revocation = await clients.revoke_client(connection, tenant_id=found["tenant_id"], client_pk=found["id"])
        return {**client_resource(revocation.row), "tokens_revoked": revocation.tokens_revoked}

    revoked = run(work)
    emit(
        as_json,
        revoked,
        f"Client {revoked['client_id']} revoked at {revoked['revoked_at']}; "
        f"{revoked['tokens_revoked']} active token(s) ended now.",
    )


@client.command("rotate-secret")
@click.option("--client-id", required=True, help="The client's client_id (cli_…).")
@json_option
def client_rotate_secret(client_id: str, as_json: bool) -> None:
    """Prints a new secret once; the old one stops working now, tokens already minted keep working."""
    from invoicing.clients import service as clients
    from invoicing.clients.representation import client_with_secret

    async def work(engine: AsyncEngine) -> dict[str, Any]:
        async with transaction(engine, write=True) as connection:
            found = await clients.find_client_for_operator(connection, client_id)
            rotated = await clients.rotate_client_secret(
                connection, tenant_id=found["tenant_id"], client_pk=found["id"]
            )
        return client_with_secret(rotated.row, rotated.client_secret)

    rotated = run(work)
    emit(
        as_json,
        rotated,
        f"client_id:     {rotated['client_id']}\nclient_secret: {rotated['client_secret']}\n"
        "(shown once; store it now; the old secret no longer works)",
    )


@main.group()
def token() -> None:
    """Bearer tokens for integrations."""


@token.command("create")
@click.option("--tenant", "tenant_id", type=int, required=True)
@click.option("--scopes", default=None, help="Comma-separated; default: invoices:read,invoices:write.")
@click.option("--expires-in", type=click.IntRange(min=60), default=None, help="Seconds; default: never expires.")
@json_option
def token_create(tenant_id: int, scopes: str | None, expires_in: int | None, as_json: bool) -> None:
    """Prints the token once; it is stored only as a hash."""
    granted = scopes_option(scopes)

    async def work(engine: AsyncEngine) -> auth.IssuedToken:
        async with transaction(engine, write=True) as connection:
            await _enter_tenant(connection, tenant_id)
            return await auth.create_token(connection, tenant_id=tenant_id, scopes=granted, expires_in=expires_in)

    issued = run(work)
    payload = {
        "token": issued.token,
        "id": issued.public_id,
        "tenant_id": issued.tenant_id,
        "scopes": list(issued.scopes),
        "expires_in": issued.expires_in,
    }
    emit(as_json, payload, f"{issued.token}\n(id {issued.public_id}; shown once)")


@token.command("revoke")
@click.option("--token", "secret", default=None, help="The token itself.")
@click.option("--id", "public_id", default=None, help="The token's id, as `token create` printed it.")
@json_option
def token_revoke(secret: str | None, public_id: str | None, as_json: bool) -> None:
    if (secret is None) == (public_id is None):
        raise click.UsageError("Give exactly one of --token or --id.")

    async def work(engine: AsyncEngine) -> bool:
        async with transaction(engine, write=True) as connection:
            return await auth.revoke_token(connection, token=secret, public_id=public_id)

    revoked = run(work)
    emit(as_json, {"revoked": revoked}, "Token revoked." if revoked else "No active token matched.")
    if not revoked:
        sys.exit(1)


@main.command()
@click.option("--base-url", default=None, help="For the printed curl line; default http://HOST:PORT.")
@json_option
def demo(base_url: str | None, as_json: bool) -> None:
    """Seed a demo tenant (first run only) and print a fresh token and a working curl line."""
    from invoicing.demo import ensure_demo

    settings = get_settings()
    result = run(ensure_demo)
    # A server bound to every interface is still reached locally at the loopback address.
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host  # noqa: S104
    base = base_url or f"http://{host}:{settings.port}"
    curl = f"curl -s {base}/api/v1/invoices -H 'Authorization: Bearer {result.token}' -H 'X-Tenant: {result.tenant_id}'"
    payload = {
        "tenant_id": result.tenant_id,
        "tenant_public_id": result.tenant_public_id,
        "created": result.created,
        "token": result.token,
        "curl": curl,
        "dashboard_url": f"{base}/app",
        "dashboard_login": {"email": result.user_email, "password": result.user_password},
    }
    status = "created" if result.created else "already present"
    text = (
        f"Demo tenant {result.tenant_id} {status}.\nAccess token (30 days): {result.token}\nTry:\n  {curl}\n"
        f"Dashboard: {base}/app\n  sign in as {result.user_email} / {result.user_password}"
    )
    emit(as_json, payload, text)


@main.group()
def user() -> None:
    """People who sign in to the dashboard (/app), one account per tenant."""


@user.command("create")
@click.option("--tenant", "tenant_id", type=int, required=True, help="The tenant's id.")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(["owner", "accountant", "viewer"]), default="accountant", show_default=True)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    envvar="INVOICING_USER_PASSWORD",
    help="Prompted for when not given (or set INVOICING_USER_PASSWORD); at least 10 characters.",
)
@json_option
def user_create(tenant_id: int, email: str, name: str, role: str, password: str, as_json: bool) -> None:
    from invoicing.core.errors import DomainError
    from invoicing.users.service import create_user

    async def work(engine: AsyncEngine) -> dict[str, Any]:
        async with transaction(engine, write=True) as connection:
            row = await create_user(
                connection, tenant_id=tenant_id, email=email, name=name, password=password, role=role
            )
        return {
            "id": row["id"],
            "public_id": row["public_id"],
            "tenant_id": tenant_id,
            "email": row["email"],
            "role": row["role"],
        }

    try:
        created = run(work)
    except DomainError as error:
        raise click.ClickException(error.detail) from None
    emit(as_json, created, f"User {created['email']} ({created['role']}) created in tenant {tenant_id}.")


@main.command("purge-idempotency-keys")
@json_option
def purge_idempotency_keys(as_json: bool) -> None:
    """Delete expired idempotency keys of every tenant (they also go a little at a time on the way)."""
    from invoicing.core.clock import utc_now
    from invoicing.idempotency.service import purge_expired

    async def purge(connection: AsyncConnection, tenant_id: int) -> int:
        return await purge_expired(connection, tenant_id=tenant_id, now=utc_now())

    purged = run(lambda engine: sum_over_tenants(engine, purge))
    emit(as_json, {"purged": purged}, f"Purged {purged} expired idempotency keys.")


@main.command("purge-outbox")
@click.option(
    "--older-than-days", type=click.IntRange(min=1), default=None, help="Default: OUTBOX_RETENTION_DAYS or 30."
)
@json_option
def purge_outbox(older_than_days: int | None, as_json: bool) -> None:
    """Delete delivered (or finally failed) outbox messages older than the retention, with their log."""
    from datetime import timedelta

    from invoicing.core.clock import utc_now
    from invoicing.outbox.repository import OutboxRepository

    days = older_than_days or get_settings().outbox_retention_days
    before = utc_now() - timedelta(days=days)

    async def purge(connection: AsyncConnection, tenant_id: int) -> int:
        return await OutboxRepository(connection, tenant_id).purge_settled(before=before)

    purged = run(lambda engine: sum_over_tenants(engine, purge))
    emit(
        as_json, {"purged": purged, "older_than_days": days}, f"Purged {purged} outbox messages older than {days} days."
    )


@main.command("lifecycle")
@json_option
def lifecycle(as_json: bool) -> None:
    """Print the invoice lifecycle as a Mermaid state diagram (generated from the table)."""
    from invoicing.invoices.diagram import edges, mermaid_state_diagram

    transitions = [
        {"from": source.value, "to": target.value, "action": action.value} for source, target, action in edges()
    ]
    emit(as_json, transitions, mermaid_state_diagram())


def _tenant_json(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "public_id": row["public_id"],
        "name": row["name"],
        "tax_number": row["tax_number"],
        "base_currency": row["base_currency"],
        "timezone": row["timezone"],
        "created_at": timestamp(row["created_at"]),
    }


async def _enter_tenant(connection: Any, tenant_id: int) -> None:
    """Fails unless the tenant exists; then the transaction acts for it (PostgreSQL's policies)."""
    from invoicing.tenants.service import get_tenant

    if await get_tenant(connection, tenant_id) is None:
        raise click.ClickException(f"Tenant {tenant_id} does not exist.")
    await set_tenant(connection, tenant_id)
