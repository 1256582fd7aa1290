"""The hooks a plugin receives, with the official info fields, on the handler thread, threads and processes."""

from __future__ import annotations

import contextvars
import json
from typing import Any

import pytest

from durable_mp import DurableContext, StepContext, durable_execution
from durable_mp.config import Duration, MapConfig, StepConfig
from durable_mp.plugin import (
    DurableInstrumentationPlugin,
    InvocationStatus,
    OperationStatus,
    OperationType,
    PluginExecutor,
    UserFunctionOutcome,
)
from durable_mp.retries import RetryPresets, RetryStrategyConfig, create_retry_strategy
from durable_mp.testing import DurableFunctionTestRunner
from durable_mp.waits import WaitForConditionConfig, WaitForConditionDecision

from .recording import RecorderFactory

RETRY_ONCE = StepConfig(
    retry_strategy=create_retry_strategy(
        RetryStrategyConfig(max_attempts=2, initial_delay=Duration.from_seconds(1))
    )
)


def _flaky(step_context: StepContext) -> str:
    if step_context.attempt < 2:
        raise ValueError("first attempt fails")
    return "ok"


def test_step_with_a_retry_over_two_invocations() -> None:
    factory = RecorderFactory()

    @durable_execution(plugins=[factory])
    def handler(event: Any, context: DurableContext) -> str:
        return context.step(_flaky, name="flaky", config=RETRY_ONCE)

    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run({"x": 1})
    assert result.result == '"ok"'
    names = [n for n in factory.names() if n != "on_operation_change"]
    assert names == [
        "on_invocation_start",
        "on_operation_start",
        "on_user_function_start",
        "on_user_function_end",
        "on_invocation_end",
        "on_invocation_start",
        "on_operation_start",
        "on_user_function_start",
        "on_user_function_end",
        "on_operation_end",
        "on_invocation_end",
    ]
    first, second = factory.created
    assert first.is_first_invocation and not second.is_first_invocation
    assert first.execution_input == {"x": 1} and first.execution_arn == second.execution_arn
    assert first.request_id and first.request_id != second.request_id
    ends = factory.of("on_user_function_end")
    assert [(e.attempt, e.outcome) for e in ends] == [
        (1, UserFunctionOutcome.FAILED),
        (2, UserFunctionOutcome.SUCCEEDED),
    ]
    assert ends[0].error.type == "ValueError" and ends[0].error.message == "first attempt fails"
    starts = factory.of("on_operation_start")
    assert [s.is_replayed for s in starts] == [False, True]
    assert starts[0].operation_type is OperationType.STEP and starts[0].name == "flaky"
    assert starts[0].sub_type == "Step" and starts[0].status is OperationStatus.STARTED
    (end,) = factory.of("on_operation_end")
    assert (
        end.status is OperationStatus.SUCCEEDED
        and end.result == '"ok"'
        and end.operation_id == starts[0].operation_id
    )
    statuses = [i.status for i in factory.of("on_invocation_end")]
    assert statuses == [InvocationStatus.PENDING, InvocationStatus.SUCCEEDED]
    assert factory.of("on_invocation_end")[1].execution_result == '"ok"'
    changes = factory.of("on_operation_change")
    assert changes and all(c.execution_arn == first.execution_arn for c in changes)
    seen = {(op_id, info.status) for c in changes for op_id, info in c.updated_operations.items()}
    assert (end.operation_id, OperationStatus.SUCCEEDED) in seen
    assert end.operation_id in changes[-1].operations


def test_failing_hooks_are_logged_and_never_change_the_outcome(caplog: pytest.LogCaptureFixture) -> None:
    factory = RecorderFactory(fail=True)

    @durable_execution(plugins=[factory])
    def handler(event: Any, context: DurableContext) -> str:
        return context.step(lambda s: "done", name="s", config=StepConfig(retry_strategy=RetryPresets.none()))

    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run({})
    assert result.result == '"done"'
    assert "on_invocation_end" in factory.names() and "on_operation_end" in factory.names()
    assert any("Plugin Recorder exception ignored" in r.getMessage() for r in caplog.records)


def test_thread_control_exceptions_propagate_after_the_end_hook_reached_every_plugin() -> None:
    class Interrupt(DurableInstrumentationPlugin):
        def on_operation_start(self, info: Any) -> None:
            raise KeyboardInterrupt

        def on_invocation_end(self, info: Any) -> None:
            raise SystemExit(3)

    class Factory:
        def create_plugin(self, info: Any) -> Any:
            return Interrupt()

    recorder = RecorderFactory()
    plugins = PluginExecutor([Factory(), recorder])
    plugins.invocation_start(
        execution_arn="arn",
        is_first_invocation=True,
        execution_start_time=None,
        lambda_context=None,
        execution_input={},
        operations=dict,
    )
    with pytest.raises(KeyboardInterrupt):
        plugins.operation_started({"Id": "1", "Type": "STEP", "Action": "START", "SubType": "Step"}, None)
    with pytest.raises(SystemExit):
        plugins.invocation_end({"Status": "SUCCEEDED", "Result": "1"})
    assert recorder.names() == ["on_invocation_start", "on_invocation_end"]


def test_invoke_gets_the_plugins_trace_id() -> None:
    factory = RecorderFactory(trace_id="Root=1-abc-def")

    @durable_execution(plugins=[factory])
    def handler(event: Any, context: DurableContext) -> Any:
        return context.invoke("target", {"a": 1}, name="call")

    @durable_execution
    def target(event: Any, context: DurableContext) -> Any:
        return event

    with DurableFunctionTestRunner(handler) as runner:
        runner.register_durable_function("target", target)
        result = runner.run({})
    assert json.loads(result.result) == {"a": 1}
    (info,) = factory.of("provide_propagation_metadata")
    assert info.target_function_name == "target" and info.parent_operation_id is None
    assert info.operation_id == factory.of("on_operation_start")[0].operation_id


def _item(context: DurableContext, item: int, index: int, items: list[int]) -> int:
    context.logger.info("item %s", index)
    return context.step(lambda s: item * 10, name=f"step-{index}")


def _hook_trace(executor: str) -> list[tuple[Any, ...]]:
    factory = RecorderFactory()

    @durable_execution(plugins=[factory])
    def handler(event: Any, context: DurableContext) -> Any:
        return context.map(
            [1, 2, 3], _item, name="m", config=MapConfig(executor=executor, max_concurrency=1)
        ).get_results()

    with DurableFunctionTestRunner(handler) as runner:
        assert json.loads(runner.run({}).result) == [10, 20, 30]
    trace = []
    for name, info in factory.events:
        if name in ("on_operation_change", "on_invocation_start", "on_invocation_end"):
            continue
        trace.append(
            (
                name,
                info.operation_id,
                info.operation_type,
                info.sub_type,
                info.name,
                info.parent_id,
                info.status,
                info.attempt,
                info.is_replayed,
                getattr(info, "outcome", None),
                info.result,
            )
        )
    return trace


def test_worker_items_reach_the_parents_plugins_as_thread_items_do() -> None:
    threads = _hook_trace("threads")
    assert len(threads) == 4 + 3 * 8  # the map's 4 hooks, then 8 per item (item and its step)
    assert _hook_trace("processes") == threads


TRACE: contextvars.ContextVar[str] = contextvars.ContextVar("TRACE", default="unset")


class _Binding(DurableInstrumentationPlugin):
    def on_invocation_start(self, info: Any) -> None:
        TRACE.set("bound by the plugin")


class _BindingFactory:
    def create_plugin(self, info: Any) -> _Binding:
        return _Binding()


def test_thread_items_see_the_context_the_plugins_bound() -> None:
    @durable_execution(plugins=[_BindingFactory()])
    def handler(event: Any, context: DurableContext) -> Any:
        def item(child: DurableContext, x: int, i: int, items: list[int]) -> str:
            return child.wait_for_condition(
                lambda state, check: TRACE.get(),
                config=WaitForConditionConfig(
                    initial_state=None, wait_strategy=lambda s, a: WaitForConditionDecision.stop_polling()
                ),
            )

        return context.map([1, 2], item, config=MapConfig(executor="threads")).get_results()

    with DurableFunctionTestRunner(handler) as runner:
        assert json.loads(runner.run({}).result) == ["bound by the plugin"] * 2
