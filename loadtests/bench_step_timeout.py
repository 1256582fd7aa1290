"""Benchmarks of step timeouts (docs/steps_and_sagas.md): prints what a timeout costs.

    python loadtests/bench_step_timeout.py

Figures: a process-map item whose first attempt is stuck in CPU work, killed at its 1 s timeout and
retried on a fresh worker (the retry delay skipped), against the same item whose first attempt fails at
once (the difference less 1 s is the kill, the replacement and the rerun); and the cost per step of a
timeout in the handler's process (the body runs in a daemon thread) against no timeout.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from durable_mp import DurableContext, durable_execution
from durable_mp.config import Duration, JitterStrategy, MapConfig, StepConfig
from durable_mp.retries import RetryStrategyConfig, create_retry_strategy
from durable_mp.testing import DurableFunctionTestRunner

RETRY = create_retry_strategy(
    RetryStrategyConfig(max_attempts=2, initial_delay=Duration(1), jitter_strategy=JitterStrategy.NONE)
)
ROOT_STEPS = 300


def item_handler(stuck: bool) -> Any:
    def body(step_context: Any) -> int:
        if step_context.attempt == 1:
            if stuck:
                while True:
                    pass
            raise ConnectionError("fails at once")
        return 1

    def item(ctx: DurableContext, x: int, index: int, items: list[int]) -> int:
        return ctx.step(body, name="spin", config=StepConfig(timeout=Duration(1), retry_strategy=RETRY))

    @durable_execution
    def handler(event: dict[str, Any], context: DurableContext) -> list[int]:
        return context.map([0], item, config=MapConfig(executor="processes")).get_results()

    return handler


def root_handler(config: StepConfig) -> Any:
    @durable_execution
    def handler(event: dict[str, Any], context: DurableContext) -> int:
        for i in range(ROOT_STEPS):
            context.step(lambda _, i=i: i, name=f"s{i}", config=config)
        return ROOT_STEPS

    return handler


def timed(handler: Any) -> float:
    with DurableFunctionTestRunner(handler) as runner:
        started = time.perf_counter()
        result = runner.run(input={}, timeout=60)
        elapsed = time.perf_counter() - started
    assert result.status.name == "SUCCEEDED", result.error
    return elapsed


def main() -> None:
    timed(item_handler(False))  # warm the worker pool
    fast = statistics.median(timed(item_handler(False)) for _ in range(3))
    stuck = statistics.median(timed(item_handler(True)) for _ in range(3))
    print(f"process item, attempt 1 fails at once:          {fast:.3f} s (median of 3)")
    print(f"process item, attempt 1 stuck, killed at 1 s:   {stuck:.3f} s (median of 3)")
    print(f"  kill + replacement + rerun beyond the timeout: {stuck - fast - 1:.3f} s")
    plain = statistics.median(timed(root_handler(StepConfig())) for _ in range(3))
    with_timeout = statistics.median(timed(root_handler(StepConfig(timeout=Duration(60)))) for _ in range(3))
    print(f"root steps, no timeout:  {plain / ROOT_STEPS * 1e6:.0f} us/step")
    print(
        f"root steps, timeout=60s: {with_timeout / ROOT_STEPS * 1e6:.0f} us/step (a daemon thread per attempt)"
    )


if __name__ == "__main__":
    main()
