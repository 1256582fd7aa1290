"""On threads, items start in index order and a free slot is refilled after each outcome, as in the
official SDK: compared with the official SDK 3.0.0 and its testing runner on the same map."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

# item k sleeps DELAYS[k] seconds, then fails, except item 3, which succeeds
DELAYS = [0.0, 1.5, 0.0, 0.4, 0.0, 0.0]
SUCCEEDS = 3


def _work(index: int) -> str:
    time.sleep(DELAYS[index])
    if index != SUCCEEDS:
        raise ValueError(f"item {index} fails")
    return f"item {index}"


def _ours() -> list[tuple[int, str]]:
    from durable_mp import DurableContext, durable_execution
    from durable_mp.config import CompletionConfig, MapConfig
    from durable_mp.testing import DurableFunctionTestRunner

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        config = MapConfig(
            max_concurrency=2, completion_config=CompletionConfig.first_successful(), executor="threads"
        )
        result = context.map(list(range(len(DELAYS))), lambda c, item, i, items: _work(i), config=config)
        return [(item.index, item.status.value) for item in result.all]

    with DurableFunctionTestRunner(handler) as runner:
        return [tuple(x) for x in json.loads(runner.run({}).result)]


def _official() -> list[tuple[int, str]]:
    from aws_durable_execution_sdk_python import DurableContext, durable_execution
    from aws_durable_execution_sdk_python.config import CompletionConfig, MapConfig
    from aws_durable_execution_sdk_python_testing.runner import DurableFunctionTestRunner

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        config = MapConfig(max_concurrency=2, completion_config=CompletionConfig.first_successful())
        result = context.map(list(range(len(DELAYS))), lambda c, item, i, items: _work(i), config=config)
        return [(item.index, item.status.value) for item in result.all]

    with DurableFunctionTestRunner(handler=handler) as runner:
        return [tuple(x) for x in json.loads(runner.run(input="{}", timeout=30).result)]


@pytest.mark.slow
def test_thread_items_start_and_refill_as_in_the_official_sdk() -> None:
    pytest.importorskip("aws_durable_execution_sdk_python_testing")
    expected = [(0, "FAILED"), (1, "STARTED"), (2, "FAILED"), (3, "SUCCEEDED")]
    assert _official() == expected
    assert _ours() == expected


def test_the_thread_executor_hands_over_one_outcome_at_a_time() -> None:
    """Two outcomes that arrive together are recorded one by one, with a refill in between."""
    from durable_mp.concurrency.branch import Outcome
    from durable_mp.concurrency.executors import ThreadExecutor
    from durable_mp.state import ExecutionState
    from durable_mp.state.replay import ReplayState

    executor = ThreadExecutor(
        ExecutionState(ReplayState("arn"), checkpointer=None), lambda i: lambda c: None, None
    )  # type: ignore[arg-type]
    executor._done.put(Outcome(1, "FAILED"))
    executor._done.put(Outcome(0, "SUCCEEDED"))
    assert [o.index for o in executor.wait(0)] == [1]
    assert [o.index for o in executor.drain()] == [0]
    assert executor.wait(0) == []
