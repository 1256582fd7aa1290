"""Handlers for the conformance suite ``wait_for_callback`` (requirements 7-1 .. 7-15)."""

from __future__ import annotations

from typing import Any

from durable_mp import (
    DurableContext,
    StepContext,
    durable_execution,
    durable_step,
    durable_with_child_context,
)
from durable_mp.config import Duration, JitterStrategy, WaitForCallbackConfig
from durable_mp.exceptions import CallbackError
from durable_mp.retries import RetryStrategyConfig, create_retry_strategy
from durable_mp.serdes import JsonSerDes
from durable_mp.types import WaitForCallbackContext

from ._registry import HandlerRegistry

HANDLERS = HandlerRegistry()


def register_callback(callback_id: str, context: WaitForCallbackContext) -> None:
    """The submitter: hands the callback id to the (external) approver; nothing durable."""
    context.logger.info(f"callback {callback_id} submitted for approval")


def failing_submitter(callback_id: str, context: WaitForCallbackContext) -> None:
    raise RuntimeError("the approval system rejected the submission")


@HANDLERS.register("7-1")
@durable_execution
def wait_for_callback_basic(event: Any, context: DurableContext) -> Any:
    return context.wait_for_callback(register_callback, name=event)


@HANDLERS.register("7-2")
@durable_execution
def wait_for_callback_static_name(event: Any, context: DurableContext) -> Any:
    return context.wait_for_callback(register_callback, name="approval")


@HANDLERS.register("7-3")
@durable_execution
def wait_for_callback_anonymous(event: Any, context: DurableContext) -> Any:
    return context.wait_for_callback(lambda callback_id, submitter_context: None)


@HANDLERS.register("7-4")
@durable_execution
def wait_for_callback_failure(event: Any, context: DurableContext) -> Any:
    return context.wait_for_callback(register_callback, name=event)


@HANDLERS.register("7-5")
@durable_execution
def wait_for_callback_timeout(event: Any, context: DurableContext) -> Any:
    config = WaitForCallbackConfig(timeout=Duration.from_seconds(3))
    return context.wait_for_callback(register_callback, name=event, config=config)


@HANDLERS.register("7-6")
@durable_execution
def wait_for_callback_failure_caught(event: Any, context: DurableContext) -> Any:
    try:
        return context.wait_for_callback(register_callback, name=event)
    except CallbackError:
        return "recovered"


@HANDLERS.register("7-7")
@durable_execution
def wait_for_callback_submitter_retries(event: Any, context: DurableContext) -> Any:
    retry = create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=2,
            initial_delay=Duration.from_seconds(1),
            backoff_rate=1,
            jitter_strategy=JitterStrategy.NONE,
        )
    )
    config = WaitForCallbackConfig(retry_strategy=retry)
    return context.wait_for_callback(failing_submitter, name=event, config=config)


@durable_with_child_context
def wrapper(child: DurableContext, name: str) -> Any:
    return child.wait_for_callback(register_callback, name=name)


@HANDLERS.register("7-8")
@durable_execution
def wait_for_callback_in_child(event: Any, context: DurableContext) -> Any:
    return context.run_in_child_context(wrapper(event))


@HANDLERS.register("7-9")
@durable_execution
def two_wait_for_callbacks(event: Any, context: DurableContext) -> Any:
    context.wait_for_callback(register_callback, name="first")
    return context.wait_for_callback(register_callback, name="second")


@durable_step
def load_order(step_context: StepContext) -> dict[str, str]:
    return {"order": "42", "state": "ready"}


@HANDLERS.register("7-10")
@durable_execution
def wait_step_then_wait_for_callback(event: Any, context: DurableContext) -> Any:
    context.wait(Duration.from_seconds(1))
    context.step(load_order())
    return context.wait_for_callback(register_callback, name=event)


@HANDLERS.register("7-11")
@durable_execution
def wait_for_callback_json_result(event: Any, context: DurableContext) -> Any:
    config = WaitForCallbackConfig(serdes=JsonSerDes())
    return context.wait_for_callback(register_callback, name=event, config=config)["status"]


@HANDLERS.register("7-12")
@durable_execution
def wait_for_callback_heartbeat_timeout(event: Any, context: DurableContext) -> Any:
    config = WaitForCallbackConfig(heartbeat_timeout=Duration.from_seconds(5))
    return context.wait_for_callback(register_callback, name=event, config=config)


@HANDLERS.register("7-13")
@durable_execution
def wait_for_callback_heartbeat_then_success(event: Any, context: DurableContext) -> Any:
    config = WaitForCallbackConfig(heartbeat_timeout=Duration.from_seconds(10))
    return context.wait_for_callback(register_callback, name=event, config=config)


@HANDLERS.register("7-14")
@durable_execution
def wait_for_callback_timeout_caught(event: Any, context: DurableContext) -> Any:
    config = WaitForCallbackConfig(timeout=Duration.from_seconds(3))
    try:
        return context.wait_for_callback(register_callback, name=event, config=config)
    except CallbackError:
        return "timed-out-handled"


@HANDLERS.register("7-15")
@durable_execution
def wait_for_callback_empty_result(event: Any, context: DurableContext) -> Any:
    return context.wait_for_callback(register_callback, name=event)
