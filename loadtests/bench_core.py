"""Core SDK benchmarks (issue 2): sequential steps, an empty invocation, replay of completed steps.

Run: python -m loadtests.bench_core [--repeat 7]
Prints the median of each figure next to the target and the official SDK's figure on this machine.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from durable_mp import DurableContext, durable_execution
from durable_mp.config import Duration
from durable_mp.local import LocalDurableService
from durable_mp.testing import DurableFunctionTestRunner

N = 1000


@durable_execution
def thousand_steps(event: Any, context: DurableContext) -> int:
    total = 0
    for i in range(N):
        total += context.step(lambda _, i=i: i, name="s")
    return total


@durable_execution
def empty(event: Any, context: DurableContext) -> str:
    return "done"


REPLAY_TIMES: list[float] = []


@durable_execution
def replay_steps(event: Any, context: DurableContext) -> int:
    total = 0
    t0 = time.perf_counter()
    for i in range(N):
        total += context.step(lambda _, i=i: i, name="s")
    REPLAY_TIMES.append(time.perf_counter() - t0)  # invocation 1 runs them, invocation 2 replays them
    context.wait(Duration.from_seconds(1), name="then")
    return total


def run_once(handler: Any) -> tuple[float, Any]:
    with DurableFunctionTestRunner(handler) as runner:
        t0 = time.perf_counter()
        result = runner.run(input={}, timeout=60)
        elapsed = time.perf_counter() - t0
    assert result.status.name == "SUCCEEDED", result.error
    return elapsed, result


def invocation_overhead(repeat: int) -> float:
    """Time of one empty invocation, measured at the handler boundary (durable_invoke)."""
    service = LocalDurableService()
    timings = []
    for _ in range(repeat):
        service.register_durable_function("empty", empty)
        t0 = time.perf_counter()
        service.invoke(FunctionName="empty", Payload=b"{}", InvocationType="RequestResponse")
        timings.append(time.perf_counter() - t0)
    service.close()
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    steps = statistics.median(run_once(thousand_steps)[0] for _ in range(args.repeat))
    empty_inv = statistics.median(run_once(empty)[0] for _ in range(args.repeat))
    REPLAY_TIMES.clear()
    for _ in range(args.repeat):
        run_once(replay_steps)
    replays = REPLAY_TIMES[1::2]  # every second run of the loop is the replay (invocation 2)
    rows = [
        ("1,000 sequential steps (end to end)", steps, 0.15, 2.15),
        ("one empty execution (end to end)", empty_inv, 0.005, 0.104),
        ("replay of 1,000 completed steps (in handler)", statistics.median(replays), 0.010, 0.037),
    ]
    print(f"{'benchmark':48} {'durable-mp':>12} {'target':>9} {'official':>9}")
    for label, value, target, official in rows:
        flag = "ok" if value <= target else "MISS"
        print(f"{label:48} {value * 1000:10.1f}ms {target * 1000:7.0f}ms {official * 1000:7.0f}ms  {flag}")


if __name__ == "__main__":
    main()
