"""Handlers for the conformance suite ``callback`` (requirements 4-1 .. 4-19)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from durable_mp import DurableContext, StepContext, durable_execution, durable_step
from durable_mp.config import CallbackConfig, Duration
from durable_mp.exceptions import CallbackError
from durable_mp.serdes import SerDes, SerDesContext

from ._registry import HandlerRegistry

HANDLERS = HandlerRegistry()


def timeout(seconds: int) -> CallbackConfig:
    return CallbackConfig(timeout=Duration.from_seconds(seconds))


@durable_step
def do_work(step_context: StepContext) -> str:
    return "work done"


@HANDLERS.register("4-1")
@durable_execution
def callback_basic(event: Any, context: DurableContext) -> Any:
    return context.create_callback(name=event).result()


@HANDLERS.register("4-2")
@durable_execution
def callback_with_name(event: Any, context: DurableContext) -> Any:
    return context.create_callback(name="approval").result()


@HANDLERS.register("4-3")
@durable_execution
def callback_timeout(event: Any, context: DurableContext) -> Any:
    return context.create_callback(name=event, config=timeout(5)).result()


@HANDLERS.register("4-4")
@durable_execution
def callback_heartbeat_timeout(event: Any, context: DurableContext) -> Any:
    config = CallbackConfig(heartbeat_timeout=Duration.from_seconds(5))
    return context.create_callback(name=event, config=config).result()


@HANDLERS.register("4-5")
@durable_execution
def callback_heartbeat_then_success(event: Any, context: DurableContext) -> Any:
    config = CallbackConfig(heartbeat_timeout=Duration.from_seconds(10))
    return context.create_callback(name=event, config=config).result()


@HANDLERS.register("4-6")
@durable_execution
def callback_failure(event: Any, context: DurableContext) -> Any:
    return context.create_callback(name=event).result()


@HANDLERS.register("4-7")
@durable_execution
def callback_step_then_failure(event: Any, context: DurableContext) -> Any:
    callback = context.create_callback(name=event)
    context.step(do_work())
    return callback.result()


@HANDLERS.register("4-8")
@durable_execution
def callback_step_then_timeout(event: Any, context: DurableContext) -> Any:
    callback = context.create_callback(name=event, config=timeout(5))
    context.step(do_work())
    return callback.result()


@HANDLERS.register("4-9")
@durable_execution
def callback_resolves_during_wait(event: Any, context: DurableContext) -> Any:
    callback = context.create_callback(name=event)
    context.wait(Duration.from_seconds(5))
    return callback.result()


@HANDLERS.register("4-10")
@durable_execution
def callback_fails_during_wait(event: Any, context: DurableContext) -> Any:
    callback = context.create_callback(name=event)
    context.wait(Duration.from_seconds(5))
    return callback.result()


@HANDLERS.register("4-11")
@durable_execution
def callback_times_out_during_wait(event: Any, context: DurableContext) -> Any:
    callback = context.create_callback(name=event, config=timeout(3))
    context.wait(Duration.from_seconds(6))
    return callback.result()


@HANDLERS.register("4-12")
@durable_execution
def callback_then_wait(event: Any, context: DurableContext) -> Any:
    result = context.create_callback(name=event).result()
    context.wait(Duration.from_seconds(2))
    return result


@HANDLERS.register("4-13")
@durable_execution
def callback_failure_caught_then_wait(event: Any, context: DurableContext) -> str:
    try:
        message = f"approved: {context.create_callback(name=event).result()}"
    except CallbackError as error:
        message = f"callback failed: {error}"
    context.wait(Duration.from_seconds(2))
    return message


@HANDLERS.register("4-14")
@durable_execution
def callback_timeout_caught_then_wait(event: Any, context: DurableContext) -> str:
    try:
        message = f"approved: {context.create_callback(name=event, config=timeout(3)).result()}"
    except CallbackError as error:
        message = f"callback timed out: {error}"
    context.wait(Duration.from_seconds(2))
    return message


class ApprovalSerDes(SerDes[dict[str, Any]]):
    """Reads the raw JSON callback payload into a typed record with an epoch-seconds timestamp."""

    def serialize(self, value: dict[str, Any], serdes_context: SerDesContext) -> str:
        return json.dumps(value)

    def deserialize(self, data: str, serdes_context: SerDesContext) -> dict[str, Any]:
        raw = json.loads(data)
        when = datetime.fromisoformat(raw["timestamp"])
        return {"id": raw["id"], "message": raw["message"], "timestamp": int(when.timestamp())}


@HANDLERS.register("4-15")
@durable_execution
def callback_custom_deserializer(event: Any, context: DurableContext) -> dict[str, Any]:
    received = context.create_callback(name=event, config=CallbackConfig(serdes=ApprovalSerDes())).result()
    return {"received": received}


class NumberSerDes(SerDes[int]):
    """Reads the raw callback payload as an integer."""

    def serialize(self, value: int, serdes_context: SerDesContext) -> str:
        return str(value)

    def deserialize(self, data: str, serdes_context: SerDesContext) -> int:
        return int(json.loads(data))


@HANDLERS.register("4-16")
@durable_execution
def callback_number_deserializer(event: Any, context: DurableContext) -> dict[str, int]:
    count = context.create_callback(name=event, config=CallbackConfig(serdes=NumberSerDes())).result()
    return {"count": count, "doubled": count * 2}


@HANDLERS.register("4-17")
@durable_execution
def callbacks_in_sequence(event: Any, context: DurableContext) -> list[Any]:
    first = context.create_callback(name=event[0]).result()
    second = context.create_callback(name=event[1]).result()
    return [first, second]


@HANDLERS.register("4-18")
@durable_execution
def callbacks_awaited_in_order(event: Any, context: DurableContext) -> list[Any]:
    callback_a = context.create_callback(name=event[0])
    callback_b = context.create_callback(name=event[1])
    first = callback_a.result()
    second = callback_b.result()
    return [first, second]


@HANDLERS.register("4-19")
@durable_execution
def callbacks_awaited_in_reverse(event: Any, context: DurableContext) -> list[Any]:
    callback_a = context.create_callback(name=event[0])
    callback_b = context.create_callback(name=event[1])
    second = callback_b.result()
    first = callback_a.result()
    return [first, second]
