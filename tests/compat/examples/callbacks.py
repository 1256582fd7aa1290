"""Callbacks: create_callback + result, wait_for_callback (success, failure, heartbeat, in a child)."""

from typing import Any

from durable_mp.config import CallbackConfig, Duration, WaitForCallbackConfig
from durable_mp.context import DurableContext
from durable_mp.execution import durable_execution
from durable_mp.types import WaitForCallbackContext


@durable_execution
def callback_created(_event: Any, context: DurableContext) -> str:
    callback = context.create_callback(
        name="example_callback", config=CallbackConfig(timeout=Duration.from_minutes(5))
    )
    return f"Callback created with ID: {callback.callback_id}"


@durable_execution
def callback_result(_event: Any, context: DurableContext) -> Any:
    callback = context.create_callback(name="approval")
    return callback.result()


def submit(callback_id: str, _context: WaitForCallbackContext) -> None:
    """Hand the id to an external system (nothing to do in a test)."""


@durable_execution
def wait_for_callback(_event: Any, context: DurableContext) -> str:
    outcome = context.wait_for_callback(
        submit, name="external_call", config=WaitForCallbackConfig(timeout=Duration.from_minutes(2))
    )
    return f"External system result: {outcome}"


@durable_execution
def wait_for_callback_catching(_event: Any, context: DurableContext) -> dict[str, Any]:
    try:
        outcome = context.wait_for_callback(submit, name="external_call")
    except Exception as error:  # noqa: BLE001 (the example reports any failure)
        return {"success": False, "error": str(error)}
    return {"success": True, "result": outcome}


def child_with_callback(context: DurableContext) -> Any:
    context.step(lambda _: "prepared", name="prepare")
    return context.wait_for_callback(submit, name="child_callback")


@durable_execution
def wait_for_callback_child(_event: Any, context: DurableContext) -> Any:
    return context.run_in_child_context(child_with_callback, name="parent_child")
