"""The planner: maps that cannot fit are refused before anything is checkpointed; plan_map's arithmetic."""

from __future__ import annotations

import pytest

from durable_mp import OperationBudgetError, plan_map
from durable_mp.config import ItemBatcher, NestingType
from durable_mp.planning import max_operations
from durable_mp.testing import DurableFunctionTestRunner

from . import handlers
from .conftest import history


def test_unbatched_5000_item_map_fails_fast_before_any_item_runs() -> None:
    with DurableFunctionTestRunner(handler=handlers.doubles_step) as runner:
        result = runner.run(input={"n": 5_000, "executor": "threads"}, timeout=30)
        assert result.status.name == "FAILED"
        assert result.error.type.endswith("OperationBudgetError")
        message = result.error.message
        assert "needs at least 5,001 operations" in message and "2,999 left" in message
        assert "(1 of 3,000 used)" in message
        assert "item_batcher=ItemBatcher(" in message and 'executor="invoke"' in message and "FLAT" in message
        events = history(runner.service, result.execution_arn)
        assert not [e for e in events if e["EventType"].startswith(("Context", "Step"))]  # no Map CONTEXT


def test_limit_from_the_decorator_counts_what_the_execution_used() -> None:
    with DurableFunctionTestRunner(handler=handlers.small_budget) as runner:
        assert runner.run(input={"n": 47}, timeout=30).status.name == "SUCCEEDED"  # 1 + 1 + 1 + 47 = 50
        result = runner.run(input={"n": 48}, timeout=30)
        assert result.status.name == "FAILED"
        assert "needs at least 49 operations" in result.error.message
        assert "48 left (2 of 50 used)" in result.error.message


def test_limit_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DURABLE_MP_MAX_OPERATIONS", "10")
    assert max_operations() == 10
    with DurableFunctionTestRunner(handler=handlers.doubles) as runner:
        result = runner.run(input={"n": 9, "executor": "inline"}, timeout=30)
        assert result.status.name == "FAILED" and "needs at least 10 operations" in result.error.message
        flat = runner.run(input={"n": 9, "executor": "inline", "nesting": "FLAT"}, timeout=30)
        assert flat.status.name == "SUCCEEDED"  # FLAT items write no context of their own
    monkeypatch.setenv("DURABLE_MP_MAX_OPERATIONS", "zero")
    with pytest.raises(ValueError, match="DURABLE_MP_MAX_OPERATIONS"):
        max_operations()


def test_parallel_is_planned_too() -> None:
    with DurableFunctionTestRunner(handler=handlers.parallel_of) as runner:
        result = runner.run(input={"n": 3_000}, timeout=30)
        assert result.status.name == "FAILED" and "parallel needs at least 3,001" in result.error.message


def test_invoke_child_too_big_is_refused_in_the_parent() -> None:
    with DurableFunctionTestRunner(handler=handlers.fanout) as runner:
        result = runner.run(input={"n": 4_000, "batch": 3_000, "executor": "invoke"}, timeout=30)
        assert result.status.name == "FAILED"
        assert "a child execution of 3,000 items needs at least 3,002 operations" in result.error.message
        assert not [
            e for e in history(runner.service, result.execution_arn) if e["EventType"].startswith("Context")
        ]


def test_plan_shapes() -> None:
    nested = plan_map(1_000)
    assert (nested.shape, nested.operations_per_execution, nested.fits) == ("NESTED", 2_002, True)
    assert plan_map(1_499).fits and not plan_map(1_500).fits  # 1 + 1 + 2 * 1,500 = 3,002
    flat = plan_map(2_998, nesting_type=NestingType.FLAT)
    assert (flat.operations_per_execution, flat.fits) == (3_000, True)
    batched = plan_map(20_000, item_batcher=ItemBatcher(max_items_per_batch=1_000), operations_per_item=0)
    assert (batched.shape, batched.batches, batched.operations_per_execution) == ("BATCHED", 20, 22)
    by_bytes = plan_map([{"k": "v" * 93}] * 100, item_batcher=ItemBatcher(max_item_bytes_per_batch=1_000))
    assert by_bytes.items_per_batch == 9 and by_bytes.batches == 12  # 101-byte items, 1,000 bytes per batch


def test_worked_plan_for_a_million_items() -> None:
    """The plan in docs/scaling.md: 1,000,000 items of ~32 bytes (keys), one step each, ~32-byte results."""
    plan = plan_map(
        1_000_000,
        item_batcher=ItemBatcher(max_items_per_batch=1_000),
        executor="invoke",
        operations_per_item=1,
        item_bytes=32,
        result_bytes=32,
    )
    assert plan.fits
    assert (plan.children, plan.items_per_child) == (1_000, 1_000)
    assert plan.operations_per_execution == 1 + 1 + 1_000
    assert plan.operations_per_child == 1 + 1 + 2 * 1_000
    # the children's inputs + their framing + their results (the map's own result is a summary)
    assert plan.bytes_per_execution == 1_000_000 * 32 + 1_000 * 200 + 1_000_000 * (32 + 12) == 76_200_000
    assert plan.bytes_per_child == 1_000 * 32 * 3 + 1_000 * (32 + 64) + 1_000 * (32 + 12) == 236_000
    # 100-byte items and results would not fit: the parent alone would write 212 MB
    heavy = plan_map(
        1_000_000,
        item_batcher=ItemBatcher(max_items_per_batch=1_000),
        executor="invoke",
        item_bytes=100,
        result_bytes=100,
    )
    assert not heavy.fits and heavy.bytes_per_execution == 212_200_000
    too_many = plan_map(1_000_000, item_batcher=ItemBatcher(max_items_per_batch=200), executor="invoke")
    assert too_many.children == 5_000 and not too_many.fits  # the parent would hold 5,002 operations
    in_one = plan_map(
        1_000_000, item_batcher=ItemBatcher(max_items_per_batch=1_000), operations_per_item=0, result_bytes=32
    )
    assert in_one.fits and in_one.operations_per_execution == 1_002  # batching alone, no steps in items
    assert in_one.bytes_per_execution == 1_000_000 * (32 + 12) == 44_000_000  # the batches' envelopes
    assert not plan_map(
        1_000_000, item_batcher=ItemBatcher(max_items_per_batch=1_000), operations_per_item=0
    ).fits


def test_budget_error_is_a_validation_error() -> None:
    from durable_mp.exceptions import ValidationError

    assert issubclass(OperationBudgetError, ValidationError)
