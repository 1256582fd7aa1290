"""run_in_child_context: CONTEXT START/SUCCEED/FAIL, replay without re-running, ReplayChildren for big results."""

from __future__ import annotations

from typing import Any

from durable_mp import ChildContextError, DurableContext, durable_execution, durable_with_child_context
from durable_mp.config import ChildConfig, Duration, StepConfig
from durable_mp.retries import RetryPresets

from .conftest import Recorded, child_id, root_id


@durable_with_child_context
def add_in_child(ctx: DurableContext, a: int, b: int) -> int:
    return ctx.step(lambda _: a + b, name="add")


def test_child_context_first_run_records_context_and_children(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.run_in_child_context(add_in_child(2, 3))

    r = run(handler)
    assert r.value == 5
    cid = root_id(1)
    events = r.of(cid)
    assert [e["EventType"] for e in events] == ["ContextStarted", "ContextSucceeded"]
    assert events[0]["Name"] == "add_in_child" and events[0]["SubType"] == "RunInChildContext"
    assert events[1]["ContextSucceededDetails"]["Result"]["Payload"] == "5"
    inner = r.of(child_id(cid, 1))
    assert [e["EventType"] for e in inner] == ["StepStarted", "StepSucceeded"]
    assert inner[0]["ParentId"] == cid and inner[0]["Name"] == "add"
    assert r.types() == [
        "ExecutionStarted",
        "ContextStarted",
        "StepStarted",
        "StepSucceeded",
        "ContextSucceeded",
        "InvocationCompleted",
        "ExecutionSucceeded",
    ]
    ctx_op = r.result.get_context("add_in_child")
    assert [op.name for op in ctx_op.child_operations] == ["add"]


def test_completed_child_is_not_run_again_on_replay(run: Any) -> None:
    bodies: list[int] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        def body(ctx: DurableContext) -> dict[str, int]:
            bodies.append(1)
            return {"v": ctx.step(lambda _: 10, name="inner")}

        v = context.run_in_child_context(body, name="child")
        context.wait(Duration.from_seconds(1), name="w")
        return v

    r = run(handler)
    assert r.value == {"v": 10}
    assert bodies == [1]


def test_child_with_a_wait_inside_reruns_body_but_not_its_completed_steps(run: Any) -> None:
    bodies: list[int] = []
    steps: list[str] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        def body(ctx: DurableContext) -> str:
            bodies.append(1)
            a = ctx.step(lambda _: steps.append("a") or "a", name="a")
            ctx.wait(Duration.from_seconds(3), name="inner-wait")
            b = ctx.step(lambda _: steps.append("b") or "b", name="b")
            return a + b

        return context.run_in_child_context(body, name="child")

    r = run(handler)
    assert r.value == "ab"
    assert len(bodies) == 2
    assert steps == ["a", "b"]
    assert [e["EventType"] for e in r.of(root_id(1))] == ["ContextStarted", "ContextSucceeded"]


def test_child_failure_raises_child_context_error_and_replays_it(run: Any) -> None:
    bodies: list[int] = []
    caught: list[tuple[str, str | None]] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        def body(ctx: DurableContext) -> None:
            bodies.append(1)
            raise LookupError("no such thing")

        try:
            context.run_in_child_context(body, name="child")
        except ChildContextError as exc:
            caught.append((exc.error_type, exc.message))
        context.wait(Duration.from_seconds(1))
        return "handled"

    r = run(handler)
    assert r.value == "handled"
    assert bodies == [1]
    assert caught == [("LookupError", "no such thing")] * 2
    events = r.of(root_id(1))
    assert [e["EventType"] for e in events] == ["ContextStarted", "ContextFailed"]
    assert events[1]["ContextFailedDetails"]["Error"]["Payload"]["ErrorType"] == "LookupError"


def test_step_error_inside_child_propagates_as_child_context_error(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        def body(ctx: DurableContext) -> None:
            ctx.step(lambda _: 1 / 0, name="div", config=StepConfig(retry_strategy=RetryPresets.none()))

        context.run_in_child_context(body, name="child")

    r = run(handler)
    assert r.status == "FAILED"
    assert r.result.error is not None
    assert r.result.error.type == "aws_durable_execution_sdk_python.exceptions.ChildContextError"
    failed = r.of(root_id(1))[-1]
    assert failed["EventType"] == "ContextFailed"
    assert (
        failed["ContextFailedDetails"]["Error"]["Payload"]["ErrorType"]
        == "aws_durable_execution_sdk_python.exceptions.StepError"
    )


def test_nested_children_use_nested_ids(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        def outer(ctx: DurableContext) -> int:
            ctx.step(lambda _: 1, name="first")
            return ctx.run_in_child_context(lambda inner: inner.step(lambda _: 2, name="deep"), name="inner")

        return context.run_in_child_context(outer, name="outer")

    r = run(handler)
    assert r.value == 2
    outer = root_id(1)
    inner = child_id(outer, 2)
    deep = child_id(inner, 1)
    assert r.of(child_id(outer, 1))[0]["Name"] == "first"
    assert r.of(inner)[0]["Name"] == "inner" and r.of(inner)[0]["ParentId"] == outer
    assert r.of(deep)[0]["Name"] == "deep" and r.of(deep)[0]["ParentId"] == inner


def test_big_child_result_replays_children_and_returns_the_same_value(run: Any) -> None:
    steps: list[int] = []
    bodies: list[int] = []
    results: list[int] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        def body(ctx: DurableContext) -> str:
            bodies.append(1)
            parts = [
                ctx.step(lambda _, i=i: steps.append(i) or ("x" * 100_000), name=f"part{i}") for i in range(3)
            ]
            return "".join(parts)

        big = context.run_in_child_context(body, name="big")
        results.append(len(big))
        context.wait(Duration.from_seconds(1), name="w")
        return len(big)

    r = run(handler)
    assert r.value == 300_000
    assert results == [300_000, 300_000]
    assert len(bodies) == 2  # replayed over its checkpointed children
    assert steps == [0, 1, 2]  # the children were not run again
    succeeded = r.of(root_id(1))[-1]
    assert succeeded["EventType"] == "ContextSucceeded"
    assert len(succeeded["ContextSucceededDetails"]["Result"]["Payload"] or "") < 1000
    assert r.op(root_id(1))["ContextDetails"]["ReplayChildren"] is True


def test_big_child_result_uses_summary_generator(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return len(
            context.run_in_child_context(
                lambda ctx: "y" * 300_000,
                name="big",
                config=ChildConfig(summary_generator=lambda v: f"summary of {len(v)}"),
            )
        )

    recorded = Recorded(handler)
    r = run(recorded)
    assert r.value == 300_000
    succeed = [u for u in recorded.updates if u["Action"] == "SUCCEED" and u["Type"] == "CONTEXT"]
    assert succeed[0]["Payload"] == "summary of 300000"
    assert succeed[0]["ContextOptions"] == {"ReplayChildren": True}


def test_small_child_result_is_not_replay_children(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.run_in_child_context(lambda ctx: "small", name="c")

    recorded = Recorded(handler)
    run(recorded)
    succeed = [u for u in recorded.updates if u["Action"] == "SUCCEED" and u["Type"] == "CONTEXT"]
    assert succeed[0]["ContextOptions"] == {"ReplayChildren": False}
    assert succeed[0]["Payload"] == '"small"'


def test_child_custom_sub_type(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.run_in_child_context(lambda ctx: 1, name="c", config=ChildConfig(sub_type="MyKind"))

    r = run(handler)
    assert r.of(root_id(1))[0]["SubType"] == "MyKind"
