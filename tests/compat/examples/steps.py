"""Steps: hello world, a named step, a step retried until its third attempt, a handler error, None results."""

from typing import Any

from durable_mp.config import Duration, StepConfig
from durable_mp.context import DurableContext, StepContext, durable_step
from durable_mp.execution import durable_execution
from durable_mp.retries import RetryStrategyConfig, create_retry_strategy

ATTEMPTS: dict[str, int] = {}


@durable_execution
def hello_world(_event: Any, _context: DurableContext) -> str:
    return "Hello World!"


@durable_step
def add_numbers(_step_context: StepContext, a: int, b: int) -> int:
    return a + b


@durable_execution
def step_with_name(_event: Any, context: DurableContext) -> int:
    return context.step(add_numbers(5, 3), name="add")


def flaky(step_context: StepContext) -> str:
    ATTEMPTS["flaky"] = ATTEMPTS.get("flaky", 0) + 1
    if ATTEMPTS["flaky"] < 3:
        raise RuntimeError(f"attempt {ATTEMPTS['flaky']} failed")
    return f"succeeded on attempt {ATTEMPTS['flaky']}"


@durable_execution
def step_with_retry(_event: Any, context: DurableContext) -> str:
    retry = create_retry_strategy(RetryStrategyConfig(max_attempts=5, retryable_error_types=[RuntimeError]))
    return context.step(flaky, name="flaky_step", config=StepConfig(retry_strategy=retry))


def always_fails(_step_context: StepContext) -> str:
    raise ValueError("never works")


@durable_execution
def step_exhausts_retries(_event: Any, context: DurableContext) -> str:
    retry = create_retry_strategy(RetryStrategyConfig(max_attempts=3, retryable_error_types=[ValueError]))
    return context.step(always_fails, name="doomed", config=StepConfig(retry_strategy=retry))


@durable_execution
def handler_error(_event: Any, _context: DurableContext) -> None:
    raise ValueError("Intentional handler failure")


@durable_execution
def none_results(_event: Any, context: DurableContext) -> str:
    first = context.step(lambda _: None, name="returns_none")
    context.wait(Duration.from_seconds(1), name="pause")
    second = context.step(lambda _: first is None, name="checks_none")
    return f"first={first} second={second}"
