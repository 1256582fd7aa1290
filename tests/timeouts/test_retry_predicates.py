"""Retry predicates: `retry_if` accepts, rejects, or raises (the step then fails with its exception)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from durable_mp import DurableContext, StepError, durable_execution
from durable_mp.config import Duration, JitterStrategy, StepConfig
from durable_mp.exceptions import InvalidConfigError
from durable_mp.retries import (
    LinearRetryStrategyConfig,
    RetryStrategyConfig,
    create_linear_retry_strategy,
    create_retry_strategy,
)


def strategy(**kw: Any) -> Any:
    return create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=3, initial_delay=Duration.from_seconds(1), jitter_strategy=JitterStrategy.NONE, **kw
        )
    )


def flaky(error: Exception, calls: list[int]) -> Any:
    def body(step: Any) -> str:
        calls.append(step.attempt)
        if step.attempt == 1:
            raise error
        return "ok"

    return body


def run_flaky(run: Any, error: Exception, retry_strategy: Any) -> tuple[Any, list[int]]:
    calls: list[int] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        try:
            return context.step(
                flaky(error, calls), name="s", config=StepConfig(retry_strategy=retry_strategy)
            )
        except StepError as e:
            return {"type": e.error_type, "message": e.message}

    return run(handler), calls


def test_predicate_that_accepts_retries(run: Any) -> None:
    r, calls = run_flaky(
        run, ConnectionError("reset"), strategy(retry_if=lambda e: isinstance(e, ConnectionError))
    )
    assert r.value == "ok"
    assert calls == [1, 2]


def test_predicate_that_rejects_fails_the_step_at_once(run: Any) -> None:
    r, calls = run_flaky(run, KeyError("k"), strategy(retry_if=lambda e: isinstance(e, ConnectionError)))
    assert r.value == {"type": "KeyError", "message": "'k'"}
    assert calls == [1]


def test_predicate_that_raises_fails_the_step_with_that_error(run: Any) -> None:
    def broken(error: Exception) -> bool:
        raise RuntimeError("predicate bug")

    r, calls = run_flaky(run, ConnectionError("reset"), strategy(retry_if=broken))
    assert r.value["type"] == "RuntimeError"
    assert r.value["message"] == (
        "predicate bug (raised by the retry strategy of step s while deciding on the step's error "
        "ConnectionError: reset)"
    )
    assert calls == [1]
    assert [e["EventType"] for e in r.named("s")] == ["StepStarted", "StepFailed"]


def test_predicate_adds_to_the_official_filters() -> None:
    s = strategy(retryable_errors=["throttled"], retry_if=lambda e: isinstance(e, TimeoutError))
    assert s(ValueError("request throttled"), 1).should_retry  # the message pattern matches
    assert s(TimeoutError(), 1).should_retry  # the predicate matches
    assert not s(ValueError("other"), 1).should_retry  # neither
    assert not s(TimeoutError(), 3).should_retry  # attempts exhausted: the predicate is not asked
    typed = strategy(retryable_error_types=[KeyError], retry_if=lambda e: False)
    assert typed(KeyError(), 1).should_retry
    assert strategy(retry_if=lambda e: False)(ValueError(), 1).should_retry is False
    assert strategy()(ValueError(), 1).should_retry  # no filter at all: everything is retryable
    pattern = strategy(retryable_errors=[re.compile(r"^5\d\d")], retry_if=lambda e: "retry" in str(e))
    assert pattern(ValueError("503"), 1).should_retry and pattern(ValueError("please retry"), 1).should_retry


def test_linear_strategy_takes_a_predicate_too() -> None:
    s = create_linear_retry_strategy(LinearRetryStrategyConfig(retry_if=lambda e: isinstance(e, OSError)))
    assert s(ConnectionError(), 1).should_retry
    assert not s(ValueError(), 1).should_retry


@pytest.mark.parametrize("config", [RetryStrategyConfig, LinearRetryStrategyConfig])
def test_a_predicate_that_is_not_callable_is_rejected(config: Any) -> None:
    with pytest.raises(InvalidConfigError, match="retry_if must be a callable"):
        config(retry_if=True)


def test_retry_if_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        RetryStrategyConfig(3, Duration(1), Duration(2), 2.0, JitterStrategy.NONE, None, None, lambda e: True)  # type: ignore[misc]
