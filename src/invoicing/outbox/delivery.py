"""What one claimed delivery does, and what its outcome changes (one function per kind).

A webhook: check the target again (DNS may have changed since the endpoint was saved), sign
with every valid secret, POST; 2xx delivered, anything else retried on the schedule. 410 Gone
disables the endpoint at once; an endpoint whose deliveries have all failed for 5 days is
disabled too, and says why. An e-mail: compose and send through the mail feature; its final
outcome (delivered, refused for good, or retried until the schedule ran out) becomes the
invoice's `invoice.email_delivered` or `invoice.email_failed` event, in the same transaction
as the delivery's own bookkeeping.
"""

import contextlib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.config import Settings
from invoicing.core.context import TenantContext
from invoicing.core.db import set_tenant, transaction
from invoicing.invoices.lifecycle import InvoiceNotFound
from invoicing.mail.service import MailOutcome, MailResult, deliver_invoice_email, record_email_outcome
from invoicing.outbox.repository import DELIVERED, FAILED, PENDING, Attempted, Claimed, OutboxRepository
from invoicing.outbox.schedule import next_attempt_at, parse_retry_after
from invoicing.outbox.sender import post_signed
from invoicing.webhooks.secrets import open_sealed
from invoicing.webhooks.targets import TargetRefused, resolve_target

FAILING_DAYS_BEFORE_DISABLED = 5
WORKER_ACTOR = "worker"


def webhook_id(message_public_id: str) -> str:
    """The message's stable id on the wire (`webhook-id`; the e-mail's Message-ID)."""
    return f"msg_{message_public_id}"


@dataclass(frozen=True, slots=True)
class Done:
    """A delivery attempt's result, ready to be written."""

    attempted: Attempted
    state: str
    next_attempt_at: datetime | None
    disable: tuple[str, str] | None = None  # (reason, detail)
    mail: MailOutcome | None = None


async def attempt_webhook(
    claimed: Claimed, client: httpx.AsyncClient, settings: Settings, *, now: datetime, seconds: float
) -> Done:
    secrets = _valid_secrets(claimed, now=now)
    try:
        assert claimed.url is not None, "a webhook delivery has an endpoint"
        target = await resolve_target(claimed.url, allow_private=settings.webhook_allow_private_networks)
    except TargetRefused as refused:
        attempted = Attempted(now, FAILED, None, 0, None, f"target refused: {refused.detail}"[:500])
        return _failed(claimed, attempted, retry_after=None)
    posted = await post_signed(
        client,
        target,
        webhook_id=webhook_id(claimed.message_public_id),
        body=claimed.payload,
        secrets=secrets,
        seconds=seconds,
    )
    outcome = DELIVERED if posted.delivered else FAILED
    error = posted.error or (None if posted.delivered else f"answered {posted.status_code}")
    attempted = Attempted(now, outcome, posted.status_code, posted.duration_ms, posted.excerpt, error)
    if posted.delivered:
        return Done(attempted, DELIVERED, None)
    if posted.status_code == 410:
        return Done(attempted, FAILED, None, disable=("gone", "The endpoint answered 410 Gone."))
    return _failed(claimed, attempted, retry_after=parse_retry_after(posted.retry_after, now=now))


async def attempt_email(claimed: Claimed, engine: AsyncEngine, settings: Settings, *, now: datetime) -> Done:
    started = time.perf_counter()
    outcome = await deliver_invoice_email(
        engine,
        settings,
        tenant_id=claimed.tenant_id,
        invoice_id=claimed.subject_id,
        message_id=webhook_id(claimed.message_public_id),
    )
    duration_ms = round((time.perf_counter() - started) * 1000)
    if outcome.result is MailResult.DELIVERED:
        excerpt = outcome.smtp_reply or outcome.eml_path
        return Done(Attempted(now, DELIVERED, None, duration_ms, excerpt, None), DELIVERED, None, mail=outcome)
    error = f"{outcome.reason}: {outcome.detail}" if outcome.detail else outcome.reason
    attempted = Attempted(now, FAILED, None, duration_ms, None, (error or "failed")[:500])
    if outcome.result is MailResult.PERMANENT:
        return Done(attempted, FAILED, None, mail=outcome)
    done = _failed(claimed, attempted, retry_after=None)
    # The event says the e-mail failed only when no retry is left.
    return Done(done.attempted, done.state, done.next_attempt_at, mail=outcome if done.state == FAILED else None)


async def record_done(engine: AsyncEngine, claimed: Claimed, done: Done, *, worker_id: str) -> bool:
    """Writes the attempt, the delivery's new state, the endpoint's health and (e-mails) the
    invoice's event, in one transaction. False when the lease had been lost to another worker."""
    async with transaction(engine, write=True) as connection:
        await set_tenant(connection, claimed.tenant_id)
        repository = OutboxRepository(connection, claimed.tenant_id)
        kept = await repository.finish(
            claimed, worker_id, done.attempted, state=done.state, next_attempt_at=done.next_attempt_at
        )
        if not kept:
            return False
        if claimed.endpoint_id is not None:
            await _endpoint_health(repository, claimed.endpoint_id, done)
        if done.mail is not None:
            context = TenantContext(connection, claimed.tenant_id, WORKER_ACTOR)
            with contextlib.suppress(InvoiceNotFound):  # deleted since: nothing to record the outcome on
                await record_email_outcome(context, claimed.subject_id, done.mail)
    return True


async def _endpoint_health(repository: OutboxRepository, endpoint_id: int, done: Done) -> None:
    at = done.attempted.at
    if done.attempted.outcome == DELIVERED:
        await repository.endpoint_succeeded(endpoint_id)
        return
    if done.disable is not None:
        reason, detail = done.disable
        await repository.disable_endpoint(endpoint_id, reason=reason, detail=detail, at=at)
        return
    endpoint = await repository.endpoint_failed(endpoint_id, at=at)
    failing_since = endpoint["failing_since"] if endpoint is not None else None
    if failing_since is not None and at - failing_since >= timedelta(days=FAILING_DAYS_BEFORE_DISABLED):
        detail = (
            f"Every delivery failed since {failing_since.isoformat()} ({FAILING_DAYS_BEFORE_DISABLED} days or more); "
            f"the last: {done.attempted.error}"
        )
        await repository.disable_endpoint(endpoint_id, reason="failing", detail=detail, at=at)


def _failed(claimed: Claimed, attempted: Attempted, *, retry_after: timedelta | None) -> Done:
    due = next_attempt_at(claimed.attempts + 1, failed_at=attempted.at, retry_after=retry_after)
    return Done(attempted, PENDING if due is not None else FAILED, due)


def _valid_secrets(claimed: Claimed, *, now: datetime) -> list[str]:
    """The current secret, and the previous one while its rotation window lasts."""
    assert claimed.secret_sealed is not None, "a webhook delivery has an endpoint"
    secrets = [open_sealed(claimed.secret_sealed)]
    expires = claimed.previous_secret_expires_at
    if claimed.previous_secret_sealed is not None and expires is not None and expires > now:
        secrets.append(open_sealed(claimed.previous_secret_sealed))
    return secrets
