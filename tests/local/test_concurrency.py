"""Chained-invoke children run concurrently, at most `max_function_concurrency` per function at once."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from durable_mp.local import LocalDurableService, ServiceLimits
from tests.local.conftest import run
from tests.local.rawhandlers import PENDING, Run, Script, ok

CHILDREN = 6
CHILD_SECONDS = 0.05


class Gauge:
    """Children meet at a barrier of `parties`: they pass only if that many run at the same time."""

    def __init__(self, parties: int) -> None:
        self.lock = threading.Lock()
        self.barrier = threading.Barrier(parties, timeout=10)
        self.now = 0
        self.peak = 0

    def child(self, r: Run) -> dict[str, Any]:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        self.barrier.wait()
        time.sleep(CHILD_SECONDS)
        with self.lock:
            self.now -= 1
        return ok('"child"')


def fan_out(r: Run) -> dict[str, Any]:
    ids = [f"c{i}" for i in range(CHILDREN)]
    if not r.ops.keys() & set(ids):
        r.checkpoint(
            *[
                {
                    "Id": i,
                    "Type": "CHAINED_INVOKE",
                    "Action": "START",
                    "ChainedInvokeOptions": {"FunctionName": "child"},
                }
                for i in ids
            ]
        )
        return PENDING
    if all(r.status(i) == "SUCCEEDED" for i in ids):
        return ok(str(CHILDREN))
    return PENDING


@pytest.mark.parametrize(("cap", "peak"), [(None, CHILDREN), (2, 2)])
def test_children_progress_in_parallel_up_to_the_cap(cap: int | None, peak: int) -> None:
    limits = ServiceLimits() if cap is None else ServiceLimits(max_function_concurrency=cap)
    gauge = Gauge(peak)
    with LocalDurableService(skip_time=True, limits=limits) as service:
        service.register_durable_function("child", Script(gauge.child))
        started = time.monotonic()
        out = run(service, "parent", Script(fan_out))
        took = time.monotonic() - started
    assert out["Status"] == "SUCCEEDED" and out["Result"] == str(CHILDREN)
    assert gauge.peak == peak
    assert took >= -(-CHILDREN // peak) * CHILD_SECONDS * 0.95  # waves of `peak` children
