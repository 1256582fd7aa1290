"""Tests of durable_mp.config: defaults, validation, presets, jitter."""

from __future__ import annotations

import pytest

from durable_mp.config import (
    BatchItemStatus,
    CallbackConfig,
    ChildConfig,
    CompletionConfig,
    CompletionDecision,
    CompletionOutcome,
    Duration,
    JitterStrategy,
    MapConfig,
    NestingType,
    ParallelBranch,
    ParallelConfig,
    StepConfig,
    StepSemantics,
    WaitForCallbackConfig,
    complete_batch,
    continue_batch,
)
from durable_mp.exceptions import InvalidConfigError, ValidationError


def test_duration_constructors() -> None:
    assert Duration().seconds == 0
    assert Duration.from_seconds(5.9).seconds == 5
    assert Duration.from_minutes(1.5).seconds == 90
    assert Duration.from_hours(2).seconds == 7200
    assert Duration.from_days(1).to_seconds() == 86_400
    assert Duration.from_weeks(1).seconds == 604_800
    assert Duration.from_months(1).seconds == 30 * 86_400
    assert Duration.from_years(1).seconds == 365 * 86_400
    with pytest.raises(ValidationError, match="seconds"):
        Duration(seconds=-1)


def test_completion_presets() -> None:
    assert CompletionConfig.first_successful() == CompletionConfig(min_successful=1)
    assert CompletionConfig.all_completed() == CompletionConfig(tolerated_failure_percentage=100)
    assert CompletionConfig.all_successful() == CompletionConfig(
        tolerated_failure_count=0, tolerated_failure_percentage=0
    )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"min_successful": 0}, "min_successful"),
        ({"tolerated_failure_count": -1}, "tolerated_failure_count"),
        ({"tolerated_failure_percentage": 100.5}, "tolerated_failure_percentage"),
        ({"tolerated_failure_percentage": -1}, "tolerated_failure_percentage"),
        ({"should_complete": 3}, "should_complete"),
        ({"should_complete": lambda s: continue_batch(), "min_successful": 1}, "should_complete"),
    ],
)
def test_completion_config_validation_names_field(kwargs: dict, field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        CompletionConfig(**kwargs)


def test_completion_config_validate_for_total() -> None:
    CompletionConfig(min_successful=3)._validate_for_total(3)
    with pytest.raises(ValidationError, match="min_successful cannot be greater than total items: 4 > 3"):
        CompletionConfig(min_successful=4)._validate_for_total(3)


def test_completion_decisions() -> None:
    assert continue_batch() == CompletionDecision(complete=False)
    assert complete_batch() == CompletionDecision(True, CompletionOutcome.SUCCEEDED)
    assert complete_batch(CompletionOutcome.FAILED).outcome is CompletionOutcome.FAILED
    with pytest.raises(ValidationError, match="outcome is required"):
        CompletionDecision(complete=True)
    with pytest.raises(ValidationError, match="outcome must be None"):
        CompletionDecision(complete=False, outcome=CompletionOutcome.SUCCEEDED)


def test_map_and_parallel_defaults() -> None:
    assert MapConfig().completion_config == CompletionConfig()
    assert ParallelConfig().completion_config == CompletionConfig.all_successful()
    for cfg in (MapConfig(), ParallelConfig()):
        assert (cfg.max_concurrency, cfg.executor, cfg.workers) == (None, None, None)
        assert cfg.nesting_type is NestingType.NESTED


@pytest.mark.parametrize("cls", [MapConfig, ParallelConfig])
def test_map_parallel_validation(cls: type) -> None:
    with pytest.raises(ValidationError, match="max_concurrency"):
        cls(max_concurrency=0)
    with pytest.raises(ValueError, match="executor"):
        cls(executor="gpu")
    for bad in (0, -2, True, "many", 1.5):
        with pytest.raises(InvalidConfigError, match="workers"):
            cls(workers=bad)
    assert cls(executor="threads", workers=4).workers == 4
    assert cls(executor="processes", workers="auto").executor == "processes"
    assert cls(executor="inline").executor == "inline"


def test_sub_type_validation() -> None:
    assert StepConfig(sub_type="My_Step-1").sub_type == "My_Step-1"
    assert StepConfig(sub_type="").sub_type == ""
    for cls in (StepConfig, ChildConfig, CallbackConfig):
        with pytest.raises(ValidationError, match="sub_type"):
            cls(sub_type="has space")
        with pytest.raises(ValidationError, match="sub_type"):
            cls(sub_type="x" * 33)


def test_step_and_callback_defaults() -> None:
    assert StepConfig().step_semantics is StepSemantics.AT_LEAST_ONCE_PER_RETRY
    cfg = WaitForCallbackConfig(Duration.from_minutes(1), Duration(10))
    assert (cfg.timeout_seconds, cfg.heartbeat_timeout_seconds, cfg.retry_strategy) == (60, 10, None)
    assert CallbackConfig().timeout_seconds == 0


def test_enum_values() -> None:
    assert [s.value for s in BatchItemStatus] == ["SUCCEEDED", "FAILED", "STARTED"]
    assert JitterStrategy("FULL") is JitterStrategy.FULL


def test_parallel_branch_is_callable() -> None:
    branch = ParallelBranch(func=lambda ctx: ctx * 2, name="double")
    assert branch(21) == 42 and branch.name == "double"


def test_jitter_bounds() -> None:
    for _ in range(200):
        assert 0 <= JitterStrategy.FULL.apply_jitter(10) <= 10
        assert 5 <= JitterStrategy.HALF.apply_jitter(10) <= 10
        assert 1 <= JitterStrategy.FULL.finalize_delay(0.01) <= 1
    assert JitterStrategy.NONE.finalize_delay(2.1) == 3
    assert JitterStrategy.NONE.finalize_delay(0) == 1
