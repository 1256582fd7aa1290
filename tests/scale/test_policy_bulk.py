"""The policy's bulk updates for batches give the same statuses, counts and reasons as item by item."""

from __future__ import annotations

import pytest

from durable_mp.concurrency.policy import CompletionPolicy
from durable_mp.config import BatchItemStatus, CompletionConfig
from durable_mp.exceptions import InvalidStateError

CONFIGS = [
    CompletionConfig(),
    CompletionConfig(min_successful=15),
    CompletionConfig(tolerated_failure_count=2),
    CompletionConfig.all_completed(),
]


@pytest.mark.parametrize("config", CONFIGS)
def test_bulk_equals_one_by_one(config: CompletionConfig) -> None:
    oks = [i % 7 != 3 for i in range(30)]
    one, bulk = CompletionPolicy(30, config), CompletionPolicy(30, config)
    for start in range(0, 30, 10):
        batch = range(start, start + 10)
        for i in batch:
            one.mark_started(i)
        bulk.mark_started_many(batch)
        for i in batch:
            one.record(i, oks[i])
        if all(oks[i] for i in batch) and bulk.record_all_succeeded(batch):
            pass
        else:
            bulk.record_many([(i, oks[i]) for i in batch])
        assert one.check() == bulk.check()
        if one.check() is not None:
            break
    assert [one.status_of(i) for i in range(30)] == [bulk.status_of(i) for i in range(30)]
    assert (one.succeeded_count, one.failed_count) == (bulk.succeeded_count, bulk.failed_count)


def test_bulk_records_at_once_what_cannot_complete_the_batch() -> None:
    policy = CompletionPolicy(30, CompletionConfig(tolerated_failure_count=2))
    policy.mark_started_many(range(20))
    assert policy.record_all_succeeded(range(10))  # 10 of 30 succeeded: the batch cannot be complete
    assert policy.record_many([(i, i != 12) for i in range(10, 20)]) is None
    assert (policy.succeeded_count, policy.failed_count) == (19, 1)
    assert (
        policy.status_of(12) is BatchItemStatus.FAILED and policy.status_of(19) is BatchItemStatus.SUCCEEDED
    )


def test_bulk_refuses_what_it_cannot_do_at_once() -> None:
    policy = CompletionPolicy(20, CompletionConfig(min_successful=5))
    policy.mark_started_many(range(10))
    assert not policy.record_all_succeeded(range(10))  # it would complete the batch: item by item instead
    assert policy.status_of(0) is BatchItemStatus.STARTED
    with pytest.raises(InvalidStateError):
        policy.mark_started_many(range(5, 15))
