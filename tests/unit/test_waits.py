"""Tests of durable_mp.waits: the wait_for_condition strategy."""

from __future__ import annotations

import pytest

from durable_mp.config import Duration, JitterStrategy
from durable_mp.exceptions import WaitForConditionError
from durable_mp.waits import (
    WaitForConditionConfig,
    WaitForConditionDecision,
    WaitStrategyConfig,
    create_wait_strategy,
)


def test_backoff_until_condition_met() -> None:
    strategy = create_wait_strategy(
        WaitStrategyConfig(
            should_continue_polling=lambda s: s < 10,
            initial_delay=Duration(2),
            max_delay=Duration(5),
            jitter_strategy=JitterStrategy.NONE,
        )
    )
    assert [strategy(0, n).delay_seconds for n in (1, 2, 3, 4)] == [2, 3, 5, 5]  # 2, 3, 4.5 -> 5, capped
    assert strategy(10, 1) == WaitForConditionDecision.stop_polling()


def test_condition_met_on_last_attempt_wins_over_exhaustion() -> None:
    strategy = create_wait_strategy(
        WaitStrategyConfig(should_continue_polling=lambda s: s != "done", max_attempts=3)
    )
    assert not strategy("done", 3).should_continue
    with pytest.raises(WaitForConditionError, match="exhausted 3 attempts"):
        strategy("pending", 3)


def test_defaults_and_jitter_bounds() -> None:
    config = WaitStrategyConfig(should_continue_polling=lambda s: True)
    assert (
        config.max_attempts,
        config.initial_delay_seconds,
        config.max_delay_seconds,
        config.backoff_rate,
    ) == (60, 5, 300, 1.5)
    strategy = create_wait_strategy(config)
    for _ in range(100):
        assert 1 <= strategy(None, 1).delay_seconds <= 5


def test_decisions_and_config() -> None:
    assert WaitForConditionDecision.continue_waiting(Duration(4)).delay_seconds == 4
    config = WaitForConditionConfig(
        wait_strategy=lambda s, n: WaitForConditionDecision.stop_polling(), initial_state={"n": 0}
    )
    assert config.serdes is None and config.initial_state == {"n": 0}
