"""Durable handlers for the reliability tests (module level: map items may run in worker processes)."""

from __future__ import annotations

import time
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


def sleep_item(ctx: DurableContext, item: dict[str, Any], index: int, items: Any) -> int:
    """One step of item["seconds"] of wall time (sleeping: the same length under any machine load)."""

    def work(_: Any) -> int:
        time.sleep(item["seconds"])
        return index * 10

    return ctx.step(work, name="work")


def cpu_item(ctx: DurableContext, item: dict[str, Any], index: int, items: Any) -> int:
    """One step of item["seconds"] of pure-Python CPU."""

    def work(_: Any) -> int:
        end = time.process_time() + item["seconds"]
        while time.process_time() < end:
            sum(range(1000))
        return index * 10

    return ctx.step(work, name="work")


@durable_execution
def deadline_map(event: dict[str, Any], ctx: DurableContext) -> list[Any]:
    """event: {"func": "sleep_item" | "cpu_item", "items": [{"seconds": s}, ...], "workers": n}."""
    func = globals()[event["func"]]
    config = MapConfig(executor="processes", workers=event.get("workers", 2))
    result = ctx.map(event["items"], func, name="deadline", config=config)
    return [[item.status.value, item.result, item.error and item.error.message] for item in result.all]
