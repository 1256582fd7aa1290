"""Workflows the CLI tests run by file path (`tests/cli/workflows.py:NAME`)."""

from __future__ import annotations

import json
import time
from typing import Any

from durable_mp import DurableContext, durable_execution
from durable_mp.config import Duration, MapConfig


@durable_execution
def greet(event: dict[str, Any], context: DurableContext) -> str:
    name = context.step(lambda _: event.get("name", "World"), name="who")
    context.wait(Duration.from_hours(2), name="nap")
    return context.step(lambda _: f"Hello, {name}!", name="greeting")


@durable_execution
def boom(event: dict[str, Any], context: DurableContext) -> None:
    context.step(lambda _: 1, name="fine")
    raise ValueError("bad input: no widgets")


def _append(path: str, line: str, pause: float) -> int:
    if pause:
        time.sleep(pause)
    with open(path, "a") as handle:
        handle.write(line + "\n")
        handle.flush()
    return 1


@durable_execution
def counting(event: dict[str, Any], context: DurableContext) -> int:
    """`n` steps; each appends its index to the file `log` (so reruns are visible) after `pause` seconds."""
    total = 0
    for i in range(event["n"]):
        context.step(lambda _, i=i: _append(event["log"], str(i), event.get("pause", 0.0)), name=f"line-{i}")
        total += i
    return total


@durable_execution
def approval(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    context.step(lambda _: "prepared", name="prepare")
    callback = context.create_callback(name="approve")
    answer = callback.result()
    return {"answer": json.loads(answer) if answer else None}


@durable_execution
def mapper(event: dict[str, Any], context: DurableContext) -> list[int]:
    def item(ctx: DurableContext, x: int, index: int, items: list[int]) -> int:
        time.sleep(event.get("pause", 0.0))
        return x * x

    batch = context.map(
        list(range(event.get("items", 8))), item, name="squares", config=MapConfig(executor="inline")
    )
    return batch.get_results()


def not_durable(event: Any, context: Any) -> None:
    return None


@durable_execution
def doubler(event: dict[str, Any], context: DurableContext) -> int:
    return context.step(lambda _: event["x"] * 2, name="double")


@durable_execution
def invoker(event: dict[str, Any], context: DurableContext) -> Any:
    return context.invoke("doubler", {"x": event.get("x", 21)}, name="ask-doubler")


@durable_execution
def slow_steps(event: dict[str, Any], context: DurableContext) -> int:
    total = 0
    for i in range(event.get("steps", 6)):
        total += context.step(lambda _, i=i: (time.sleep(event.get("pause", 0.25)), i)[1], name=f"slow-{i}")
    return total


@durable_execution
def chatty(event: dict[str, Any], context: DurableContext) -> str:
    context.logger.info("hello from the handler", extra={"order": "o-9"})
    return context.step(lambda _: "done", name="work")


@durable_execution
def record(event: dict[str, Any], context: DurableContext) -> dict[str, Any]:
    return context.step(lambda _: {"id": 7, "tags": ("a", "b")}, name="make-record")


def _lookup(key: str) -> int:
    raise KeyError(f"no price for {key}")


@durable_execution
def bad_step(event: dict[str, Any], context: DurableContext) -> int:
    from durable_mp.config import StepConfig
    from durable_mp.retries import RetryPresets

    return context.step(
        lambda _: _lookup("lamp"), name="price", config=StepConfig(retry_strategy=RetryPresets.none())
    )


def _chatty_item(ctx: DurableContext, item: int, index: int, items: list[int]) -> int:
    ctx.logger.info(f"item {item} from a worker")
    return item


@durable_execution
def chatty_map(event: dict[str, Any], context: DurableContext) -> list[int]:
    batch = context.map([0, 1], _chatty_item, name="talk", config=MapConfig(executor="processes", workers=1))
    return batch.get_results()
