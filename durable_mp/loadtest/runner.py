"""Run one load-test execution: a map of the workload's items under one policy, executor and worker count.

Each execution gets a fresh `DurableFunctionTestRunner` (local service, in-memory store), so nothing from
an earlier execution stays in memory. Measured: the execution's wall time, the batch outcome the handler
returns, the item records of the side channel (see `items`), the invocations in the history, and the
memory peaks (see `memory`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from durable_mp import DurableContext, durable_execution
from durable_mp.config import MapConfig
from durable_mp.loadtest.items import ItemRun, read_records, run_item
from durable_mp.loadtest.memory import MemorySampler
from durable_mp.loadtest.policies import Policy, predict_sequential
from durable_mp.loadtest.spec import Workload
from durable_mp.testing import DurableFunctionTestRunner, ServiceLimits

SETTLE_POLL_SECONDS = 0.02
MAP_NAME = "loadtest"

# A load test measures the map machinery, not Lambda's quotas: a map of N items costs 1 + 2N operations,
# so anything over ~1,500 items would stop at the 3,000 operations per execution a Lambda allows.
LOAD_TEST_LIMITS = ServiceLimits(max_operations=10**9, max_payload_bytes_written=2**40)


@dataclass(frozen=True)
class RunSettings:
    """One configuration: the workload, the policy, where items run and how many at once."""

    workload: Workload
    policy: Policy
    executor: str
    workers: int
    max_concurrency: int | None
    timeout: float = 600.0


def make_handler(settings: RunSettings, channel: str) -> Any:
    """A durable handler mapping `run_item` over the workload; it returns the batch outcome as a dict."""
    w = settings.workload
    items = [(w.kind, cost, fail, channel, w.function) for cost, fail in zip(w.costs, w.fails)]
    config: MapConfig[Any] = MapConfig(
        max_concurrency=settings.max_concurrency,
        completion_config=settings.policy.config,
        executor=settings.executor,
        workers=settings.workers,
    )

    @durable_execution
    def loadtest_handler(event: Any, context: DurableContext) -> dict[str, Any]:
        batch = context.map(items, run_item, name=MAP_NAME, config=config)
        return {
            "reason": batch.completion_reason.value,
            "status": batch.status.value,
            "succeeded": [item.index for item in batch.succeeded()],
            "failed": [item.index for item in batch.failed()],
            "started": [item.index for item in batch.started()],
        }

    return loadtest_handler


def _settle(channel: str, deadline: float) -> list[ItemRun]:
    """The records once no thread of this process still runs an item (orphaned threads finish their
    work: it is wasted work too), or as they stand at `deadline`."""
    me = os.getpid()
    while True:
        runs = read_records(channel)
        if time.monotonic() >= deadline or not any(r.pid == me and not r.finished for r in runs):
            return runs
        time.sleep(SETTLE_POLL_SECONDS)


def _ms(value: Any) -> float:
    return value.timestamp() * 1000.0 if hasattr(value, "timestamp") else float(value)


def decision_seconds(events: list[dict[str, Any]], name: str = MAP_NAME) -> float | None:
    """Time to decision: from the map's ContextStarted to its result checkpoint (ContextSucceeded/Failed),
    i.e. how long the completion policy took to decide, from the history's timestamps."""
    started: dict[str, float] = {}
    for event in events:
        if event.get("Name") != name:
            continue
        if event["EventType"] == "ContextStarted":
            started[event["Id"]] = _ms(event["EventTimestamp"])
        elif event["EventType"] in ("ContextSucceeded", "ContextFailed") and event["Id"] in started:
            return (_ms(event["EventTimestamp"]) - started[event["Id"]]) / 1000.0
    return None


def _fingerprint(outcome: dict[str, Any]) -> str:
    text = "|".join(",".join(map(str, outcome[k])) for k in ("succeeded", "failed", "started"))
    return hashlib.blake2b(f"{outcome['reason']}|{text}".encode(), digest_size=8).hexdigest()


def _work_split(runs: list[ItemRun], counted: set[int], ended: float) -> dict[str, Any]:
    """CPU and item-seconds of the runs whose result the batch used (one finished run per counted item)
    and of all the others (wasted); latencies of the used runs."""
    used_cpu = wasted_cpu = wasted_wall = 0.0
    latencies: list[float] = []
    taken: set[int] = set()
    for r in sorted(runs, key=lambda r: (r.end is None, -(r.end or 0))):
        if r.index in counted and r.index not in taken and r.state in ("S", "F"):
            taken.add(r.index)
            used_cpu += r.cpu
            latencies.append(r.end - r.start)  # type: ignore[operator]  # a finished run (S/F) has its end
        else:
            wasted_cpu += r.cpu
            wasted_wall += max(0.0, (r.end if r.end is not None else ended) - r.start)
    return {
        "cpu_used_seconds": used_cpu,
        "cpu_wasted_seconds": wasted_cpu,
        "item_seconds_wasted": wasted_wall,
        "item_runs": len(runs),
        "latencies": latencies,
    }


def run_once(settings: RunSettings, sampler_interval: float = 0.02) -> dict[str, Any]:
    """Run one execution and measure it; returns a JSON-ready record (plus `latencies`, a list)."""
    channel = tempfile.mkdtemp(prefix="durable-mp-loadtest-")
    try:
        handler = make_handler(settings, channel)
        with (
            MemorySampler(sampler_interval) as sampler,
            DurableFunctionTestRunner(handler, limits=LOAD_TEST_LIMITS) as runner,
        ):
            t0 = time.perf_counter()
            result = runner.run(input={}, timeout=settings.timeout)
            wall = time.perf_counter() - t0
            ended = time.time()
            if result.execution_arn is None:
                raise RuntimeError(f"load-test execution has no ARN: {result.error}")
            events = runner.service.events(result.execution_arn)
        if result.execution_status is None or result.execution_status.value != "SUCCEEDED":
            raise RuntimeError(f"load-test execution ended {result.execution_status}: {result.error}")
        outcome = result.result_value
        max_cost = max(settings.workload.costs, default=0.0)
        runs = _settle(channel, time.monotonic() + min(30.0, 2 * max_cost + 1.0))
    finally:
        shutil.rmtree(channel, ignore_errors=True)
    counted = set(outcome["succeeded"]) | set(outcome["failed"])
    done = len(counted)
    record: dict[str, Any] = {
        "reason": outcome["reason"],
        "batch_status": outcome["status"],
        "succeeded": len(outcome["succeeded"]),
        "failed": len(outcome["failed"]),
        "started_unfinished": len(outcome["started"]),
        "started": done + len(outcome["started"]),
        "never_started": settings.workload.size - done - len(outcome["started"]),
        "failed_items": outcome["failed"],
        "fingerprint": _fingerprint(outcome),
        "wall_seconds": wall,
        "decision_seconds": decision_seconds(events),
        "throughput_items_per_s": done / wall if wall > 0 else 0.0,
        "invocations": sum(1 for e in events if e["EventType"] == "InvocationCompleted"),
        "memory": sampler.peaks.as_mib(),
        **_work_split(runs, counted, ended),
    }
    if settings.max_concurrency == 1 and settings.workload.kind != "call":  # user code fails as it will
        predicted = predict_sequential(settings.policy.config, settings.workload.fails)
        record["matches_prediction"] = (
            predicted.reason,
            predicted.succeeded,
            predicted.failed,
            predicted.never_started,
        ) == (record["reason"], record["succeeded"], record["failed"], record["never_started"])
    else:
        record["matches_prediction"] = None
    return record
