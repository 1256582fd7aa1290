"""The cost of process isolation (`isolation="process"`) against invocations on threads.

Run: python -m loadtests.bench_isolation [--executions 20] [--items 2000] [--batch 200]

1. The start-up of an invocation process: `python -P -m durable_mp.local.isolated_child`'s imports.
2. `--executions` executions of a two-step handler, one after another: ms per execution (one invocation each).
3. A fan-out map (`executor="invoke"`, one step per item, `--batch` items per child, 2 children in
   flight) of `--items` items: seconds, on threads and with each child invocation in its own process.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from typing import Any

from durable_mp import DurableContext, durable_execution
from durable_mp.config import ItemBatcher, MapConfig
from durable_mp.testing import DurableFunctionTestRunner


@durable_execution
def two_steps(event: Any, ctx: DurableContext) -> int:
    a = ctx.step(lambda _: 1, name="a")
    return a + ctx.step(lambda _: 2, name="b")


def plus_one(ctx: DurableContext, item: int, index: int, items: Any) -> int:
    return ctx.step(lambda _: item + 1, name="plus")


@durable_execution(executor="inline")
def fanout(event: dict[str, Any], ctx: DurableContext) -> int:
    config = MapConfig(
        executor="invoke", item_batcher=ItemBatcher(max_items_per_batch=event["batch"]), max_concurrency=2
    )
    return sum(ctx.map(list(range(event["n"])), plus_one, config=config).get_results())


def startup_ms(runs: int = 5) -> float:
    code = "import durable_mp.local.isolated_child, durable_mp.local.isolation, durable_mp.execution"
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-P", "-c", code], check=True, env=os.environ)
        best = min(best, time.perf_counter() - t0)
    return best * 1000


def per_execution_ms(isolation: str, n: int) -> float:
    with DurableFunctionTestRunner(handler=two_steps, isolation=isolation) as runner:
        runner.run(input={}, timeout=60)  # warm up imports
        t0 = time.perf_counter()
        for _ in range(n):
            result = runner.run(input={}, timeout=60)
            assert result.status.name == "SUCCEEDED", result.error
        return (time.perf_counter() - t0) * 1000 / n


def fanout_s(isolation: str, n: int, batch: int) -> tuple[float, int]:
    """Seconds, and the invocation processes started (cold starts; 0 on threads)."""
    with DurableFunctionTestRunner(handler=fanout, isolation=isolation) as runner:
        t0 = time.perf_counter()
        result = runner.run(input={"n": n, "batch": batch}, timeout=300)
        assert result.status.name == "SUCCEEDED", result.error
        assert result.result_value == sum(range(1, n + 1))
        return time.perf_counter() - t0, getattr(runner.service._core.durable["test-function"], "started", 0)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--executions", type=int, default=20)
    p.add_argument("--items", type=int, default=2000)
    p.add_argument("--batch", type=int, default=200)
    args = p.parse_args()
    print(f"invocation process start-up (imports, best of 5): {startup_ms():.0f} ms")
    for isolation in ("thread", "process"):
        print(
            f"{isolation:>7}: {per_execution_ms(isolation, args.executions):6.1f} ms per one-invocation execution"
        )
    children = -(-args.items // args.batch)
    for isolation in ("thread", "process"):
        seconds, cold = fanout_s(isolation, args.items, args.batch)
        print(
            f"{isolation:>7}: fan-out of {args.items} items in {children} children: {seconds:.2f} s "
            f"({cold} invocation processes started)"
        )


if __name__ == "__main__":
    # run under its importable name: an isolated invocation imports the handlers by reference, and
    # __main__ cannot be imported by another process
    from loadtests import bench_isolation  # noqa: PLW0406

    bench_isolation.main()
