"""Replay: recorded results come back without re-running user code; changed code is detected."""

from __future__ import annotations

from typing import Any

import pytest

from durable_mp import DurableContext, durable_execution
from durable_mp.config import CallbackConfig, Duration, StepConfig

from .conftest import child_id, root_id


def test_replay_returns_recorded_results_without_rerunning_user_code(run: Any) -> None:
    effects: dict[str, int] = {}

    def effect(name: str, value: Any) -> Any:
        def fn(_: Any) -> Any:
            effects[name] = effects.get(name, 0) + 1
            return value

        return fn

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        out = [context.step(effect(f"s{i}", i), name=f"s{i}") for i in range(5)]
        context.wait(Duration.from_seconds(1), name="w1")
        out.append(
            context.run_in_child_context(lambda c: c.step(effect("inner", "in"), name="inner"), name="child")
        )
        context.wait(Duration.from_seconds(1), name="w2")
        out.append(context.step(effect("last", "L"), name="last"))
        return out

    r = run(handler)
    assert r.value == [0, 1, 2, 3, 4, "in", "L"]
    assert effects == {"s0": 1, "s1": 1, "s2": 1, "s3": 1, "s4": 1, "inner": 1, "last": 1}
    assert r.invocations() == 3
    assert r.types().count("StepStarted") == 7


def test_replay_of_many_steps_is_fast_and_exact(run: Any) -> None:
    calls: list[int] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        total = sum(context.step(lambda _, i=i: calls.append(i) or i) for i in range(300))
        context.wait(Duration.from_seconds(1))
        return total

    r = run(handler)
    assert r.value == sum(range(300))
    assert calls == list(range(300))


class _Versions:
    """A handler whose code changes after the first invocation (a deployment mid-execution)."""

    def __init__(self) -> None:
        self.invocations = 0


def _changed_handler(first: Any, second: Any) -> tuple[Any, _Versions]:
    versions = _Versions()

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        versions.invocations += 1
        (first if versions.invocations == 1 else second)(context)
        context.wait(Duration.from_seconds(1), name="w")
        return "finished"

    return handler, versions


@pytest.mark.parametrize(
    ("second", "what"),
    [
        (lambda c: c.wait(Duration.from_seconds(1), name="a"), "type"),
        (lambda c: c.step(lambda _: 1, name="a", config=StepConfig(sub_type="Other")), "subtype"),
        (lambda c: c.step(lambda _: 1, name="renamed"), "name"),
        (lambda c: c.run_in_child_context(lambda cc: 1, name="a"), "type"),
        (lambda c: c.create_callback(name="a", config=CallbackConfig()), "type"),
    ],
    ids=["step->wait", "subtype", "name", "step->child", "step->callback"],
)
def test_changed_operation_at_an_id_fails_with_non_determinism_error(
    run: Any, second: Any, what: str
) -> None:
    handler, versions = _changed_handler(lambda c: c.step(lambda _: 1, name="a"), second)
    r = run(handler)
    assert r.status == "FAILED"
    error = r.result.error
    assert error is not None
    assert error.type == "aws_durable_execution_sdk_python.exceptions.NonDeterministicExecutionError"
    assert root_id(1) in (error.message or "") and what in (error.message or "")
    assert versions.invocations == 2  # not retried
    assert r.types()[-1] == "ExecutionFailed"


def test_changed_operation_inside_a_child_is_detected(run: Any) -> None:
    versions = _Versions()

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        versions.invocations += 1

        def body(c: DurableContext) -> None:
            c.step(lambda _: 1, name="x" if versions.invocations == 1 else "y")
            c.wait(Duration.from_seconds(1))

        context.run_in_child_context(body, name="child")
        return "done"

    r = run(handler)
    assert r.status == "FAILED"
    assert r.result.error is not None
    assert child_id(root_id(1), 1) in (r.result.error.message or "")


def test_appending_new_operations_after_recorded_ones_is_allowed(run: Any) -> None:
    versions = _Versions()

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        versions.invocations += 1
        a = context.step(lambda _: "a", name="a")
        context.wait(Duration.from_seconds(1), name="w")
        if versions.invocations > 1:
            return a + context.step(lambda _: "new", name="new")
        return a

    r = run(handler)
    assert r.value == "anew"


def test_step_without_name_replays_at_same_id(run: Any) -> None:
    calls: list[int] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        v = context.step(lambda _: calls.append(1) or 5)
        context.wait(Duration.from_seconds(1))
        return v

    r = run(handler)
    assert r.value == 5 and calls == [1]
