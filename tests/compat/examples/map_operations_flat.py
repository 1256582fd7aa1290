"""context.map in FLAT mode: each item's step hangs directly off the map operation."""

from typing import Any

from durable_mp.config import MapConfig, NestingType
from durable_mp.context import DurableContext
from durable_mp.execution import durable_execution


def double(context: DurableContext, item: int, index: int, _items: list[int]) -> int:
    return context.step(lambda _: item * 2, name=f"map_item_{index}")


@durable_execution
def handler(_event: Any, context: DurableContext) -> list[int]:
    return context.map(
        [1, 2, 3, 4, 5], double, name="map_operation", config=MapConfig(nesting_type=NestingType.FLAT)
    ).get_results()
