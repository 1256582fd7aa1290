"""Handlers for the conformance suite ``step`` (requirements 1-1 .. 1-20)."""

from __future__ import annotations

import sys
from typing import Any

from durable_mp import DurableContext, StepContext, StepError, durable_execution, durable_step
from durable_mp.config import Duration, JitterStrategy, StepConfig, StepSemantics
from durable_mp.retries import RetryDecision, RetryPresets, RetryStrategyConfig, create_retry_strategy

from ._registry import HandlerRegistry
from ._serdes import UppercaseSerDes

HANDLERS = HandlerRegistry()

NO_RETRY = StepConfig(retry_strategy=RetryPresets.none())


def fixed_retries(max_attempts: int, delay_seconds: int = 1, backoff_rate: float = 1) -> StepConfig:
    """A step config retrying ``max_attempts`` times in all, without jitter."""
    return StepConfig(
        retry_strategy=create_retry_strategy(
            RetryStrategyConfig(
                max_attempts=max_attempts,
                initial_delay=Duration.from_seconds(delay_seconds),
                backoff_rate=backoff_rate,
                jitter_strategy=JitterStrategy.NONE,
            )
        )
    )


class TransientError(Exception):
    """An error worth retrying."""


@durable_step
def greet(step_context: StepContext, name: str) -> str:
    return f"Hello, {name}!"


@HANDLERS.register("1-1")
@durable_execution
def step_basic(event: Any, context: DurableContext) -> str:
    return context.step(greet(event))


@HANDLERS.register("1-2")
@durable_execution
def step_with_name(event: Any, context: DurableContext) -> str:
    return context.step(greet(event), name="custom_step_name")


@durable_step
def step_one(step_context: StepContext) -> str:
    return "first"


@durable_step
def step_two(step_context: StepContext, previous: str) -> str:
    return f"{previous}_second"


@HANDLERS.register("1-3")
@durable_execution
def sequential_steps(event: Any, context: DurableContext) -> str:
    result1 = context.step(step_one())
    return context.step(step_two(result1))


@durable_step
def build_response(step_context: StepContext, event: dict[str, Any]) -> dict[str, Any]:
    return {"user": {"name": event["name"], "tags": list(event["tags"])}, "count": len(event["tags"])}


@HANDLERS.register("1-4")
@durable_execution
def complex_result(event: Any, context: DurableContext) -> dict[str, Any]:
    return context.step(build_response(event))


@durable_step
def do_nothing(step_context: StepContext) -> None:
    return None


@HANDLERS.register("1-5")
@durable_execution
def none_result(event: Any, context: DurableContext) -> None:
    return context.step(do_nothing())


@durable_step
def return_input(step_context: StepContext, value: Any) -> Any:
    return value


@HANDLERS.register("1-6")
@durable_execution
def step_custom_serdes(event: Any, context: DurableContext) -> Any:
    return context.step(return_input(event), config=StepConfig(serdes=UppercaseSerDes()))


@durable_step
def greet_with_logs(step_context: StepContext, name: str) -> str:
    step_context.logger.info(f"Greeting step started for: {name}")
    greeting = f"Hello, {name}!"
    step_context.logger.info(f"Greeting step completed with: {greeting}")
    return greeting


@HANDLERS.register("1-7")
@durable_execution
def step_context_logger(event: Any, context: DurableContext) -> str:
    return context.step(greet_with_logs(event))


@durable_step
def compute(step_context: StepContext) -> str:
    return "computed"


@HANDLERS.register("1-8")
@durable_execution
def step_then_wait(event: Any, context: DurableContext) -> str:
    result = context.step(compute())
    context.wait(Duration.from_seconds(2))
    return result


@durable_step
def cached(step_context: StepContext) -> str:
    step_context.logger.info("step executed")
    return "cached_value"


@HANDLERS.register("1-9")
@durable_execution
def replay_skips_succeeded_step(event: Any, context: DurableContext) -> str:
    result = context.step(cached())
    context.wait(Duration.from_seconds(1))
    return result


@durable_step
def fails_once_recorded(step_context: StepContext) -> str:
    step_context.logger.info("step executed")
    raise RuntimeError("permanent failure")


@HANDLERS.register("1-10")
@durable_execution
def replay_rethrows_failed_step(event: Any, context: DurableContext) -> str:
    try:
        context.step(fails_once_recorded(), config=NO_RETRY)
    except StepError as error:
        context.logger.info(f"step failed as expected: {error}")
    context.wait(Duration.from_seconds(1))
    return "caught"


@durable_step
def unreliable(step_context: StepContext, failures: int) -> str:
    if step_context.attempt <= failures:
        raise RuntimeError(f"attempt {step_context.attempt} failed")
    return "Operation succeeded"


@HANDLERS.register("1-11")
@durable_execution
def retry_then_succeed(event: Any, context: DurableContext) -> str:
    return context.step(unreliable(1), config=fixed_retries(3))


@durable_step
def always_fail(step_context: StepContext) -> str:
    raise RuntimeError(f"attempt {step_context.attempt} failed")


@HANDLERS.register("1-12")
@durable_execution
def retry_exhaustion(event: Any, context: DurableContext) -> str:
    return context.step(always_fail(), config=fixed_retries(4))


@HANDLERS.register("1-13")
@durable_execution
def default_retry_strategy(event: Any, context: DurableContext) -> str:
    return context.step(unreliable(2))


@HANDLERS.register("1-14")
@durable_execution
def custom_backoff(event: Any, context: DurableContext) -> str:
    return context.step(unreliable(2), config=fixed_retries(5, delay_seconds=2, backoff_rate=3))


@durable_step
def transient_once(step_context: StepContext) -> str:
    if step_context.attempt == 1:
        raise TransientError("temporarily unavailable")
    return "recovered"


def retry_on_transient(error: Exception, attempts_made: int) -> RetryDecision:
    if isinstance(error, TransientError) and attempts_made < 3:
        return RetryDecision.retry(Duration.from_seconds(1))
    return RetryDecision.no_retry()


def no_retry_on_transient(error: Exception, attempts_made: int) -> RetryDecision:
    if isinstance(error, TransientError) or attempts_made >= 3:
        return RetryDecision.no_retry()
    return RetryDecision.retry(Duration.from_seconds(1))


@HANDLERS.register("1-15")
@durable_execution
def retry_specific_exception(event: Any, context: DurableContext) -> str:
    return context.step(transient_once(), config=StepConfig(retry_strategy=retry_on_transient))


@HANDLERS.register("1-16")
@durable_execution
def non_retryable_exception(event: Any, context: DurableContext) -> str:
    return context.step(transient_once(), config=StepConfig(retry_strategy=no_retry_on_transient))


@durable_step
def at_most_once_flaky_step(step_context: StepContext, value: str) -> str:
    step_context.logger.info(f"at-most-once step running with input {value}")
    if step_context.attempt == 1:
        sys.exit(1)  # the Lambda runtime process dies mid-step
    return "succeeded on second attempt"


@HANDLERS.register("1-17")
@durable_execution
def at_most_once_interrupted(event: Any, context: DurableContext) -> str:
    config = StepConfig(
        step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY, retry_strategy=RetryPresets.none()
    )
    return context.step(at_most_once_flaky_step(event), config=config)


@HANDLERS.register("1-18")
@durable_execution
def at_most_once_retried(event: Any, context: DurableContext) -> str:
    retry = fixed_retries(3)
    config = StepConfig(
        step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY, retry_strategy=retry.retry_strategy
    )
    return context.step(at_most_once_flaky_step(event), config=config)


@HANDLERS.register("1-19")
@durable_execution
def step_fails_permanently(event: Any, context: DurableContext) -> str:
    return context.step(always_fail(), config=NO_RETRY)


@HANDLERS.register("1-20")
@durable_execution
def step_error_caught(event: Any, context: DurableContext) -> str:
    try:
        value = context.step(always_fail(), config=NO_RETRY)
    except StepError:
        value = "fallback_result"
    return context.step(return_input(value))
