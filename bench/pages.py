"""The dashboard phase: how long the server takes to answer the invoice list page and the
invoice page, for a person signed in to one tenant of the seeded data.

One account is made in tenant 1 through the users service; one client signs in over HTTP as a
browser would, then asks for pages one at a time (one connection, nothing queued, so each
latency is the server's time plus a loopback round trip): the list's first page, list pages
further down by cursor, and random invoices of the tenant. Reported, never asserted
(docs/benchmarks.md: the aim is a p99 under 50 ms at 100,000 invoices).
"""

import asyncio
import random
import re
import time
from dataclasses import dataclass
from typing import Any

import httpx

from bench.databases import BenchDatabase
from bench.layout import Layout
from bench.stats import percentile
from invoicing.core.db import APP_ROLE, create_engine, transaction
from invoicing.users.service import create_user

TENANT = 1
EMAIL = "bench-owner@bench.example"
PASSWORD = "bench dashboard password"  # noqa: S105 (the bench database's throwaway account)
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
NEXT_PAGE = re.compile(r'href="/app/invoices(\?[^"]*cursor=[^"]+)" rel="next"')


@dataclass(frozen=True, slots=True)
class PageResult:
    name: str
    database: str
    requests: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "database": self.database,
            "requests": self.requests,
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "max_ms": round(self.max_ms, 2),
        }


async def _account(database: BenchDatabase) -> None:
    engine = create_engine(database.url, role=APP_ROLE if database.kind == "postgresql" else None)
    try:
        async with transaction(engine, write=True) as connection:
            await create_user(
                connection, tenant_id=TENANT, email=EMAIL, name="Bench Owner", password=PASSWORD, role="owner"
            )
    finally:
        await engine.dispose()


def _timed(http: httpx.Client, path: str, samples: list[float]) -> str:
    started = time.perf_counter()
    response = http.get(path)
    samples.append(1000 * (time.perf_counter() - started))
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:300]}")
    return response.text


def measure_pages(database: BenchDatabase, base_url: str, layout: Layout, requests: int) -> list[PageResult]:
    asyncio.run(_account(database))
    ids = [
        invoice_id
        for invoice_id in range(TENANT, layout.invoices + 1, layout.tenants)
        if layout.tenant_of(invoice_id) == TENANT
    ]
    chosen = random.Random(7)  # noqa: S311 (a benchmark's sample, not a secret)
    # The dashboard's cookies are Secure, which httpx keeps from an http:// address; a browser sends
    # them to the loopback, so each is copied into the jar as a plain cookie here.
    with httpx.Client(base_url=base_url, timeout=30) as http:
        form = http.get("/app/login")
        for name, value in form.cookies.items():
            http.cookies.set(name, value)
        signed_in = http.post(
            "/app/login",
            data={"csrf_token": CSRF.search(form.text).group(1), "email": EMAIL, "password": PASSWORD},  # type: ignore[union-attr]
        )
        if signed_in.status_code != 303:
            raise RuntimeError(f"signing in: {signed_in.status_code}")
        for name, value in signed_in.cookies.items():
            http.cookies.set(name, value)
        first: list[float] = []
        deeper: list[float] = []
        invoice: list[float] = []
        for _ in range(2):  # warm-up: templates compiled, statements cached
            _timed(http, "/app/invoices", [])
            _timed(http, f"/app/invoices/{ids[0]}", [])
        for _ in range(requests):
            _timed(http, "/app/invoices", first)
            _timed(http, f"/app/invoices/{chosen.choice(ids)}", invoice)
        path = "/app/invoices"
        while len(deeper) < requests:
            text = _timed(http, path, deeper)
            found = NEXT_PAGE.search(text)
            path = "/app/invoices" + found.group(1).replace("&amp;", "&") if found else "/app/invoices"
    kind = database.kind
    return [
        _result("invoice list, first page", kind, first),
        _result("invoice list, by cursor", kind, deeper),
        _result("invoice page", kind, invoice),
    ]


def _result(name: str, database: str, samples: list[float]) -> PageResult:
    ordered = sorted(samples)
    return PageResult(
        name=name,
        database=database,
        requests=len(samples),
        p50_ms=percentile(ordered, 50),
        p99_ms=percentile(ordered, 99),
        max_ms=ordered[-1],
    )
