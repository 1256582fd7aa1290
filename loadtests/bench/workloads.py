"""The benchmark handlers, written once against an `Sdk` (its decorator and config module).

Item functions are module level, so durable-mp's process executor can ship them to its workers. CPU work
is a calibrated pure-Python loop: the parent calibrates it once and passes the figure to workers through
the environment, so 0.25 s means the same number of iterations everywhere.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from loadtests.bench.sdks import Sdk

CALIBRATION_ENV = "DURABLE_MP_BENCH_LOOPS"
CPU_SECONDS = 0.25


def _calibrate() -> float:
    n = 2_000_000
    t0 = time.perf_counter()
    x = 0
    for i in range(n):
        x = (x + i * i) % 1_000_003
    return n / (time.perf_counter() - t0)


LOOPS_PER_SECOND = float(os.environ.get(CALIBRATION_ENV) or 0) or _calibrate()
os.environ[CALIBRATION_ENV] = str(LOOPS_PER_SECOND)


def burn(seconds: float) -> int:
    """About `seconds` of pure-Python CPU on an idle core."""
    x = 0
    for i in range(int(seconds * LOOPS_PER_SECOND)):
        x = (x + i * i) % 1_000_003
    return x


def cpu_item(ctx: Any, seconds: float, index: int, items: Any) -> int:
    return ctx.step(lambda _: burn(seconds), name="burn")


def trivial_item(ctx: Any, item: int, index: int, items: Any) -> int:
    return ctx.step(lambda _: item + 1, name="inc")


REPLAY_SECONDS: list[float] = []  # time spent in the step loop, one entry per invocation


def cpu_map(sdk: Sdk, n: int) -> Any:
    @sdk.durable_execution
    def handler(event: Any, context: Any) -> int:
        batch = context.map([CPU_SECONDS] * n, cpu_item, name="cpu", config=sdk.config.MapConfig())
        return len(batch.get_results())

    return handler


def sequential_steps(sdk: Sdk, n: int) -> Any:
    @sdk.durable_execution
    def handler(event: Any, context: Any) -> int:
        total = 0
        for i in range(n):
            total += context.step(lambda _, i=i: i, name="s")
        return total

    return handler


def trivial_map(sdk: Sdk, n: int) -> Any:
    @sdk.durable_execution
    def handler(event: Any, context: Any) -> int:
        return sum(
            context.map(
                list(range(n)), trivial_item, name="trivial", config=sdk.config.MapConfig()
            ).get_results()
        )

    return handler


def parallel_branches(sdk: Sdk, n: int) -> Any:
    @sdk.durable_execution
    def handler(event: Any, context: Any) -> int:
        branches = [lambda ctx, i=i: ctx.step(lambda _: i, name="b") for i in range(n)]
        return sum(context.parallel(branches, name="par", config=sdk.config.ParallelConfig()).get_results())

    return handler


def empty(sdk: Sdk, n: int) -> Any:
    @sdk.durable_execution
    def handler(event: Any, context: Any) -> str:
        return "done"

    return handler


def replay_steps(sdk: Sdk, n: int) -> Any:
    """n steps, then a 1 s wait: the second invocation replays the n completed steps (timed in the handler)."""

    @sdk.durable_execution
    def handler(event: Any, context: Any) -> int:
        t0 = time.perf_counter()
        total = 0
        for i in range(n):
            total += context.step(lambda _, i=i: i, name="s")
        REPLAY_SECONDS.append(time.perf_counter() - t0)
        context.wait(sdk.config.Duration.from_seconds(1), name="then")
        return total

    return handler


Builder = Callable[[Sdk, int], Any]
