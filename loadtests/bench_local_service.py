"""Per-checkpoint cost of the local durable execution service, in memory and with SQLite.

Runs one raw-protocol handler (no SDK) that checkpoints N steps, as one START+SUCCEED batch per step
(2 updates) and as separate START / SUCCEED requests (1 update), and prints the cost per checkpoint
request. Also times 1,000 sequential SDK steps end to end through DurableFunctionTestRunner, and the
start-up of a service on a SQLite file that holds 1,000 finished executions (the CLI's default store
grows with each run).

    python loadtests/bench_local_service.py [--steps 5000] [--finished 1000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from durable_mp.local import LocalDurableService, MemoryStore, ServiceLimits, SqliteStore


class Steps:
    """A handler that checkpoints `n` steps, timing only the checkpoint calls."""

    def __init__(self, n: int, batched: bool) -> None:
        self.n, self.batched, self.seconds, self.requests = n, batched, 0.0, 0

    def durable_invoke(self, event: dict[str, Any], context: Any, client: Any) -> dict[str, Any]:
        arn, token = event["DurableExecutionArn"], event["CheckpointToken"]
        checkpoint = client.checkpoint
        started = time.perf_counter()
        for i in range(self.n):
            op = f"step-{i}"
            start = {"Id": op, "Type": "STEP", "SubType": "Step", "Action": "START"}
            done = {"Id": op, "Type": "STEP", "Action": "SUCCEED", "Payload": str(i)}
            if self.batched:
                token = checkpoint(arn, token, [start, done])["CheckpointToken"]
            else:
                token = checkpoint(arn, token, [start])["CheckpointToken"]
                token = checkpoint(arn, token, [done])["CheckpointToken"]
        self.seconds = time.perf_counter() - started
        self.requests = self.n if self.batched else 2 * self.n
        return {"Status": "SUCCEEDED", "Result": "null"}


def measure(store_kind: str, batched: bool, n: int) -> float:
    """Microseconds per checkpoint request (median of 3 runs)."""
    samples = []
    for _ in range(3):
        with tempfile.TemporaryDirectory() as tmp:
            store = MemoryStore() if store_kind == "memory" else SqliteStore(os.path.join(tmp, "bench.db"))
            service = LocalDurableService(
                store=store, skip_time=True, limits=ServiceLimits(max_operations=n + 10)
            )
            handler = Steps(n, batched)
            service.register_durable_function("bench", handler)
            arn = service.start_execution("bench")
            assert service.wait_for_execution(arn, 120)["Status"] == "SUCCEEDED"
            service.close()
            samples.append(handler.seconds / handler.requests * 1e6)
    return statistics.median(samples)


def startup(finished: int, steps: int = 10) -> tuple[float, int]:
    """Milliseconds to open a service on a file with `finished` ended executions (median of 5) and the
    file's size in bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "startup.db")
        service = LocalDurableService(store=SqliteStore(path), skip_time=True)
        service.register_durable_function("bench", Steps(steps, batched=True))
        for _ in range(finished):
            arn = service.start_execution("bench")
            assert service.wait_for_execution(arn, 60)["Status"] == "SUCCEEDED"
        service.close()
        samples = []
        for _ in range(5):
            started = time.perf_counter()
            service = LocalDurableService(store=SqliteStore(path), skip_time=True)
            samples.append(time.perf_counter() - started)
            service.close()
        return statistics.median(samples) * 1000, os.path.getsize(path)


def sdk_steps(count: int) -> float | None:
    try:
        from durable_mp import durable_execution
        from durable_mp.testing import DurableFunctionTestRunner
    except ImportError:
        return None

    @durable_execution
    def handler(event: Any, context: Any) -> str:
        for i in range(count):
            context.step(lambda _, i=i: i)
        return "ok"

    times = []
    for _ in range(5):
        with DurableFunctionTestRunner(handler) as runner:
            started = time.perf_counter()
            result = runner.run(timeout=60)
            times.append(time.perf_counter() - started)
            assert result.execution_status is not None and result.execution_status.value == "SUCCEEDED"
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--finished", type=int, default=1000)
    args = parser.parse_args()
    print(f"checkpoint cost per request, {args.steps} steps, median of 3 runs")
    print(f"{'store':8} {'updates/request':>16} {'us/request':>12}")
    for store_kind in ("memory", "sqlite"):
        for batched in (False, True):
            us = measure(store_kind, batched, args.steps)
            print(f"{store_kind:8} {2 if batched else 1:>16} {us:>12.1f}")
    seconds = sdk_steps(1000)
    if seconds is not None:
        print(
            f"1,000 sequential SDK steps end to end (DurableFunctionTestRunner, memory): {seconds * 1000:.0f} ms"
        )
    ms, size = startup(args.finished)
    print(
        f"service start-up on a SQLite file with {args.finished:,} finished executions "
        f"(10 steps each, {size / 1e6:.1f} MB), median of 5: {ms:.1f} ms"
    )


if __name__ == "__main__":
    main()
