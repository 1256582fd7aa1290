"""context.map with max_concurrency, min_successful and a failure tolerance."""

from typing import Any

from durable_mp.config import CompletionConfig, MapConfig
from durable_mp.context import DurableContext
from durable_mp.execution import durable_execution


def process(context: DurableContext, item: int, index: int, _items: list[int]) -> str:
    return context.step(lambda _: f"processed {item}", name=f"process_{index}")


def fail_odd(context: DurableContext, item: int, index: int, _items: list[int]) -> int:
    def work(_: Any) -> int:
        if item % 2:
            raise ValueError(f"item {item} is odd")
        return item

    return context.step(work, name=f"check_{index}")


@durable_execution
def map_with_max_concurrency(_event: Any, context: DurableContext) -> list[str]:
    return context.map(
        list(range(1, 11)), process, name="max_concurrency_map", config=MapConfig(max_concurrency=3)
    ).get_results()


@durable_execution
def map_with_min_successful(_event: Any, context: DurableContext) -> dict[str, Any]:
    result = context.map(
        list(range(1, 11)),
        process,
        name="min_successful_map",
        config=MapConfig(max_concurrency=1, completion_config=CompletionConfig(min_successful=3)),
    )
    return {"success_count": result.success_count, "reason": result.completion_reason.value}


@durable_execution
def map_with_failure_tolerance(_event: Any, context: DurableContext) -> dict[str, Any]:
    result = context.map(
        [2, 4, 5, 6, 7, 8],
        fail_odd,
        name="tolerant_map",
        config=MapConfig(completion_config=CompletionConfig(tolerated_failure_count=3)),
    )
    return {
        "successes": sorted(result.get_results()),
        "failure_count": result.failure_count,
        "reason": result.completion_reason.value,
    }
