"""A map item function of your own for the load-test tool:

    durable-mp loadtest --items 30 --workers 1 --policy all_completed --workload examples.loadtest_items:square

The tool calls it as a map item, `square(ctx, item, index, items)` with item = the index; every 7th item
raises, so the report shows failures of your own code.
"""

from __future__ import annotations

from typing import Any

from durable_mp import DurableContext
from durable_mp.config import StepConfig
from durable_mp.retries import RetryPresets

NO_RETRY = StepConfig(retry_strategy=RetryPresets.none())


def square(ctx: DurableContext, item: int, index: int, items: Any) -> int:
    def compute(_: Any) -> int:
        if item % 7 == 6:
            raise ValueError(f"item {item}: every 7th item fails")
        return sum(i * i for i in range(item * 1000))

    return ctx.step(compute, name="square", config=NO_RETRY)
