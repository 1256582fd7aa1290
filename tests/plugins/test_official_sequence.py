"""The hook sequence a plugin sees, compared with the official SDK 3.0.0 on its testing runner 1.4.0:
operations that completed while the execution was suspended, child contexts without a terminal
checkpoint (FLAT items, ReplayChildren bodies) and wait_for_callback submitters."""

from __future__ import annotations

import json
import types
from typing import Any

import pytest

from .official import Hook, both, recorder


def _waits_then_steps(space: types.SimpleNamespace) -> list[Hook]:
    factory, events = recorder(space)

    @space.execution.durable_execution(plugins=[factory])
    def handler(event: Any, context: Any) -> Any:
        context.wait(space.config.Duration.from_seconds(1), name="pause")
        return context.step(lambda s: "after", name="after")

    with space.Runner(handler=handler) as runner:
        result = runner.run(input="{}", timeout=30)
    assert json.loads(result.result) == "after"
    return events


@pytest.mark.slow
def test_a_wait_that_ended_while_suspended_ends_in_the_next_invocation() -> None:
    official, ours = both(_waits_then_steps)
    assert ("on_operation_end", "pause", "WAIT", "Wait", "SUCCEEDED", False, None) in official
    assert ours == official


def _flat_map(space: types.SimpleNamespace) -> list[Hook]:
    factory, events = recorder(space)
    config = space.config.MapConfig(max_concurrency=1, nesting_type=space.config.NestingType.FLAT)
    if not space.official:
        config = space.config.MapConfig(
            max_concurrency=1, nesting_type=space.config.NestingType.FLAT, executor="threads"
        )

    def item(context: Any, x: int, index: int, items: Any) -> int:
        if x == 2:
            raise ValueError("two fails")
        return context.step(lambda s: x * 10, name=f"step-{index}")

    @space.execution.durable_execution(plugins=[factory])
    def handler(event: Any, context: Any) -> Any:
        result = context.map([1, 2], item, name="flat", config=config)
        return [r.status.value for r in result.all]

    with space.Runner(handler=handler) as runner:
        result = runner.run(input="{}", timeout=30)
    assert json.loads(result.result) == ["SUCCEEDED", "FAILED"]
    return events


def test_flat_map_items_get_an_end_hook_as_officially() -> None:
    official, ours = both(_flat_map)
    assert [h for h in official if h[0] == "on_operation_end" and h[3] == "MapIteration"]
    assert ours == official


def _replay_children(space: types.SimpleNamespace) -> list[Hook]:
    factory, events = recorder(space)

    def big(child: Any) -> str:
        child.step(lambda s: "inner", name="inner")
        return "x" * 300_000  # over the checkpoint limit: the CONTEXT records ReplayChildren

    @space.execution.durable_execution(plugins=[factory])
    def handler(event: Any, context: Any) -> Any:
        value = context.run_in_child_context(big, name="big")
        context.wait(space.config.Duration.from_seconds(1), name="pause")
        return len(value)

    with space.Runner(handler=handler) as runner:
        result = runner.run(input="{}", timeout=30)
    assert json.loads(result.result) == 300_000
    return events


@pytest.mark.slow
def test_a_replay_children_body_ends_again_as_replayed() -> None:
    official, ours = both(_replay_children)
    assert ("on_operation_end", "big", "CONTEXT", "RunInChildContext", "SUCCEEDED", True, None) in official
    assert ours == official


def _wait_for_callback(space: types.SimpleNamespace) -> list[Hook]:
    factory, events = recorder(space)

    @space.execution.durable_execution(plugins=[factory])
    def handler(event: Any, context: Any) -> Any:
        return context.wait_for_callback(lambda callback_id, ctx: None, name="approve")

    with space.Runner(handler=handler) as runner:
        arn = runner.run_async(input="{}", timeout=30)
        callback_id = runner.wait_for_callback(arn, timeout=30)
        runner.send_callback_success(callback_id, b'"yes"')
        runner.wait_for_result(arn, timeout=30)
    return events


def test_wait_for_callback_submitters_get_user_function_hooks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The callback, completed while the execution was suspended, is in the next invocation's
    UpdatedOperationIds, as the service sends them. The official testing service 1.4.0 leaves callbacks
    out of that list (it records waits, retries and chained invokes only); patched here to list them,
    the official SDK gives the callback's end hook where durable-mp does, when the callback is replayed."""
    execution = pytest.importorskip("aws_durable_execution_sdk_python_testing.execution").Execution
    complete = execution.complete_callback_success

    def listed(self: Any, callback_id: str, *args: Any, **kwargs: Any) -> Any:
        op = complete(self, callback_id, *args, **kwargs)
        self._record_updated_operation(op.operation_id)
        return op

    monkeypatch.setattr(execution, "complete_callback_success", listed)
    official, ours = both(_wait_for_callback)
    submitter = [h for h in official if h[1] == "approve submitter" and "user_function" in h[0]]
    assert [h[0] for h in submitter] == ["on_user_function_start", "on_user_function_end"]
    assert official[-1] == ("on_invocation_end", "SUCCEEDED")
    assert ours == official
