"""Map/parallel benchmarks (issue 4): CPU-heavy maps on the process pool, trivial maps, parallel, memory.

Run: python -m loadtests.bench_map [--repeat 5] [--workers 2]
Prints medians next to the targets, the official SDK's figures on this machine, and a bare
ProcessPoolExecutor doing the same CPU work (the physical limit).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import psutil

from durable_mp import DurableContext, durable_execution
from durable_mp.config import MapConfig, ParallelConfig
from durable_mp.testing import DurableFunctionTestRunner


def burn(seconds: float) -> int:
    """About `seconds` of pure-Python CPU (calibrated once per process)."""
    n = int(seconds * _LOOPS_PER_SECOND)
    x = 0
    for i in range(n):
        x = (x + i * i) % 1_000_003
    return x


def _calibrate() -> float:
    t0 = time.perf_counter()
    n = 2_000_000
    x = 0
    for i in range(n):
        x = (x + i * i) % 1_000_003
    return n / (time.perf_counter() - t0)


_LOOPS_PER_SECOND = float(os.environ.get("DURABLE_MP_BENCH_LOOPS") or 0) or _calibrate()
os.environ["DURABLE_MP_BENCH_LOOPS"] = str(_LOOPS_PER_SECOND)  # workers inherit the same calibration


def cpu_item(ctx: DurableContext, seconds: float, index: int, items: Any) -> int:
    return ctx.step(lambda _: burn(seconds), name="burn")


def trivial_item(ctx: DurableContext, item: int, index: int, items: Any) -> int:
    return ctx.step(lambda _: item + 1, name="inc")


def make_cpu_map(n: int, executor: str) -> Any:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> int:
        return len(
            context.map([0.25] * n, cpu_item, name="cpu", config=MapConfig(executor=executor)).get_results()
        )

    return handler


def make_trivial_map(n: int, executor: str) -> Any:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> int:
        return sum(
            context.map(
                list(range(n)), trivial_item, name="trivial", config=MapConfig(executor=executor)
            ).get_results()
        )

    return handler


def make_parallel(n: int, executor: str) -> Any:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> int:
        branches = [lambda ctx, i=i: ctx.step(lambda _: i, name="b") for i in range(n)]
        return sum(
            context.parallel(branches, name="par", config=ParallelConfig(executor=executor)).get_results()
        )

    return handler


def timed(handler: Any) -> float:
    with DurableFunctionTestRunner(handler) as runner:
        t0 = time.perf_counter()
        result = runner.run(input={}, timeout=300)
        elapsed = time.perf_counter() - t0
    assert result.status.name == "SUCCEEDED", result.error
    return elapsed


def bare_pool(n: int, workers: int) -> float:
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(burn, [0.01] * workers))  # warm
        t0 = time.perf_counter()
        list(pool.map(burn, [0.25] * n))
        return time.perf_counter() - t0


def memory_growth(handler: Any) -> float:
    gc.collect()
    proc = psutil.Process()
    before = proc.memory_info().rss
    timed(handler)
    gc.collect()
    return (proc.memory_info().rss - before) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    os.environ["DURABLE_MP_WORKERS"] = str(args.workers)
    med = lambda f: statistics.median(f() for _ in range(args.repeat))
    timed(make_trivial_map(4, "processes"))  # warm the pool once, as a warm Lambda environment would be
    cpu32 = med(lambda: timed(make_cpu_map(32, "processes")))
    bare32 = med(lambda: bare_pool(32, args.workers))
    cpu8 = med(lambda: timed(make_cpu_map(8, "processes")))
    bare8 = med(lambda: bare_pool(8, args.workers))
    trivial = med(lambda: timed(make_trivial_map(1000, "processes")))
    trivial_threads = med(lambda: timed(make_trivial_map(1000, "threads")))
    par = med(lambda: timed(make_parallel(100, "processes")))
    par_threads = med(lambda: timed(make_parallel(100, "threads")))
    mem = memory_growth(make_trivial_map(1000, "processes"))
    print(f"machine: {os.cpu_count()} cores, workers={args.workers}, median of {args.repeat}")
    rows = [
        (
            "map 32 x 0.25 s CPU (processes)",
            f"{cpu32:.2f}s",
            f"<= {1.10 * bare32:.2f}s (1.10x bare)",
            "8.99s",
            f"bare pool {bare32:.2f}s",
        ),
        ("map 8 x 0.25 s CPU (processes)", f"{cpu8:.2f}s", "", "2.14s", f"bare pool {bare8:.2f}s"),
        (
            "map 1,000 trivial items (processes)",
            f"{trivial:.3f}s",
            "<= 0.300s",
            "1.11s",
            f"threads {trivial_threads:.3f}s",
        ),
        (
            "parallel 100 trivial branches (processes)",
            f"{par:.3f}s",
            "<= 0.100s",
            "0.19s",
            f"threads {par_threads:.3f}s",
        ),
        ("parent memory growth, 1,000-item map", f"{mem:.1f}MiB", "<= 14MiB", "14.3MiB", ""),
    ]
    print(f"{'benchmark':44} {'durable-mp':>11} {'target':>22} {'official':>9}  note")
    for row in rows:
        print(f"{row[0]:44} {row[1]:>11} {row[2]:>22} {row[3]:>9}  {row[4]}")


if __name__ == "__main__":
    main()
