"""`make bench`'s delivery phase: its receiver counts what a worker sends, and its pools do not overlap."""

import subprocess
import sys
import time

import httpx
from bench.layout import plan
from bench.server import free_port, stop_process


def test_the_bench_receiver_answers_204_on_one_connection_and_counts_by_webhook_id() -> None:
    port = free_port()
    receiver = subprocess.Popen(  # the process the bench starts, as it starts it
        [sys.executable, "-m", "bench.receiver", "--port", str(port)], start_new_session=True
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", trust_env=False) as client:
            deadline = time.monotonic() + 30
            while True:
                try:
                    client.get("/counts")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "the receiver did not start"
                    time.sleep(0.05)
            answers = [
                client.post("/hooks/1", content=b'{"type": "invoice.cancelled"}', headers={"webhook-id": webhook_id})
                for webhook_id in ("msg_a", "msg_b", "msg_a")
            ]
            client.post("/hooks/1", content=b"{}")
            counts = client.get("/counts").json()
            missing = client.get("/elsewhere")
    finally:
        stop_process(receiver)

    assert [answer.status_code for answer in answers] == [204, 204, 204]
    assert all(answer.headers.get("connection") != "close" for answer in answers)  # kept alive
    assert {key: counts[key] for key in ("requests", "distinct", "duplicates", "without_id")} == {
        "requests": 4,
        "distinct": 2,
        "duplicates": 1,
        "without_id": 1,
    }
    assert counts["first_at"] <= counts["last_at"] <= time.monotonic()
    assert missing.status_code == 404


def test_the_cancel_revert_pools_of_the_scenario_and_of_the_delivery_phase_are_disjoint() -> None:
    layout = plan(10_000, 4)
    pools = [layout.cycle_peak, layout.cycle_latency, layout.cycle_backlog, layout.cycle_lag]

    assert all(pool.count > 0 for pool in pools)
    assert [pool.first for pool in pools[1:]] == [pool.last + 1 for pool in pools[:-1]]
    assert pools[-1].last + 1 == layout.drafts_peak.first
