"""Item batching: one durable context per batch, results and completion still per item."""

from __future__ import annotations

import pytest

from durable_mp import ids
from durable_mp.config import CompletionConfig, ItemBatcher, ItemsPerBatchUnit, MapConfig
from durable_mp.exceptions import ValidationError
from durable_mp.testing import DurableFunctionTestRunner

from . import handlers
from .conftest import history, operation_ids


def run(handler: object, **event: object) -> tuple[DurableFunctionTestRunner, object]:
    runner = DurableFunctionTestRunner(handler=handler)
    return runner, runner.run(input=event, timeout=60)


@pytest.mark.parametrize("executor", ["processes", "threads", "inline"])
def test_20000_items_in_batches_fit_one_execution(executor: str) -> None:
    runner, result = run(handlers.doubles, n=20_000, batch=1_000, executor=executor)
    with runner:
        assert result.status.name == "SUCCEEDED", result.error
        value = result.result_value
        assert value["results"] == [2 * i for i in range(20_000)]
        assert value["total"] == 20_000
        assert value["ops"] == 1 + 1 + 20  # EXECUTION, the map, one context per batch
        assert len(operation_ids(runner.service, result.execution_arn)) == 22


def test_batch_ids_and_shape_are_deterministic() -> None:
    runner, result = run(handlers.doubles_step, n=10, batch=4, executor="threads")
    with runner:
        assert result.status.name == "SUCCEEDED", result.error
        assert result.result_value["results"] == [2 * i for i in range(10)]
        events = history(runner.service, result.execution_arn)
        m = ids.child_id(None, 1)
        batches = {e["Id"]: e for e in events if e.get("SubType") == "MapIteration"}
        assert set(batches) == {ids.item_id(m, b) for b in range(3)}
        assert {e["Name"] for e in batches.values()} == {"map-batch-0", "map-batch-1", "map-batch-2"}
        steps = {e["Id"]: e["ParentId"] for e in events if e["EventType"] == "StepSucceeded"}
        expected = {}
        for b, group in enumerate([range(4), range(4, 8), range(8, 10)]):
            batch_id = ids.item_id(m, b)
            for i in group:
                expected[ids.child_id(ids.item_id(batch_id, i), 1)] = batch_id
        assert steps == expected
        # 1 EXECUTION + 1 map + 3 batches + 10 steps: no context per item
        assert len(operation_ids(runner.service, result.execution_arn)) == 15


def test_failures_and_completion_count_items() -> None:
    runner, result = run(
        handlers.odd_failures,
        n=25,
        batch=10,
        executor="threads",
        completion={"tolerated_failure_percentage": 100},
    )
    with runner:
        value = result.result_value
        assert value["failed"] == list(range(1, 25, 2))
        assert value["results"] == list(range(0, 25, 2))
        assert value["total"] == 25 and value["reason"] == "ALL_COMPLETED"


def test_fail_fast_decided_mid_batch_reports_the_whole_batch_and_starts_no_more() -> None:
    runner, result = run(handlers.odd_failures, n=100, batch=10, executor="inline")
    with runner:
        value = result.result_value
        assert value["reason"] == "FAILURE_TOLERANCE_EXCEEDED"
        assert value["total"] == 10  # batch 0 ran to its end; batches 1-9 never started
        assert value["failed"] == [1, 3, 5, 7, 9]
        assert value["results"] == [0, 2, 4, 6, 8]


def test_item_batcher_validation_and_byte_batches() -> None:
    with pytest.raises(ValidationError, match="needs max_items_per_batch or max_item_bytes_per_batch"):
        ItemBatcher()
    with pytest.raises(ValidationError, match="max_items_per_batch"):
        ItemBatcher(max_items_per_batch=-1)
    assert ItemBatcher(max_item_bytes_per_batch=10).unit is ItemsPerBatchUnit.BYTES
    with pytest.raises(ValidationError, match="needs item_batcher"):
        MapConfig(executor="invoke")
    from durable_mp.planning import partition

    sizes = [3, 3, 3, 20, 1, 1]
    groups = partition(6, ItemBatcher(max_item_bytes_per_batch=7), sizes)
    assert groups == [range(2), range(2, 3), range(3, 4), range(4, 6)]
    groups = partition(6, ItemBatcher(max_items_per_batch=2, max_item_bytes_per_batch=100), sizes)
    assert groups == [range(2), range(2, 4), range(4, 6)]


def test_big_batches_replay_their_items_from_checkpoints(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Envelopes and the map result over 256 KB are summaries: the batches re-run on replay (after the
    wait), their steps answered from checkpoints, so nothing runs twice and the result is the same."""
    monkeypatch.setenv("SCALE_EFFECTS", str(tmp_path))
    runner, result = run(handlers.big_then_wait, n=20, batch=10)
    with runner:
        assert result.status.name == "SUCCEEDED", result.error
        assert result.result_value == [30_000] * 20
        assert sorted(handlers.effects(str(tmp_path))) == sorted(range(20))
        events = history(runner.service, result.execution_arn)
        assert sum(e["EventType"] == "InvocationCompleted" for e in events) == 2  # the wait: a replay


def test_unpicklable_batched_map_on_threads_works() -> None:
    from durable_mp import DurableContext, durable_execution

    @durable_execution(executor="threads")
    def local(event: object, ctx: DurableContext) -> list[int]:
        offset = 7
        config = MapConfig(item_batcher=ItemBatcher(max_items_per_batch=3))
        return ctx.map([1, 2, 3, 4], lambda c, x, i, xs: x + offset, config=config).get_results()

    with DurableFunctionTestRunner(handler=local) as runner:
        assert runner.run(input={}, timeout=30).result_value == [8, 9, 10, 11]


def test_completion_config_min_successful_counts_items() -> None:
    runner, result = run(
        handlers.doubles, n=50, batch=10, executor="inline", completion={"min_successful": 15}
    )
    with runner:
        value = result.result_value
        assert value["reason"] == "MIN_SUCCESSFUL_REACHED"
        assert value["total"] == 20  # decided in batch 1; its items are all reported
        assert CompletionConfig(min_successful=15).min_successful == 15


def test_a_batch_cut_by_a_worker_crash_reruns_replaying_its_steps(tmp_path: object) -> None:
    runner, result = run(handlers.batched_crash, n=20, batch=5, crash_at=7, dir=str(tmp_path))
    with runner:
        assert result.status.name == "SUCCEEDED", result.error
        assert result.result_value == [2 * i for i in range(20)]
        # batch 1 (items 5-9) ran twice; items 5 and 6 had checkpointed their steps: nothing ran twice
        assert sorted(handlers.effects(str(tmp_path))) == list(range(20))
        events = history(runner.service, result.execution_arn)
        assert [e["Name"] for e in events if e["EventType"] == "StepFailed"] == ["durable-mp:interrupted"]
