"""Child contexts: run_in_child_context, nested blocks, a block tested alone, wait_for_condition."""

from typing import Any

from durable_mp.config import Duration
from durable_mp.context import DurableContext, durable_with_child_context
from durable_mp.execution import durable_execution
from durable_mp.types import WaitForConditionCheckContext
from durable_mp.waits import WaitForConditionConfig, WaitForConditionDecision


@durable_with_child_context
def greet_block(context: DurableContext, name: str) -> str:
    greeting = context.step(lambda _: f"Hello {name}", name="greet")
    context.wait(Duration.from_seconds(1), name="pause")
    return context.step(lambda _: f"{greeting}!", name="exclaim")


@durable_execution
def run_in_child_context(_event: Any, context: DurableContext) -> str:
    return context.run_in_child_context(greet_block("child"), name="child_operation")


@durable_with_child_context
def inner_block(context: DurableContext) -> str:
    return context.step(lambda _: "inner done", name="inner_step")


@durable_with_child_context
def outer_block(context: DurableContext) -> dict[str, str]:
    first = context.step(lambda _: "outer done", name="outer_step")
    nested = context.run_in_child_context(inner_block(), name="inner_block")
    return {"outer": first, "inner": nested}


@durable_execution
def block_example(_event: Any, context: DurableContext) -> dict[str, str]:
    return context.run_in_child_context(outer_block(), name="outer_block")


def count_up(state: int, _context: WaitForConditionCheckContext) -> int:
    return state + 1


def until_three(state: int, _attempt: int) -> WaitForConditionDecision:
    if state >= 3:
        return WaitForConditionDecision.stop_polling()
    return WaitForConditionDecision.continue_waiting(Duration.from_seconds(1))


@durable_execution
def wait_for_condition(_event: Any, context: DurableContext) -> int:
    config = WaitForConditionConfig(initial_state=0, wait_strategy=until_three)
    return context.wait_for_condition(count_up, config=config, name="poll")
