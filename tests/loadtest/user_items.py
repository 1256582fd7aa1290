"""A user's own map item function for `--workload tests.loadtest.user_items:odd_fails`."""

from __future__ import annotations

from typing import Any

from durable_mp import DurableContext
from durable_mp.config import StepConfig
from durable_mp.retries import RetryPresets


def odd_fails(ctx: DurableContext, item: int, index: int, items: Any) -> int:
    """A step that squares the item; odd items fail (no retries)."""

    def square(_: Any) -> int:
        if item % 2:
            raise ValueError(f"odd item {item}")
        return item * item

    return ctx.step(square, name="square", config=StepConfig(retry_strategy=RetryPresets.none()))
