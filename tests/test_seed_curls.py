"""ACCEPTANCE 3: the seeds' own curl examples succeed against a live server.

tests/fixtures/seed_curls/ holds the curl commands of seeds 000 (cancel), 001 (revert-cancel) and
002 (unarchive) verbatim, line continuations and all. The test starts `invoicing serve` (uvicorn)
on a free port against the session's migrated database, on SQLite and on PostgreSQL, and runs
each command with `bash -c` after replacing only the base URL, `<token>`, `<x-tenant>`, `{id}`
and the body's `"id": 2`. Nothing else is added (no -w, no -f), so success is read from the JSON
each command prints and from the invoice's state afterwards.
"""

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import FIXTURES, Tenant, new_tenant

CURLS = FIXTURES / "seed_curls"
SEED_BASE_URL = "https://dev.flextell.ai/api"
SEED_BODY_ID = '"id": 2'
STARTUP_TIMEOUT = 20.0
CURL_TIMEOUT = 30.0


@dataclass(frozen=True)
class SeedCurl:
    file: str
    has_body: bool  # seeds 000 and 001 send `{"id": 2}`; seed 002 sends no body (and no ?id)


SEED_CURLS = {
    "cancel": SeedCurl("000_cancel.sh", has_body=True),
    "revert_cancel": SeedCurl("001_revert_cancel.sh", has_body=True),
    "unarchive": SeedCurl("002_unarchive.sh", has_body=False),
}


def seed_command(name: str) -> str:
    return (CURLS / SEED_CURLS[name].file).read_text(encoding="utf-8").rstrip("\n")


def substitute(name: str, *, base_url: str, token: str, tenant_id: int, invoice_id: int) -> str:
    """The seed's command with only the base URL, token, tenant and ids replaced."""
    command = seed_command(name)
    placeholders = {SEED_BASE_URL: 1, "<token>": 1, "<x-tenant>": 1, "{id}": 1}
    placeholders[SEED_BODY_ID] = 1 if SEED_CURLS[name].has_body else 0
    counts = {placeholder: command.count(placeholder) for placeholder in placeholders}
    assert counts == placeholders, f"{name}: the seed command changed: {counts}"
    return (
        command.replace(SEED_BASE_URL, base_url)
        .replace("<token>", token)
        .replace("<x-tenant>", str(tenant_id))
        .replace("{id}", str(invoice_id))
        .replace(SEED_BODY_ID, f'"id": {invoice_id}')
    )


def replaced_parts(name: str, command: str) -> list[str]:
    """What `command` has where the seed has its placeholders; fails if anything else differs."""
    pattern = re.escape(seed_command(name))
    for placeholder in (SEED_BASE_URL, "<token>", "<x-tenant>", "{id}", SEED_BODY_ID):
        pattern = pattern.replace(re.escape(placeholder), "(.+?)")
    match = re.fullmatch(pattern, command, flags=re.DOTALL)
    assert match is not None, f"{name}: the command differs from the seed beyond the placeholders:\n{command}"
    return list(match.groups())


# -- the fixtures --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SEED_CURLS))
def test_the_stored_seed_commands_are_multi_line_curl_calls(name: str) -> None:
    command = seed_command(name)
    lines = command.split("\n")
    assert lines[0].startswith("curl --request ")
    body_at = next((index for index, line in enumerate(lines) if "--data '" in line), len(lines) - 1)
    assert body_at > 2
    assert all(line.endswith(" \\") for line in lines[:body_at]), "each option line continues the command"
    assert (body_at == len(lines) - 1) != SEED_CURLS[name].has_body
    assert "--header 'Authorization: Bearer <token>'" in command
    assert "--header 'X-Tenant: <x-tenant>'" in command


@pytest.mark.parametrize("name", sorted(SEED_CURLS))
def test_substitution_replaces_only_the_placeholders(name: str) -> None:
    command = substitute(name, base_url="http://127.0.0.1:1/api", token="inv_tok", tenant_id=7, invoice_id=42)
    expected = ["http://127.0.0.1:1/api", "42", "inv_tok", "7"]
    if SEED_CURLS[name].has_body:
        expected.append('"id": 42')
    assert replaced_parts(name, command) == expected
    assert "dev.flextell.ai" not in command
    assert "<" not in command


# -- the live server -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _answers(base_url: str, headers: dict[str, str], process: subprocess.Popen[bytes]) -> bool:
    """Polls an authenticated read (so the server reaches the database) until it is 200.

    False when the process exited first; fails when it does not answer in time."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    with httpx.Client(base_url=base_url, timeout=2) as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return False
            try:
                response = http.get("/api/v1/currencies", headers=headers)
            except httpx.TransportError:
                time.sleep(0.05)
                continue
            assert response.status_code == 200, response.text
            return True
    pytest.fail(f"the server did not answer within {STARTUP_TIMEOUT} s")


def _start_server(database_url: str, directory: Path, headers: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """`invoicing serve` on a free port, answering; its output goes to server-N.log in `directory`."""
    # No outbox worker inside: this server shares the session's database, whose other tests'
    # e-mails are not its to send (and a header-limits test measures its memory).
    env = {**os.environ, "DATABASE_URL": database_url, "WORKERS": "1", "DELIVERY_IN_SERVER": "off"}
    for attempt in range(3):  # another process may take the free port before uvicorn binds it
        port = _free_port()
        log = directory / f"server-{attempt}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "invoicing", "serve", "--host", "127.0.0.1", "--port", str(port)],
                env=env,
                cwd=directory,  # no stray .env
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        try:
            if _answers(f"http://127.0.0.1:{port}", headers, process):
                return process, f"http://127.0.0.1:{port}"
        except BaseException:
            _stop(process)
            print(log.read_text(errors="replace"))  # shown with the failure
            raise
        text = log.read_text(errors="replace")
        if "address already in use" not in text.lower():
            pytest.fail(f"the server exited with {process.returncode}:\n{text}")
    pytest.fail("no free port could be bound in three attempts")


@dataclass(frozen=True)
class LiveServer:
    base_url: str  # scheme, host and port: the API lives under /api
    tenant: Tenant  # its client talks to the live server


@pytest.fixture(scope="module")
async def live_server(
    database_url: str, engine: AsyncEngine, client: httpx.AsyncClient, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[LiveServer]:
    """One server per backend for this module (starting one takes about two seconds)."""
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed: the seeds' curl examples cannot run")
    local = await new_tenant(engine, client, name="Curl tenant")
    directory = tmp_path_factory.mktemp("live-server")
    process, base_url = await asyncio.to_thread(_start_server, database_url, directory, local.headers)
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            yield LiveServer(base_url, Tenant(id=local.id, public_id=local.public_id, token=local.token, client=http))
    finally:
        await asyncio.to_thread(_stop, process)
        assert process.returncode is not None


async def _run_seed_curl(name: str, server: LiveServer, invoice_id: int) -> dict[str, Any]:
    command = substitute(
        name,
        base_url=f"{server.base_url}/api",
        token=server.tenant.token,
        tenant_id=server.tenant.id,
        invoice_id=invoice_id,
    )
    done = await asyncio.to_thread(
        subprocess.run, ["bash", "-c", command], capture_output=True, text=True, timeout=CURL_TIMEOUT, check=False
    )
    assert done.returncode == 0, f"{name}: curl exited {done.returncode}: {done.stderr}"
    try:
        body = dict(json.loads(done.stdout))
    except ValueError:
        pytest.fail(f"{name}: curl printed no JSON: {done.stdout!r} {done.stderr}")
    # A refusal is problem+json with success "false" and a status; a 200 is the seed's envelope.
    assert body.get("success") == "true", f"{name}: {body}"
    assert "status" not in body, f"{name}: {body}"
    assert "code" not in body, f"{name}: {body}"
    return body


async def test_the_seed_curl_examples_succeed_against_a_live_server(
    live_server: LiveServer, client: httpx.AsyncClient
) -> None:
    tenant = live_server.tenant
    draft = await tenant.create_draft()
    issued = await tenant.issue(draft["id"])
    invoice_id = issued["id"]
    in_process = Tenant(id=tenant.id, public_id=tenant.public_id, token=tenant.token, client=client)

    cancelled = await _run_seed_curl("cancel", live_server, invoice_id)
    invoice = cancelled["data"]["invoice"]
    assert cancelled["data"]["message"] == "Invoice cancelled."
    assert (invoice["id"], invoice["status"], invoice["is_cancelled"]) == (invoice_id, "cancelled", True)
    assert (await in_process.get(f"/invoices/{invoice_id}")).json()["data"]["status"] == "cancelled"

    reverted = await _run_seed_curl("revert_cancel", live_server, invoice_id)
    invoice = reverted["data"]["invoice"]
    assert reverted["data"]["message"] == "Invoice cancellation reverted."
    assert (invoice["id"], invoice["status"], invoice["is_cancelled"]) == (invoice_id, "issued", False)

    archived = await tenant.post(f"/invoices/{invoice_id}/archive")
    assert archived.status_code == 200, archived.text
    assert archived.json()["data"]["is_archived"] is True
    unarchived = await _run_seed_curl("unarchive", live_server, invoice_id)
    invoice = unarchived["data"]
    assert (invoice["id"], invoice["status"], invoice["is_archived"]) == (invoice_id, "issued", False)

    final = (await in_process.get(f"/invoices/{invoice_id}")).json()["data"]
    assert (final["status"], final["is_cancelled"], final["is_archived"]) == ("issued", False, False)
    events = (await in_process.get(f"/invoices/{invoice_id}/events")).json()["data"]
    assert [event["type"] for event in events] == [
        "invoice.created",
        "invoice.issued",
        "invoice.cancelled",
        "invoice.cancel_reverted",
        "invoice.archived",
        "invoice.unarchived",
    ]
    assert final["version"] == events[-1]["sequence"]


async def test_the_seed_curls_refuse_visibly_when_the_state_does_not_allow_them(live_server: LiveServer) -> None:
    """The JSON check above is a real check: a refused seed command prints problem+json, not success."""
    tenant = live_server.tenant
    issued = await tenant.issue((await tenant.create_draft())["id"])
    command = substitute(
        "revert_cancel",
        base_url=f"{live_server.base_url}/api",
        token=tenant.token,
        tenant_id=tenant.id,
        invoice_id=issued["id"],
    )
    done = await asyncio.to_thread(
        subprocess.run, ["bash", "-c", command], capture_output=True, text=True, timeout=CURL_TIMEOUT, check=False
    )
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert (body["success"], body["status"], body["code"]) == ("false", 409, "invoice_not_cancelled")
