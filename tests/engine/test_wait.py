"""wait: first run (START + suspend), replay past completed waits, validation before any checkpoint."""

from __future__ import annotations

from typing import Any

import pytest

from durable_mp import DurableContext, ValidationError, durable_execution
from durable_mp.config import Duration

from .conftest import child_id, root_id


def test_wait_suspends_then_resumes_in_a_new_invocation(run: Any) -> None:
    before: list[int] = []
    after: list[int] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        before.append(1)
        context.wait(Duration.from_seconds(30), name="pause")
        after.append(1)
        return "woke"

    r = run(handler)
    assert r.value == "woke"
    assert len(before) == 2 and after == [1]
    assert r.types() == [
        "ExecutionStarted",
        "WaitStarted",
        "InvocationCompleted",
        "WaitSucceeded",
        "InvocationCompleted",
        "ExecutionSucceeded",
    ]
    started = r.of(root_id(1))[0]
    assert started["Name"] == "pause" and started["SubType"] == "Wait"
    details = started["WaitStartedDetails"]
    assert details["Duration"] == 30
    assert details["ScheduledEndTimestamp"] > started["EventTimestamp"]


def test_wait_duration_units_are_sent_in_seconds(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        context.wait(Duration.from_minutes(2))
        context.wait(Duration.from_hours(1))
        return None

    r = run(handler, execution_timeout=86_400)
    assert r.status == "SUCCEEDED"
    durations = [e["WaitStartedDetails"]["Duration"] for e in r.events if e["EventType"] == "WaitStarted"]
    assert durations == [120, 3600]
    assert "Name" not in r.of(root_id(1))[0]


def test_sequential_waits_each_take_one_invocation_and_replay_in_order(run: Any) -> None:
    marks: list[str] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        for i in range(3):
            context.wait(Duration.from_seconds(1), name=f"w{i}")
            marks.append(f"after w{i}")
        return i + 1

    r = run(handler)
    # code between waits is not durable: each invocation re-runs it up to its wait
    assert marks == ["after w0", "after w0", "after w1", "after w0", "after w1", "after w2"]
    assert r.value == 3
    assert r.invocations() == 4
    assert [e["Id"] for e in r.events if e["EventType"] == "WaitStarted"] == [root_id(i) for i in (1, 2, 3)]


def test_wait_in_child_context_uses_child_ids_and_parent(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.run_in_child_context(
            lambda c: c.wait(Duration.from_seconds(5), name="inner") or "done", name="child"
        )

    r = run(handler)
    assert r.value == "done"
    wait_id = child_id(root_id(1), 1)
    events = r.of(wait_id)
    assert [e["EventType"] for e in events] == ["WaitStarted", "WaitSucceeded"]
    assert events[0]["ParentId"] == root_id(1)


@pytest.mark.parametrize(
    ("duration", "message"),
    [
        (Duration(), "at least 1 second"),
        (Duration.from_seconds(31_622_401), "at most"),
        (5, "must be a Duration"),
    ],
)
def test_invalid_wait_raises_validation_error_before_checkpointing(
    run: Any, duration: Any, message: str
) -> None:
    caught: list[str] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        try:
            context.wait(duration)
        except ValidationError as exc:
            caught.append(str(exc))
        return context.step(lambda _: "after", name="next")

    r = run(handler)
    assert r.value == "after"
    assert len(caught) == 1 and message in caught[0]
    # the refused wait consumed no counter slot: the step is operation 1
    assert r.of(root_id(1))[0]["EventType"] == "StepStarted"
    assert "WaitStarted" not in r.types()


def test_one_year_wait_is_accepted(runner_factory: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        context.wait(Duration.from_seconds(31_622_400), name="year")
        return "ok"

    runner = runner_factory(handler, skip_time=False)
    arn = runner.run_async(execution_timeout=31_622_400)
    assert runner.service.wait_until(
        lambda: "InvocationCompleted" in [e["EventType"] for e in runner.service.events(arn)], 5
    )
    events = runner.get_execution_history(arn)["Events"]
    started = [e for e in events if e["EventType"] == "WaitStarted"]
    assert started[0]["WaitStartedDetails"]["Duration"] == 31_622_400
    assert "Error" not in events[-1].get("InvocationCompletedDetails", {})


def test_wait_replay_sets_is_replaying_until_new_code(run: Any) -> None:
    flags: list[tuple[str, bool]] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        flags.append(("start", context.is_replaying()))
        context.step(lambda _: 1, name="s")
        flags.append(("after step", context.is_replaying()))
        context.wait(Duration.from_seconds(1), name="w")
        flags.append(("after wait", context.is_replaying()))
        return None

    run(handler)
    assert flags == [
        ("start", False),
        ("after step", False),
        ("start", True),
        ("after step", True),
        ("after wait", False),
    ]
