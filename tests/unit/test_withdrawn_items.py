"""Items sent ahead to a busy worker, or queued on a process executor's bridge, that had not begun when the
batch completed count as never started: they are left out of the BatchResult (only items that were really
running are reported STARTED), and a queued bridge item never runs."""

from __future__ import annotations

import pytest

from durable_mp.concurrency.branch import BranchSpec
from durable_mp.concurrency.coordinator import _withdraw_not_begun
from durable_mp.concurrency.policy import CompletionPolicy
from durable_mp.config import BatchItemStatus, CompletionConfig
from durable_mp.exceptions import InvalidStateError


class _Executor:
    def __init__(self, began: dict[int, float]) -> None:
        self.began = began

    def withdraw_not_begun(self, indexes: set[int]) -> list[int]:
        return sorted(indexes - self.began.keys())


def _spec(index: int, items: range | None = None) -> BranchSpec:
    return BranchSpec(index, f"op-{index}", None, "MapIteration", "map", False, False, items)


def _policy(total: int, succeeded: int, started: list[range]) -> CompletionPolicy:
    policy = CompletionPolicy(total, CompletionConfig(min_successful=succeeded))
    for i in range(succeeded):
        policy.mark_started(i)
        policy.record(i, True)
    for items in started:
        policy.mark_started_many(items)
    return policy


def test_a_completed_batch_withdraws_what_had_not_begun_and_keeps_what_ran() -> None:
    specs = [_spec(0), _spec(1), _spec(2, range(2, 4)), _spec(3, range(4, 6))]
    policy = _policy(6, 2, [range(2, 4), range(4, 6)])
    assert policy.check() is not None
    _withdraw_not_begun(_Executor({2: 1.0}), specs, policy, in_flight={2, 3})
    statuses = [policy.status_of(i) for i in range(6)]
    assert statuses == [BatchItemStatus.SUCCEEDED] * 2 + [BatchItemStatus.STARTED] * 2 + [None, None]


def test_nothing_is_withdrawn_while_the_batch_is_not_complete_or_by_executors_that_cannot() -> None:
    specs = [_spec(i) for i in range(4)]
    policy = _policy(4, 1, [range(1, 2)])
    policy2 = CompletionPolicy(4, CompletionConfig(min_successful=3))
    policy2.mark_started(0)
    _withdraw_not_begun(_Executor({}), specs, policy2, in_flight={0})  # not complete: nothing changes
    assert policy2.status_of(0) is BatchItemStatus.STARTED
    _withdraw_not_begun(object(), specs, policy, in_flight={1})  # threads: every started item has a thread
    assert policy.status_of(1) is BatchItemStatus.STARTED


def test_only_a_started_item_can_be_withdrawn() -> None:
    policy = _policy(3, 1, [])
    with pytest.raises(InvalidStateError, match="item 0 cannot be withdrawn"):
        policy.withdraw(range(1))
