"""What the operations middleware (metrics + the request log line) costs per request.

Requests per second of the real `GET /api/v1/invoices/{id}` route, in process (httpx's
ASGITransport, one client, SQLite), with the middleware and without it. Send stderr (the log
lines) to /dev/null so the figure is their formatting, not a terminal. Reported, not asserted.

    PYTHONPATH=src .venv/bin/python -m bench.overhead [--requests 3000] 2>/dev/null
"""

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import httpx

from invoicing.app import create_app
from invoicing.auth.scopes import ALL_SCOPES
from invoicing.auth.service import create_token
from invoicing.config import Settings
from invoicing.core.db import create_engine, transaction
from invoicing.core.migrate import upgrade
from invoicing.operations.middleware import ObservabilityMiddleware
from invoicing.tenants.service import create_tenant


async def requests_per_second(url: str, *, observed: bool, requests: int) -> float:
    app = create_app(Settings(database_url=url, rate_limit_per_second=0, auth_failures_per_minute=0))
    if not observed:  # the stack is built on the first request: drop the middleware before it
        app.user_middleware = [m for m in app.user_middleware if m.cls is not ObservabilityMiddleware]  # type: ignore[comparison-overlap]
    app.state.engine = engine = create_engine(url)
    async with transaction(engine, write=True) as connection:
        tenant = await create_tenant(connection, name="Bench")
        token = await create_token(connection, tenant_id=tenant["id"], scopes=ALL_SCOPES, expires_in=None)
    headers = {"Authorization": f"Bearer {token.token}", "X-Tenant": str(tenant["id"])}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench", headers=headers) as client:
        customer = (await client.post("/api/v1/customers", json={"first_name": "A", "last_name": "B"})).json()
        line = {"name": "Work", "quantity": "1", "unit_price": "10.00", "vat_rate_percent": "20"}
        invoice = await client.post("/api/v1/invoices", json={"customer_id": customer["data"]["id"], "lines": [line]})
        path = f"/api/v1/invoices/{invoice.json()['data']['id']}"
        for _ in range(200):  # warm-up
            await client.get(path)
        started = time.perf_counter()
        for _ in range(requests):
            response = await client.get(path)
        elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.text
    await engine.dispose()
    return requests / elapsed


async def main(requests: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'overhead.db'}"
        await asyncio.to_thread(upgrade, url)
        figures: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(rounds):  # interleaved, so drift in the machine's load hits both alike
            for observed in (False, True):
                figures[observed].append(await requests_per_second(url, observed=observed, requests=requests))
    plain, with_it = max(figures[False]), max(figures[True])
    print(f"GET /api/v1/invoices/{{id}}, in process, SQLite, best of {rounds} x {requests} requests")
    print(f"  without the operations middleware: {plain:8.0f} req/s ({1e6 / plain:6.0f} us/request)")
    print(f"  with it (metrics + log line):      {with_it:8.0f} req/s ({1e6 / with_it:6.0f} us/request)")
    print(f"  overhead: {1e6 / with_it - 1e6 / plain:+.0f} us/request ({(plain / with_it - 1) * 100:+.1f} %)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.requests, arguments.rounds))
