"""`invoicing purge-outbox`: messages with nothing left to deliver go after the retention, with
their deliveries and attempts; a message still pending stays, however old."""

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from invoicing.core.db import transaction
from invoicing.outbox.tables import outbox_messages
from tests.conftest import Tenant
from tests.outbox.receiver import Script, receiver
from tests.outbox.support import add_endpoint, attempts_of, deliveries_of, messages_of, worker_for

ROOT = Path(__file__).resolve().parents[2]


async def test_settled_messages_older_than_the_retention_go_with_their_log(
    engine: AsyncEngine, app_engine: AsyncEngine, database_url: str, tenant: Tenant
) -> None:
    with receiver(Script(answers=[(204, {}, b"")], default=(500, {}, b""))) as hooks:
        await add_endpoint(engine, tenant, hooks.url, event_types=["invoice.issued"])
        delivered = await tenant.issue((await tenant.create_draft())["id"])
        await worker_for(app_engine).run_until_idle()  # delivered
        await tenant.issue((await tenant.create_draft())["id"])
        await worker_for(app_engine).run_until_idle()  # failed once, pending a retry
    assert sorted(d["state"] for d in await deliveries_of(engine, tenant)) == ["delivered", "pending"]
    async with transaction(engine, write=True) as connection:
        await connection.execute(
            update(outbox_messages)
            .where(outbox_messages.c.tenant_id == tenant.id)
            .values(created_at=datetime.now(UTC) - timedelta(days=31))
        )
    environment = {**os.environ, "DATABASE_URL": database_url}
    command = [str(Path(sys.executable).parent / "invoicing"), "purge-outbox", "--json"]
    result = await asyncio.to_thread(
        subprocess.run, command, env=environment, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    kept = await messages_of(engine, tenant)
    # Four messages (two drafts created, two issued); only the issue still being retried stays.
    assert [m["event_type"] for m in kept] == ["invoice.issued"]
    assert kept[0]["subject_id"] != delivered["id"]
    assert [d["state"] for d in await deliveries_of(engine, tenant)] == ["pending"]
    assert [a["message_id"] for a in await attempts_of(engine, tenant)] == [kept[0]["id"]]
