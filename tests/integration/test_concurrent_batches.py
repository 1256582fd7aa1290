"""Several process-pool batches at once: each coordinator gets a pool of its own (the warm one or a private one)."""

from __future__ import annotations

import threading
from typing import Any

from durable_mp import DurableContext, durable_execution
from durable_mp.config import MapConfig, ParallelConfig
from durable_mp.testing import DurableFunctionTestRunner


def square(ctx: DurableContext, item: int, index: int, items: Any) -> int:
    return ctx.step(lambda _: item * item, name="square")


def inner_map(ctx: DurableContext, base: int) -> int:
    result = ctx.map(
        [base + i for i in range(6)], square, name="inner", config=MapConfig(executor="processes", workers=2)
    )
    return sum(result.get_results())


@durable_execution
def nested(event: Any, context: DurableContext) -> list[int]:
    branches = [lambda c, b=b: inner_map(c, b) for b in (0, 10, 20)]
    return context.parallel(branches, name="outer", config=ParallelConfig(executor="threads")).get_results()


def test_process_maps_inside_concurrent_thread_branches() -> None:
    with DurableFunctionTestRunner(nested) as runner:
        result = runner.run(input={}, timeout=60)
    assert result.status.name == "SUCCEEDED", result.error
    expected = [sum((b + i) ** 2 for i in range(6)) for b in (0, 10, 20)]
    assert result.result_value == expected


@durable_execution
def simple(event: Any, context: DurableContext) -> int:
    return sum(
        context.map(list(range(8)), square, name="m", config=MapConfig(executor="processes")).get_results()
    )


def test_two_executions_mapping_at_the_same_time() -> None:
    results: list[Any] = []

    def run() -> None:
        with DurableFunctionTestRunner(simple) as runner:
            results.append(runner.run(input={}, timeout=60))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert len(results) == 3
    assert all(r.status.name == "SUCCEEDED" for r in results), [r.error for r in results]
    assert [r.result_value for r in results] == [sum(i * i for i in range(8))] * 3
