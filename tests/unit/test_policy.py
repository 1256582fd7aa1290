"""Tests of durable_mp.concurrency.policy: the official completion rules."""

from __future__ import annotations

import time

import pytest

from durable_mp.concurrency.policy import CompletionPolicy, CompletionReason, infer_completion_reason
from durable_mp.config import (
    BatchItemStatus,
    CompletionConfig,
    CompletionOutcome,
    CompletionStatus,
    complete_batch,
    continue_batch,
)
from durable_mp.exceptions import InvalidStateError, ValidationError

R = CompletionReason


def run(policy: CompletionPolicy, outcomes: list[bool]) -> tuple[int, CompletionReason | None]:
    """Feed outcomes for items 0, 1, ... until complete; return (items fed, reason)."""
    for i, ok in enumerate(outcomes):
        policy.mark_started(i)
        reason = policy.record(i, ok)
        if reason is not None:
            return i + 1, reason
    return len(outcomes), policy.check()


def test_default_is_fail_fast() -> None:
    assert run(CompletionPolicy(4), [True, False, True, True]) == (2, R.FAILURE_TOLERANCE_EXCEEDED)
    assert run(CompletionPolicy(2), [True, True]) == (2, R.ALL_COMPLETED)


def test_all_successful_and_all_completed_presets() -> None:
    assert run(CompletionPolicy(3, CompletionConfig.all_successful()), [True, False, True]) == (
        2,
        R.FAILURE_TOLERANCE_EXCEEDED,
    )
    assert run(CompletionPolicy(3, CompletionConfig.all_completed()), [False, False, False]) == (
        3,
        R.ALL_COMPLETED,
    )


def test_first_successful() -> None:
    assert run(CompletionPolicy(3, CompletionConfig.first_successful()), [False, True, True]) == (
        2,
        R.MIN_SUCCESSFUL_REACHED,
    )


def test_all_completed_wins_over_min_successful_on_last_item() -> None:
    policy = CompletionPolicy(2, CompletionConfig(min_successful=2, tolerated_failure_count=5))
    assert run(policy, [True, True]) == (2, R.ALL_COMPLETED)


def test_tolerance_count_and_percentage_of_all_items() -> None:
    assert run(CompletionPolicy(10, CompletionConfig(tolerated_failure_count=1)), [False, True, False]) == (
        3,
        R.FAILURE_TOLERANCE_EXCEEDED,
    )
    # 2 of 10 = 20% is not over 20%; the third failure (30%) is
    pct = CompletionPolicy(10, CompletionConfig(tolerated_failure_percentage=20))
    assert run(pct, [False, False, True, False]) == (4, R.FAILURE_TOLERANCE_EXCEEDED)


def test_tolerance_is_checked_before_all_completed() -> None:
    assert run(CompletionPolicy(2, CompletionConfig(tolerated_failure_count=0)), [True, False]) == (
        2,
        R.FAILURE_TOLERANCE_EXCEEDED,
    )


def test_custom_predicate_success_and_failure() -> None:
    calls: list[CompletionStatus] = []

    def two_ok(status: CompletionStatus):
        calls.append(status)
        if status.failure_count >= 2:
            return complete_batch(CompletionOutcome.FAILED)
        return complete_batch() if status.success_count >= 2 else continue_batch()

    policy = CompletionPolicy(5, CompletionConfig(should_complete=two_ok), names=["a", "b", "c", "d", "e"])
    assert policy.check() is None
    assert (
        calls[0].completed_count == 0 and calls[0].items[0].status is None and calls[0].items[0].name == "a"
    )
    assert run(policy, [False, True, True]) == (3, R.CUSTOM_COMPLETION_SUCCEEDED)
    last = calls[-1]
    assert (last.success_count, last.failure_count, last.total_count) == (2, 1, 5)
    assert [i.status for i in last.items[:4]] == [
        BatchItemStatus.FAILED,
        BatchItemStatus.SUCCEEDED,
        BatchItemStatus.SUCCEEDED,
        None,
    ]
    # custom predicates disable the failure tolerance
    failing = CompletionPolicy(5, CompletionConfig(should_complete=two_ok))
    assert run(failing, [False, False]) == (2, R.CUSTOM_COMPLETION_FAILED)


def test_custom_predicate_that_never_fires_ends_all_completed() -> None:
    policy = CompletionPolicy(2, CompletionConfig(should_complete=lambda s: continue_batch()))
    assert run(policy, [False, False]) == (2, R.ALL_COMPLETED)


def test_predicate_is_not_rerun_without_a_state_change() -> None:
    count = 0

    def predicate(status: CompletionStatus):
        nonlocal count
        count += 1
        return continue_batch()

    policy = CompletionPolicy(3, CompletionConfig(should_complete=predicate))
    policy.check()
    policy.check()
    assert policy.can_start_more and count == 1
    policy.mark_started(0)
    policy.check()
    assert count == 2


def test_reason_is_fixed_at_completion() -> None:
    policy = CompletionPolicy(3, CompletionConfig(min_successful=1))
    assert policy.record(0, True) is R.MIN_SUCCESSFUL_REACHED
    assert policy.record(1, False) is R.MIN_SUCCESSFUL_REACHED  # raced in afterwards
    assert policy.failed_count == 1 and policy.completion_reason is R.MIN_SUCCESSFUL_REACHED
    assert not policy.can_start_more


def test_empty_batch_is_complete() -> None:
    assert CompletionPolicy(0).check() is R.ALL_COMPLETED


def test_validation_before_anything_runs() -> None:
    with pytest.raises(ValidationError, match="min_successful cannot be greater than total items: 3 > 2"):
        CompletionPolicy(2, CompletionConfig(min_successful=3))
    with pytest.raises(ValidationError, match="total"):
        CompletionPolicy(-1)
    with pytest.raises(ValidationError, match="names"):
        CompletionPolicy(2, names=["a"])
    policy = CompletionPolicy(2, CompletionConfig.all_completed())
    with pytest.raises(ValidationError, match="index 2"):
        policy.record(2, True)
    policy.record(0, True)
    with pytest.raises(InvalidStateError, match="item 0 already finished"):
        policy.record(0, False)
    with pytest.raises(InvalidStateError, match="item 0 cannot start"):
        policy.mark_started(0)


def test_infer_completion_reason() -> None:
    assert infer_completion_reason(3, None, 1, 0) is R.ALL_COMPLETED
    assert infer_completion_reason(3, CompletionConfig(min_successful=1), 1, 0) is R.MIN_SUCCESSFUL_REACHED
    assert infer_completion_reason(3, None, 0, 1) is R.FAILURE_TOLERANCE_EXCEEDED


def test_thousand_items_is_cheap() -> None:
    policy = CompletionPolicy(1000, CompletionConfig.all_completed())
    start = time.perf_counter()
    for i in range(1000):
        policy.mark_started(i)
        policy.record(i, i % 3 != 0)
    elapsed = time.perf_counter() - start
    assert policy.completion_reason is R.ALL_COMPLETED
    assert elapsed < 0.05, elapsed
