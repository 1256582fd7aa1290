"""context.map: each item runs in its own child context with one step."""

from typing import Any

from durable_mp.config import MapConfig
from durable_mp.context import DurableContext
from durable_mp.execution import durable_execution


def square(context: DurableContext, item: int, index: int, _items: list[int]) -> int:
    return context.step(lambda _: item * item, name=f"square_{index}")


@durable_execution
def handler(_event: Any, context: DurableContext) -> list[int]:
    return context.map(
        [1, 2, 3, 4, 5], square, name="square", config=MapConfig(max_concurrency=2)
    ).get_results()
