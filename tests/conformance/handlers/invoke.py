"""Handlers for the conformance suite ``invoke`` (requirements 5-1 .. 5-16)."""

from __future__ import annotations

from typing import Any

from durable_mp import DurableContext, StepContext, durable_execution, durable_step
from durable_mp.config import Duration, InvokeConfig
from durable_mp.exceptions import InvokeError
from durable_mp.serdes import SerDes, SerDesContext

from ._registry import HandlerRegistry
from ._serdes import UppercaseSerDes
from .targets import ECHO, FAILING, PAYLOAD_SIZE

HANDLERS = HandlerRegistry()


@HANDLERS.register("5-1")
@durable_execution
def invoke_basic(event: Any, context: DurableContext) -> Any:
    return context.invoke(ECHO, event)


@HANDLERS.register("5-2")
@durable_execution
def invoke_with_name(event: Any, context: DurableContext) -> Any:
    return context.invoke(ECHO, event["payload"], name=event["name"])


@HANDLERS.register("5-3")
@durable_execution
def invoke_complex_object(event: Any, context: DurableContext) -> Any:
    complex_input = {"nested": {"key": "value", "items": [1, 2, 3]}, "source": "test"}
    return context.invoke(ECHO, complex_input)


@HANDLERS.register("5-4")
@durable_execution
def invoke_null(event: Any, context: DurableContext) -> Any:
    return context.invoke(ECHO, None)


@HANDLERS.register("5-5")
@durable_execution
def invoke_target_fails(event: Any, context: DurableContext) -> Any:
    return context.invoke(FAILING, event)


@HANDLERS.register("5-6")
@durable_execution
def invoke_failure_caught(event: Any, context: DurableContext) -> str:
    try:
        return context.invoke(FAILING, event)
    except InvokeError:
        return "fallback"


@HANDLERS.register("5-7")
@durable_execution
def invoke_large_payload(event: Any, context: DurableContext) -> Any:
    large_payload = {"blob": "x" * 200_000}  # near the 256 KB checkpoint payload limit
    return context.invoke(PAYLOAD_SIZE, large_payload)


@HANDLERS.register("5-8")
@durable_execution
def invoke_with_tenant(event: Any, context: DurableContext) -> Any:
    return context.invoke(ECHO, event["payload"], config=InvokeConfig(tenant_id=event["tenantId"]))


@HANDLERS.register("5-9")
@durable_execution
def invoke_then_wait(event: Any, context: DurableContext) -> Any:
    result = context.invoke(ECHO, "cached")
    context.wait(Duration.from_seconds(1))
    return result


@HANDLERS.register("5-10")
@durable_execution
def invoke_failure_then_wait(event: Any, context: DurableContext) -> str:
    try:
        outcome = context.invoke(FAILING, event)
    except InvokeError as error:
        outcome = f"caught: {error}"
    context.wait(Duration.from_seconds(1))
    return outcome


@durable_step
def prepare(step_context: StepContext) -> dict[str, str]:
    return {"order": "42"}


@HANDLERS.register("5-11")
@durable_execution
def step_then_invoke(event: Any, context: DurableContext) -> Any:
    prepared = context.step(prepare())
    return context.invoke(ECHO, prepared)


@durable_step
def process(step_context: StepContext, value: Any) -> dict[str, Any]:
    return {"processed": value}


@HANDLERS.register("5-12")
@durable_execution
def invoke_then_step(event: Any, context: DurableContext) -> Any:
    result = context.invoke(ECHO, "from target")
    return context.step(process(result))


@HANDLERS.register("5-13")
@durable_execution
def invoke_in_child_context(event: Any, context: DurableContext) -> Any:
    return context.run_in_child_context(lambda child: child.invoke(ECHO, "inside child"))


@HANDLERS.register("5-14")
@durable_execution
def sequential_invokes(event: Any, context: DurableContext) -> list[Any]:
    first = context.invoke(ECHO, "first")
    second = context.invoke(ECHO, "second")
    return [first, second]


@HANDLERS.register("5-15")
@durable_execution
def invoke_payload_serdes(event: Any, context: DurableContext) -> Any:
    return context.invoke(ECHO, event, config=InvokeConfig(serdes_payload=UppercaseSerDes()))


class UppercaseRawResult(SerDes[str]):
    """Reads the target's raw (JSON text) result uppercased."""

    def serialize(self, value: str, serdes_context: SerDesContext) -> str:
        return value

    def deserialize(self, data: str, serdes_context: SerDesContext) -> str:
        return data.upper()


@HANDLERS.register("5-16")
@durable_execution
def invoke_result_serdes(event: Any, context: DurableContext) -> str:
    return context.invoke(ECHO, event, config=InvokeConfig(serdes_result=UppercaseRawResult()))
