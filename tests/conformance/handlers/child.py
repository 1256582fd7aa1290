"""Handlers for the conformance suite ``child`` (requirements 3-1 .. 3-18)."""

from __future__ import annotations

import sys
import time
from typing import Any

from durable_mp import (
    ChildContextError,
    DurableContext,
    StepContext,
    durable_execution,
    durable_step,
    durable_with_child_context,
)
from durable_mp.config import ChildConfig, Duration, JitterStrategy, StepConfig
from durable_mp.retries import RetryPresets, RetryStrategyConfig, create_retry_strategy
from durable_mp.serdes import SerDes, SerDesContext

from ._registry import HandlerRegistry

HANDLERS = HandlerRegistry()

NO_RETRY = StepConfig(retry_strategy=RetryPresets.none())


def retries(max_attempts: int) -> StepConfig:
    """Retry up to ``max_attempts`` attempts in all, 1 s apart."""
    return StepConfig(
        retry_strategy=create_retry_strategy(
            RetryStrategyConfig(
                max_attempts=max_attempts,
                initial_delay=Duration.from_seconds(1),
                backoff_rate=1,
                jitter_strategy=JitterStrategy.NONE,
            )
        )
    )


@durable_step
def echo(step_context: StepContext, value: Any) -> Any:
    return value


@durable_step
def fail(step_context: StepContext) -> None:
    raise RuntimeError("step inside the child failed")


@HANDLERS.register("3-1")
@durable_execution
def child_basic(event: Any, context: DurableContext) -> Any:
    return context.run_in_child_context(lambda child: child.step(echo(event)))


@HANDLERS.register("3-2")
@durable_execution
def child_with_name(event: Any, context: DurableContext) -> Any:
    return context.run_in_child_context(lambda child: child.step(echo(event["value"])), name=event["name"])


@durable_with_child_context
def two_steps(child: DurableContext, value: Any) -> Any:
    first = child.step(echo(value))
    return child.step(echo(first))


@HANDLERS.register("3-3")
@durable_execution
def child_sequential_steps(event: Any, context: DurableContext) -> Any:
    return context.run_in_child_context(two_steps(event))


@durable_with_child_context
def failing_child(child: DurableContext) -> None:
    child.step(fail(), config=NO_RETRY)


@HANDLERS.register("3-4")
@durable_execution
def child_error(event: Any, context: DurableContext) -> None:
    context.run_in_child_context(failing_child())


@HANDLERS.register("3-5")
@durable_execution
def child_error_caught(event: Any, context: DurableContext) -> Any:
    try:
        context.run_in_child_context(lambda child: child.step(fail(), config=NO_RETRY))
    except ChildContextError as error:
        context.logger.info(f"child failed, recovering: {error}")
    return context.step(echo(event))


@durable_with_child_context
def inner(child: DurableContext, value: Any) -> Any:
    return child.step(echo(value))


@durable_with_child_context
def outer(child: DurableContext, value: Any) -> Any:
    child.step(echo(value))
    return child.run_in_child_context(inner(value))


@HANDLERS.register("3-6")
@durable_execution
def nested_children(event: Any, context: DurableContext) -> Any:
    return context.run_in_child_context(outer(event))


@durable_step
def fails_first_attempt(step_context: StepContext, value: Any) -> Any:
    if step_context.attempt == 1:
        raise RuntimeError("first attempt fails")
    return value


@durable_with_child_context
def retrying_child(child: DurableContext, value: Any) -> Any:
    return child.step(fails_first_attempt(value), config=retries(3))


@HANDLERS.register("3-7")
@durable_execution
def child_step_retry(event: Any, context: DurableContext) -> Any:
    return context.run_in_child_context(retrying_child(event))


@durable_with_child_context
def exhausted_child(child: DurableContext) -> None:
    child.step(fail(), config=retries(2))


@HANDLERS.register("3-8")
@durable_execution
def child_retry_exhaustion(event: Any, context: DurableContext) -> None:
    context.run_in_child_context(exhausted_child())


@HANDLERS.register("3-9")
@durable_execution
def child_replay_cached(event: Any, context: DurableContext) -> Any:
    result = context.run_in_child_context(lambda child: child.step(echo(event)))
    context.wait(Duration.from_seconds(1))
    return result


@durable_with_child_context
def step_then_wait(child: DurableContext, value: Any) -> Any:
    result = child.step(echo(value))
    child.wait(Duration.from_seconds(1))
    return result


@HANDLERS.register("3-10")
@durable_execution
def child_step_and_wait(event: Any, context: DurableContext) -> Any:
    return context.run_in_child_context(step_then_wait(event))


@durable_with_child_context
def large_result(child: DurableContext, value: str) -> str:
    # Replay logging is enabled on this logger so a re-executed child body stays observable.
    child.logger.with_is_replaying(lambda: False).info(f"building large result for {value}")
    small = child.step(echo(value[:4]))
    return small * 70_000  # 280,000 characters: over the 256 KB checkpoint limit


@HANDLERS.register("3-11")
@durable_execution
def child_large_payload(event: Any, context: DurableContext) -> int:
    result = context.run_in_child_context(large_result(event))
    context.wait(Duration.from_seconds(1))
    return len(result)


_CRASHED_INPUTS: set[str] = set()


@durable_step
def crash_once(step_context: StepContext, value: str) -> str:
    if value not in _CRASHED_INPUTS:
        _CRASHED_INPUTS.add(value)
        time.sleep(0.2)  # some work after the step started, then the runtime process dies
        sys.exit(1)
    return value


@HANDLERS.register("3-12")
@durable_execution
def child_interrupted(event: Any, context: DurableContext) -> Any:
    return context.run_in_child_context(lambda child: child.step(crash_once(event)))


@durable_with_child_context
def only_wait(child: DurableContext, value: Any) -> Any:
    child.wait(Duration.from_seconds(1))
    return value


@HANDLERS.register("3-13")
@durable_execution
def child_wait_replay(event: Any, context: DurableContext) -> Any:
    context.run_in_child_context(only_wait(event))
    return context.step(echo(event))


class UppercaseTextSerDes(SerDes[str]):
    """Stores a string result uppercased, as plain text."""

    def serialize(self, value: str, serdes_context: SerDesContext) -> str:
        return value.upper()

    def deserialize(self, data: str, serdes_context: SerDesContext) -> str:
        return data


@durable_with_child_context
def echo_child(child: DurableContext, value: Any) -> Any:
    return child.step(echo(value))


@HANDLERS.register("3-14")
@durable_execution
def child_custom_serdes(event: Any, context: DurableContext) -> Any:
    return context.run_in_child_context(echo_child(event), config=ChildConfig(serdes=UppercaseTextSerDes()))


@durable_with_child_context
def raise_directly(child: DurableContext) -> None:
    raise ValueError("child body failed without any durable operation")


@HANDLERS.register("3-15")
@durable_execution
def child_error_without_step(event: Any, context: DurableContext) -> None:
    context.run_in_child_context(raise_directly())


@durable_with_child_context
def return_none(child: DurableContext) -> None:
    return None


@HANDLERS.register("3-16")
@durable_execution
def child_returns_none(event: Any, context: DurableContext) -> None:
    return context.run_in_child_context(return_none())


@durable_with_child_context
def log_only(child: DurableContext, value: Any) -> Any:
    # Replay logging is enabled so a (wrong) re-execution on replay would log twice.
    child.logger.with_is_replaying(lambda: False).info(f"child body ran for {value}")
    return value


@HANDLERS.register("3-17")
@durable_execution
def child_logger_only(event: Any, context: DurableContext) -> Any:
    result = context.run_in_child_context(log_only(event))
    context.wait(Duration.from_seconds(1))
    return result


@HANDLERS.register("3-18")
@durable_execution
def child_then_top_level(event: Any, context: DurableContext) -> Any:
    context.run_in_child_context(step_then_wait(event))
    result = context.step(echo(event))
    context.wait(Duration.from_seconds(1))
    return result
