"""Handlers for the conformance suite ``wait`` (requirements 2-1 .. 2-5)."""

from __future__ import annotations

from typing import Any

from durable_mp import DurableContext, durable_execution
from durable_mp.config import Duration

from ._registry import HandlerRegistry

HANDLERS = HandlerRegistry()


@HANDLERS.register("2-1")
@durable_execution
def wait_basic(event: Any, context: DurableContext) -> None:
    context.wait(Duration.from_seconds(2))


@HANDLERS.register("2-2")
@durable_execution
def wait_with_name(event: Any, context: DurableContext) -> None:
    context.wait(Duration.from_seconds(2), name="custom_wait_name")


@HANDLERS.register("2-3")
@durable_execution
def sequential_waits(event: Any, context: DurableContext) -> dict[str, int]:
    context.wait(Duration.from_seconds(2), name="wait-1")
    context.wait(Duration.from_seconds(2), name="wait-2")
    return {"completedWaits": 2}


@HANDLERS.register("2-4")
@durable_execution
def wait_minutes(event: Any, context: DurableContext) -> None:
    context.wait(Duration.from_minutes(1))


@HANDLERS.register("2-5")
@durable_execution
def wait_hours(event: Any, context: DurableContext) -> None:
    context.wait(Duration.from_hours(1))
