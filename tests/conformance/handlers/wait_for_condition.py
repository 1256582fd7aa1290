"""Handlers for the conformance suite ``wait_for_condition`` (requirements 6-1 .. 6-13)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from durable_mp import DurableContext, StepContext, durable_execution, durable_step
from durable_mp.config import Duration, JitterStrategy
from durable_mp.exceptions import WaitForConditionError
from durable_mp.serdes import SerDes, SerDesContext
from durable_mp.types import WaitForConditionCheckContext
from durable_mp.waits import (
    WaitForConditionConfig,
    WaitForConditionDecision,
    WaitStrategyConfig,
    create_wait_strategy,
)

from ._registry import HandlerRegistry

HANDLERS = HandlerRegistry()


def poll_until(should_continue: Callable[[Any], bool], delay_seconds: int = 1, max_attempts: int = 60):
    """A fixed-delay wait strategy (no backoff, no jitter) polling while ``should_continue(state)``."""
    return create_wait_strategy(
        WaitStrategyConfig(
            should_continue_polling=should_continue,
            max_attempts=max_attempts,
            initial_delay=Duration.from_seconds(delay_seconds),
            backoff_rate=1,
            jitter_strategy=JitterStrategy.NONE,
        )
    )


def increment(state: int, check_context: WaitForConditionCheckContext) -> int:
    return state + 1


def counter_config(threshold: int, initial_state: int = 0, delay_seconds: int = 1) -> WaitForConditionConfig:
    return WaitForConditionConfig(
        wait_strategy=poll_until(lambda state: state < threshold, delay_seconds=delay_seconds),
        initial_state=initial_state,
    )


@HANDLERS.register("6-1")
@durable_execution
def condition_basic(event: Any, context: DurableContext) -> int:
    return context.wait_for_condition(increment, config=counter_config(event))


@HANDLERS.register("6-2")
@durable_execution
def condition_immediate(event: Any, context: DurableContext) -> int:
    config = WaitForConditionConfig(wait_strategy=poll_until(lambda state: state < event), initial_state=5)
    return context.wait_for_condition(lambda state, check_context: state, config=config)


@HANDLERS.register("6-3")
@durable_execution
def condition_with_name(event: Any, context: DurableContext) -> int:
    return context.wait_for_condition(increment, config=counter_config(event), name="poll-status")


@HANDLERS.register("6-4")
@durable_execution
def condition_initial_state(event: Any, context: DurableContext) -> int:
    return context.wait_for_condition(increment, config=counter_config(event, initial_state=5))


@HANDLERS.register("6-5")
@durable_execution
def condition_fixed_delay(event: Any, context: DurableContext) -> int:
    return context.wait_for_condition(increment, config=counter_config(event, delay_seconds=2))


@HANDLERS.register("6-6")
@durable_execution
def condition_max_attempts(event: Any, context: DurableContext) -> int:
    config = WaitForConditionConfig(
        wait_strategy=poll_until(lambda state: True, max_attempts=3), initial_state=event
    )
    return context.wait_for_condition(increment, config=config)


def broken_check(state: Any, check_context: WaitForConditionCheckContext) -> Any:
    raise RuntimeError("status endpoint unavailable")


def always_continue(state: Any, attempts_made: int) -> WaitForConditionDecision:
    return WaitForConditionDecision.continue_waiting(Duration.from_seconds(1))


@HANDLERS.register("6-7")
@durable_execution
def condition_check_raises(event: Any, context: DurableContext) -> Any:
    config = WaitForConditionConfig(wait_strategy=always_continue, initial_state=0)
    return context.wait_for_condition(broken_check, config=config)


@HANDLERS.register("6-8")
@durable_execution
def condition_check_raises_caught(event: Any, context: DurableContext) -> Any:
    config = WaitForConditionConfig(wait_strategy=always_continue, initial_state=0)
    try:
        return context.wait_for_condition(broken_check, config=config)
    except WaitForConditionError:
        return "recovered"


def advance_job(state: dict[str, Any], check_context: WaitForConditionCheckContext) -> dict[str, Any]:
    attempts = state["attempts"] + 1
    return {"status": "DONE" if attempts >= 2 else "PENDING", "attempts": attempts}


@HANDLERS.register("6-9")
@durable_execution
def condition_object_state(event: Any, context: DurableContext) -> dict[str, Any]:
    config = WaitForConditionConfig(
        wait_strategy=poll_until(lambda state: state["status"] == "PENDING"),
        initial_state={"status": "PENDING", "attempts": 0},
    )
    return context.wait_for_condition(advance_job, config=config)


@HANDLERS.register("6-10")
@durable_execution
def condition_null_state(event: Any, context: DurableContext) -> None:
    config = WaitForConditionConfig(
        wait_strategy=poll_until(lambda state: state is not None), initial_state=0
    )
    return context.wait_for_condition(lambda state, check_context: None, config=config)


class Base64TextSerDes(SerDes[str]):
    """Stores string state base64-encoded."""

    def serialize(self, value: str, serdes_context: SerDesContext) -> str:
        return base64.b64encode(value.encode()).decode()

    def deserialize(self, data: str, serdes_context: SerDesContext) -> str:
        return base64.b64decode(data.encode()).decode()


@HANDLERS.register("6-11")
@durable_execution
def condition_custom_serdes(event: Any, context: DurableContext) -> str:
    config = WaitForConditionConfig(
        wait_strategy=poll_until(lambda state: len(state) < 2), initial_state="", serdes=Base64TextSerDes()
    )
    return context.wait_for_condition(lambda state, check_context: state + "x", config=config)


@durable_step
def times_ten(step_context: StepContext, value: int) -> int:
    return value * 10


@HANDLERS.register("6-12")
@durable_execution
def condition_feeds_step(event: Any, context: DurableContext) -> int:
    final_state = context.wait_for_condition(increment, config=counter_config(event))
    return context.step(times_ten(final_state))


@HANDLERS.register("6-13")
@durable_execution
def two_conditions(event: Any, context: DurableContext) -> int:
    first = context.wait_for_condition(increment, config=counter_config(2))
    return context.wait_for_condition(increment, config=counter_config(4, initial_state=first))
