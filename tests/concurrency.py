"""Running requests truly at once, for the race tests."""

import asyncio
from collections import Counter
from collections.abc import Awaitable

import httpx


async def all_at_once(calls: list[Awaitable[httpx.Response]]) -> list[httpx.Response]:
    """Runs every call at once; fails on an exception raised out of the app or on any 5xx."""
    in_flight = peak = 0

    async def tracked(call: Awaitable[httpx.Response]) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            return await call
        finally:
            in_flight -= 1

    outcomes = await asyncio.gather(*(tracked(call) for call in calls), return_exceptions=True)
    assert peak == len(calls), f"only {peak} of {len(calls)} requests were in flight together"
    raised = [f"{type(outcome).__name__}: {outcome}" for outcome in outcomes if isinstance(outcome, BaseException)]
    assert not raised, f"{len(raised)} of {len(outcomes)} requests raised out of the app: {Counter(raised)}"
    responses = [outcome for outcome in outcomes if isinstance(outcome, httpx.Response)]
    server_errors = [
        f"{response.request.method} {response.request.url.path} -> {response.status_code}: {response.text[:500]}"
        for response in responses
        if response.status_code >= 500
    ]
    assert not server_errors, f"{len(server_errors)} server errors:\n" + "\n".join(server_errors[:5])
    return responses
