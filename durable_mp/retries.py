"""Retry strategies for steps, and `with_retry` for retrying a whole block of durable code.

A retry strategy is a callable `(error, attempts_made) -> RetryDecision`; `attempts_made` counts the
attempts so far, including the one that just failed (1 after the first failure). Delays are whole
seconds, at least 1.

- `create_retry_strategy(RetryStrategyConfig(...))`: exponential backoff,
  `min(initial_delay * backoff_rate ** (attempts_made - 1), max_delay)`, then jitter, rounded up.
- `create_linear_retry_strategy(LinearRetryStrategyConfig(...))`:
  `min(initial_delay + increment * (attempts_made - 1), max_delay)`, then jitter, rounded up.
- Both stop once `attempts_made >= max_attempts`, and retry only errors whose message matches one of
  `retryable_errors` (substring or compiled regex), whose type is one of `retryable_error_types`, or
  for which the keyword-only predicate `retry_if(error)` (durable-mp) returns true; with none of the
  three given, every error is retryable. A `retry_if` that raises fails the step with its exception.
- `RetryPresets.default()` is what a step without a strategy uses: 6 attempts, 5 s initial delay,
  60 s cap, rate 2, full jitter. (A bare `RetryStrategyConfig()` differs: 3 attempts, 5 minute cap.)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

from durable_mp.config import Duration, JitterStrategy
from durable_mp.exceptions import InvalidConfigError

if TYPE_CHECKING:
    from durable_mp.config import ChildConfig
    from durable_mp.types import DurableContext

T = TypeVar("T")

Numeric = int | float
RetryStrategy = Callable[[Exception, int], "RetryDecision"]

_MATCH_ALL = re.compile(r".*")


@dataclass
class RetryDecision:
    """Whether to retry, and after how long."""

    should_retry: bool
    delay: Duration

    @property
    def delay_seconds(self) -> int:
        """The delay in seconds."""
        return self.delay.to_seconds()

    @classmethod
    def retry(cls, delay: Duration) -> RetryDecision:
        """Retry after `delay`."""
        return cls(should_retry=True, delay=delay)

    @classmethod
    def no_retry(cls) -> RetryDecision:
        """Do not retry."""
        return cls(should_retry=False, delay=Duration())


@dataclass
class RetryStrategyConfig:
    """Exponential backoff settings (see the module doc)."""

    max_attempts: int = 3
    initial_delay: Duration = field(default_factory=lambda: Duration.from_seconds(5))
    max_delay: Duration = field(default_factory=lambda: Duration.from_minutes(5))
    backoff_rate: Numeric = 2.0
    jitter_strategy: JitterStrategy = JitterStrategy.FULL
    retryable_errors: list[str | re.Pattern[str]] | None = None
    retryable_error_types: list[type[Exception]] | None = None
    retry_if: Callable[[Exception], bool] | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        _check_predicate(self.retry_if)

    @property
    def initial_delay_seconds(self) -> int:
        """The initial delay in seconds."""
        return self.initial_delay.to_seconds()

    @property
    def max_delay_seconds(self) -> int:
        """The delay cap in seconds."""
        return self.max_delay.to_seconds()


@dataclass
class LinearRetryStrategyConfig:
    """Linear backoff settings (see the module doc)."""

    max_attempts: int = 6
    initial_delay: Duration = field(default_factory=lambda: Duration.from_seconds(1))
    increment: Duration = field(default_factory=lambda: Duration.from_seconds(1))
    max_delay: Duration = field(default_factory=lambda: Duration.from_minutes(5))
    jitter_strategy: JitterStrategy = JitterStrategy.FULL
    retryable_errors: list[str | re.Pattern[str]] | None = None
    retryable_error_types: list[type[Exception]] | None = None
    retry_if: Callable[[Exception], bool] | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        _check_predicate(self.retry_if)

    @property
    def initial_delay_seconds(self) -> int:
        """The initial delay in seconds."""
        return self.initial_delay.to_seconds()

    @property
    def increment_seconds(self) -> int:
        """The increment in seconds."""
        return self.increment.to_seconds()

    @property
    def max_delay_seconds(self) -> int:
        """The delay cap in seconds."""
        return self.max_delay.to_seconds()


def _check_predicate(retry_if: object) -> None:
    if retry_if is not None and not callable(retry_if):
        raise InvalidConfigError(
            f"retry_if must be a callable (error) -> bool, got {type(retry_if).__name__}: {retry_if!r}"
        )


def _error_filter(
    patterns: list[str | re.Pattern[str]] | None,
    types: list[type[Exception]] | None,
    retry_if: Callable[[Exception], bool] | None = None,
) -> Callable[[Exception], bool]:
    """Whether an error is retryable: it matches a pattern, a type, or `retry_if` says so; with none of
    the three given, every error is. An exception raised by `retry_if` propagates (the step fails with it)."""
    if patterns is None and types is None and retry_if is None:
        patterns = [_MATCH_ALL]
    message_patterns = list(patterns or ())
    error_types = tuple(types or ())

    def is_retryable(error: Exception) -> bool:
        if error_types and isinstance(error, error_types):
            return True
        text = str(error)
        if any(p.search(text) if isinstance(p, re.Pattern) else p in text for p in message_patterns):
            return True
        return retry_if is not None and bool(retry_if(error))

    return is_retryable


def create_retry_strategy(config: RetryStrategyConfig | None = None) -> RetryStrategy:
    """An exponential-backoff retry strategy (the bare `RetryStrategyConfig()` when None)."""
    config = config or RetryStrategyConfig()
    is_retryable = _error_filter(config.retryable_errors, config.retryable_error_types, config.retry_if)

    def retry_strategy(error: Exception, attempts_made: int) -> RetryDecision:
        if attempts_made >= config.max_attempts or not is_retryable(error):
            return RetryDecision.no_retry()
        base = min(
            config.initial_delay_seconds * config.backoff_rate ** (attempts_made - 1),
            config.max_delay_seconds,
        )
        return RetryDecision.retry(Duration(seconds=config.jitter_strategy.finalize_delay(base)))

    return retry_strategy


def create_linear_retry_strategy(config: LinearRetryStrategyConfig | None = None) -> RetryStrategy:
    """A linear-backoff retry strategy (`LinearRetryStrategyConfig()` when None)."""
    config = config or LinearRetryStrategyConfig()
    is_retryable = _error_filter(config.retryable_errors, config.retryable_error_types, config.retry_if)

    def linear_retry_strategy(error: Exception, attempts_made: int) -> RetryDecision:
        if attempts_made >= config.max_attempts or not is_retryable(error):
            return RetryDecision.no_retry()
        base = min(
            config.initial_delay_seconds + config.increment_seconds * (attempts_made - 1),
            config.max_delay_seconds,
        )
        return RetryDecision.retry(Duration(seconds=config.jitter_strategy.finalize_delay(base)))

    return linear_retry_strategy


class RetryPresets:
    """Ready-made retry strategies."""

    @classmethod
    def none(cls) -> RetryStrategy:
        """Never retry."""
        return create_retry_strategy(RetryStrategyConfig(max_attempts=1))

    @classmethod
    def default(cls) -> RetryStrategy:
        """The strategy of a step without one: 6 attempts, 5 s, x2, capped at 60 s, full jitter."""
        return create_retry_strategy(
            RetryStrategyConfig(
                max_attempts=6,
                initial_delay=Duration.from_seconds(5),
                max_delay=Duration.from_minutes(1),
                backoff_rate=2,
                jitter_strategy=JitterStrategy.FULL,
            )
        )

    @classmethod
    def transient(cls) -> RetryStrategy:
        """Quick retries for transient errors: 3 attempts, half jitter."""
        return create_retry_strategy(
            RetryStrategyConfig(max_attempts=3, backoff_rate=2, jitter_strategy=JitterStrategy.HALF)
        )

    @classmethod
    def resource_availability(cls) -> RetryStrategy:
        """Longer retries while a resource becomes available: 5 attempts, 5 s, x2, capped at 5 min."""
        return create_retry_strategy(
            RetryStrategyConfig(
                max_attempts=5,
                initial_delay=Duration.from_seconds(5),
                max_delay=Duration.from_minutes(5),
                backoff_rate=2,
            )
        )

    @classmethod
    def critical(cls) -> RetryStrategy:
        """Aggressive retries: 10 attempts, 1 s, x1.5, capped at 60 s, no jitter."""
        return create_retry_strategy(
            RetryStrategyConfig(
                max_attempts=10,
                initial_delay=Duration.from_seconds(1),
                max_delay=Duration.from_minutes(1),
                backoff_rate=1.5,
                jitter_strategy=JitterStrategy.NONE,
            )
        )

    @classmethod
    def linear(cls) -> RetryStrategy:
        """Delays of 1, 2, 3, 4, 5 s (6 attempts, no jitter)."""
        return create_linear_retry_strategy(
            LinearRetryStrategyConfig(
                max_attempts=6,
                initial_delay=Duration.from_seconds(1),
                increment=Duration.from_seconds(1),
                jitter_strategy=JitterStrategy.NONE,
            )
        )

    @classmethod
    def fixed(cls, interval: Duration | None = None) -> RetryStrategy:
        """A constant delay (5 s by default, no jitter), 5 attempts."""
        delay = interval if interval is not None else Duration.from_seconds(5)
        return create_retry_strategy(
            RetryStrategyConfig(
                max_attempts=5,
                initial_delay=delay,
                max_delay=delay,
                backoff_rate=1,
                jitter_strategy=JitterStrategy.NONE,
            )
        )


@dataclass(frozen=True)
class WithRetryConfig(Generic[T]):
    """How `with_retry` retries.

    - `retry_strategy`: None means `create_retry_strategy()` (the bare `RetryStrategyConfig` defaults).
    - `wrap_with_run_in_child_context` (default True): run the loop in a child context; the final
      failure then surfaces as a `ChildContextError`. When False the last error propagates unchanged.
    - `child_context_config`: the `ChildConfig` of that child context.
    """

    retry_strategy: RetryStrategy | None = None
    wrap_with_run_in_child_context: bool = True
    child_context_config: ChildConfig[T] | None = None


def with_retry(
    context: DurableContext,
    func: Callable[[DurableContext, int], T],
    config: WithRetryConfig[T],
    name: str | None = None,
) -> T:
    """Run `func(context, attempt)` (attempt from 1), re-running the whole body after a failure.

    Between attempts it waits durably (`context.wait`, named "{name}-backoff-{attempt}" when `name`
    is given) for the delay the strategy chose. Suspensions (BaseExceptions) pass straight through.
    Uses only the public `DurableContext` methods `wait` and `run_in_child_context`.
    """
    strategy = config.retry_strategy or create_retry_strategy()

    def run_loop(ctx: DurableContext) -> T:
        attempt = 0
        while True:
            attempt += 1
            try:
                return func(ctx, attempt)
            except Exception as error:  # suspensions are BaseExceptions: never intercepted here
                decision = strategy(error, attempt)
                if not decision.should_retry:
                    raise
                ctx.wait(duration=decision.delay, name=f"{name}-backoff-{attempt}" if name else None)

    if config.wrap_with_run_in_child_context:
        return context.run_in_child_context(run_loop, name=name, config=config.child_context_config)
    return run_loop(context)
