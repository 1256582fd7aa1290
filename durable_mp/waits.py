"""Wait strategies for `wait_for_condition`.

A wait strategy is a callable `(state, attempts_made) -> WaitForConditionDecision`, called after each
check of the condition. `create_wait_strategy(WaitStrategyConfig(...))` builds one: stop as soon as
`should_continue_polling(state)` is False (even on the last attempt); fail with
`WaitForConditionError` once `attempts_made >= max_attempts`; otherwise wait
`min(initial_delay * backoff_rate ** (attempts_made - 1), max_delay)` with jitter, rounded up to whole
seconds, at least 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from durable_mp.config import Duration, JitterStrategy
from durable_mp.exceptions import WaitForConditionError

if TYPE_CHECKING:
    from durable_mp.serdes import SerDes

T = TypeVar("T")

Numeric = int | float


@dataclass
class WaitStrategyConfig(Generic[T]):
    """Polling settings: 60 attempts, 5 s initial delay, x1.5, capped at 5 minutes, full jitter."""

    should_continue_polling: Callable[[T], bool]
    max_attempts: int = 60
    initial_delay: Duration = field(default_factory=lambda: Duration.from_seconds(5))
    max_delay: Duration = field(default_factory=lambda: Duration.from_minutes(5))
    backoff_rate: Numeric = 1.5
    jitter_strategy: JitterStrategy = JitterStrategy.FULL

    @property
    def initial_delay_seconds(self) -> int:
        """The initial delay in seconds."""
        return self.initial_delay.to_seconds()

    @property
    def max_delay_seconds(self) -> int:
        """The delay cap in seconds."""
        return self.max_delay.to_seconds()


@dataclass(frozen=True)
class WaitForConditionDecision:
    """Whether to check the condition again, and after how long."""

    should_continue: bool
    delay: Duration

    @property
    def delay_seconds(self) -> int:
        """The delay in seconds."""
        return self.delay.to_seconds()

    @classmethod
    def continue_waiting(cls, delay: Duration) -> WaitForConditionDecision:
        """Check again after `delay`."""
        return cls(should_continue=True, delay=delay)

    @classmethod
    def stop_polling(cls) -> WaitForConditionDecision:
        """The condition is met: stop."""
        return cls(should_continue=False, delay=Duration())


def create_wait_strategy(config: WaitStrategyConfig[T]) -> Callable[[T, int], WaitForConditionDecision]:
    """A wait strategy from `config` (see the module doc)."""

    def wait_strategy(result: T, attempts_made: int) -> WaitForConditionDecision:
        if not config.should_continue_polling(result):
            return WaitForConditionDecision.stop_polling()
        if attempts_made >= config.max_attempts:
            raise WaitForConditionError(
                f"wait_for_condition exhausted {config.max_attempts} attempts before the condition was met"
            )
        base = min(
            config.initial_delay_seconds * config.backoff_rate ** (attempts_made - 1),
            config.max_delay_seconds,
        )
        return WaitForConditionDecision.continue_waiting(
            Duration(seconds=config.jitter_strategy.finalize_delay(base))
        )

    return wait_strategy


@dataclass(frozen=True)
class WaitForConditionConfig(Generic[T]):
    """How `wait_for_condition` runs.

    `wait_strategy` is called after each check with (state, attempts_made). `initial_state` is the
    state of the first check; it goes through `serdes` (serialize then deserialize) first, so it must
    be serializable. `serdes` (None: `ExtendedTypeSerDes`) serializes the state at each checkpoint.
    """

    wait_strategy: Callable[[T, int], WaitForConditionDecision]
    initial_state: T
    serdes: SerDes[Any] | None = None
