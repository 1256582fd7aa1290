"""Checkpoint modes against Lambda-like latency (issue 12): wall time and checkpoint calls.

Runs 1,000 sequential steps and a 1,000-item map (one step per item) on the local service with no added
latency and with a fixed delay per checkpoint/state call (default 20 ms), for each checkpoint mode, and
prints the wall time and the number of checkpoint requests the handler made.

    python -m loadtests.bench_latency [--steps 1000] [--items 1000] [--latency 0.02] [--executor threads]
                                      [--modes eager batched optimistic] [--repeat 1]

With --repeat N each figure is the median of N runs (wall time and checkpoint requests separately).
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from typing import Any

from durable_mp import DurableContext, durable_execution
from durable_mp.config import MapConfig
from durable_mp.testing import DurableFunctionTestRunner, ExecutionStatus

MODES = ("eager", "batched", "optimistic")


def _item(ctx: DurableContext, item: int, index: int, items: Any) -> int:
    return ctx.step(lambda _: item + 1, name="inc")


def make_steps(mode: str) -> Any:
    @durable_execution(checkpoint_mode=mode)
    def handler(event: Any, context: DurableContext) -> int:
        total = 0
        for i in range(event["n"]):
            total += context.step(lambda _, i=i: i, name=f"s{i}")
        return total

    return handler


def make_map(mode: str, executor: str) -> Any:
    @durable_execution(checkpoint_mode=mode, executor=executor)
    def handler(event: Any, context: DurableContext) -> int:
        items = list(range(event["n"]))
        return len(context.map(items, _item, name="m", config=MapConfig()).get_results())

    return handler


def measure(handler: Any, n: int, latency: float) -> tuple[float, int]:
    """(wall seconds, checkpoint requests) of one execution."""
    with DurableFunctionTestRunner(handler, latency=latency) as runner:
        client = runner.service.service_client()
        calls = [0]
        lock = threading.Lock()
        checkpoint = client.checkpoint

        def counted(*args: Any) -> Any:
            with lock:
                calls[0] += 1
            return checkpoint(*args)

        client.checkpoint = counted
        started = time.perf_counter()
        result = runner.run(input={"n": n}, timeout=600)
        wall = time.perf_counter() - started
    if result.execution_status is not ExecutionStatus.SUCCEEDED:
        raise RuntimeError(f"benchmark execution ended {result.execution_status}: {result.error}")
    return wall, calls[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per call (default 0.02)")
    parser.add_argument("--executor", default="threads", help="map executor (default threads)")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--repeat", type=int, default=1, help="runs per figure; medians are printed")
    args = parser.parse_args()
    print(f"{'workload':<28}{'mode':<12}{'latency':>9}{'wall s':>9}{'checkpoints':>13}")
    for label, make, n in (
        (f"{args.steps} sequential steps", make_steps, args.steps),
        (f"map of {args.items} ({args.executor})", lambda m: make_map(m, args.executor), args.items),
    ):
        for mode in args.modes:
            for latency in (0.0, args.latency):
                runs = [measure(make(mode), n, latency) for _ in range(max(1, args.repeat))]
                wall = statistics.median(r[0] for r in runs)
                calls = int(statistics.median(r[1] for r in runs))
                print(f"{label:<28}{mode:<12}{latency * 1000:>7.0f}ms{wall:>9.2f}{calls:>13}", flush=True)


if __name__ == "__main__":
    main()
