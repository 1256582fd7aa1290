"""Tests of durable_mp.retries: strategies, presets and with_retry (on a recording fake context)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from durable_mp.config import ChildConfig, Duration, JitterStrategy
from durable_mp.exceptions import SuspendExecution
from durable_mp.retries import (
    LinearRetryStrategyConfig,
    RetryDecision,
    RetryPresets,
    RetryStrategyConfig,
    WithRetryConfig,
    create_linear_retry_strategy,
    create_retry_strategy,
    with_retry,
)


def delays(strategy: Any, attempts: int, error: Exception | None = None) -> list[int | None]:
    out: list[int | None] = []
    for n in range(1, attempts + 1):
        decision = strategy(error or RuntimeError("x"), n)
        out.append(decision.delay_seconds if decision.should_retry else None)
    return out


def test_exponential_without_jitter() -> None:
    strategy = create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=6,
            initial_delay=Duration(5),
            max_delay=Duration(60),
            jitter_strategy=JitterStrategy.NONE,
        )
    )
    assert delays(strategy, 6) == [5, 10, 20, 40, 60, None]


def test_default_preset_is_six_attempts_full_jitter_capped_at_60() -> None:
    strategy = RetryPresets.default()
    for _ in range(50):
        got = delays(strategy, 6)
        assert got[5] is None
        caps = [5, 10, 20, 40, 60]
        assert all(1 <= d <= cap for d, cap in zip(got[:5], caps, strict=True))


def test_bare_config_defaults() -> None:
    config = RetryStrategyConfig()
    assert (
        config.max_attempts,
        config.initial_delay_seconds,
        config.max_delay_seconds,
        config.backoff_rate,
    ) == (3, 5, 300, 2.0)
    assert config.jitter_strategy is JitterStrategy.FULL
    assert delays(create_retry_strategy(), 3)[2] is None


def test_linear_and_fixed_presets() -> None:
    assert delays(RetryPresets.linear(), 6) == [1, 2, 3, 4, 5, None]
    assert delays(RetryPresets.fixed(Duration(7)), 5) == [7, 7, 7, 7, None]
    assert delays(RetryPresets.none(), 1) == [None]
    assert delays(RetryPresets.critical(), 3) == [1, 2, 3]  # ceil(1.5) = 2, ceil(2.25) = 3
    capped = create_linear_retry_strategy(
        LinearRetryStrategyConfig(
            initial_delay=Duration(10),
            increment=Duration(30),
            max_delay=Duration(45),
            jitter_strategy=JitterStrategy.NONE,
        )
    )
    assert delays(capped, 3) == [10, 40, 45]


def test_error_filters() -> None:
    by_message = create_retry_strategy(
        RetryStrategyConfig(retryable_errors=["timeout", re.compile(r"^5\d\d")])
    )
    assert by_message(RuntimeError("read timeout"), 1).should_retry
    assert by_message(RuntimeError("503 busy"), 1).should_retry
    assert not by_message(RuntimeError("bad input"), 1).should_retry
    by_type = create_retry_strategy(RetryStrategyConfig(retryable_error_types=[ConnectionError]))
    assert by_type(ConnectionResetError("x"), 1).should_retry
    assert not by_type(ValueError("timeout"), 1).should_retry  # types only: the match-all default is off


def test_delay_is_at_least_one_second() -> None:
    strategy = create_retry_strategy(
        RetryStrategyConfig(initial_delay=Duration(0), jitter_strategy=JitterStrategy.FULL)
    )
    assert delays(strategy, 2) == [1, 1]


def test_retry_decision_constructors() -> None:
    assert RetryDecision.retry(Duration(3)) == RetryDecision(True, Duration(3))
    assert RetryDecision.no_retry().delay_seconds == 0


class FakeContext:
    """Records the calls with_retry makes on the public DurableContext API."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def wait(self, duration: Duration, name: str | None = None) -> None:
        self.calls.append(("wait", duration.seconds, name))

    def run_in_child_context(self, func: Any, name: str | None = None, config: Any = None) -> Any:
        self.calls.append(("child", name, config))
        return func(self)


def test_with_retry_reruns_body_with_named_backoff_waits() -> None:
    ctx = FakeContext()
    attempts: list[int] = []

    def body(c: Any, attempt: int) -> str:
        attempts.append(attempt)
        if attempt < 3:
            raise RuntimeError("flaky")
        return "done"

    child_config = ChildConfig()
    cfg = WithRetryConfig(retry_strategy=RetryPresets.fixed(Duration(2)), child_context_config=child_config)
    assert with_retry(ctx, body, cfg, name="job") == "done"
    assert attempts == [1, 2, 3]
    assert ctx.calls == [
        ("child", "job", child_config),
        ("wait", 2, "job-backoff-1"),
        ("wait", 2, "job-backoff-2"),
    ]


def test_with_retry_unwrapped_gives_up_with_original_error() -> None:
    ctx = FakeContext()

    def body(c: Any, attempt: int) -> None:
        raise KeyError(attempt)

    cfg = WithRetryConfig(
        retry_strategy=RetryPresets.fixed(Duration(1)), wrap_with_run_in_child_context=False
    )
    with pytest.raises(KeyError) as info:
        with_retry(ctx, body, cfg)
    assert info.value.args == (5,)
    assert [c[0] for c in ctx.calls] == ["wait"] * 4 and ctx.calls[0][2] is None


def test_with_retry_lets_suspension_through() -> None:
    ctx = FakeContext()

    def body(c: Any, attempt: int) -> None:
        raise SuspendExecution("pending")

    with pytest.raises(SuspendExecution):
        with_retry(ctx, body, WithRetryConfig(wrap_with_run_in_child_context=False))
    assert ctx.calls == []
