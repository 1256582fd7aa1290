"""Durable handlers for the reliability tests (module level: map items may run in worker processes)."""

from __future__ import annotations

from typing import Any

from durable_mp import DurableContext, durable_execution
from durable_mp.config import MapConfig

ITEMS = 6


def square_item(ctx: DurableContext, item: int, index: int, items: Any) -> int:
    return ctx.step(lambda _: item * item, name=f"square-{index}")


@durable_execution
def steps_and_map(event: Any, ctx: DurableContext) -> dict[str, Any]:
    """Sequential steps around a threaded map: sync checkpoints, batched background flushes, the final one."""
    first = ctx.step(lambda _: "first", name="first")
    squares = ctx.map(list(range(ITEMS)), square_item, name="squares", config=MapConfig(executor="threads"))
    last = ctx.step(lambda _: "last", name="last")
    return {"first": first, "squares": squares.get_results(), "last": last}


EXPECTED = {"first": "first", "squares": [i * i for i in range(ITEMS)], "last": "last"}
