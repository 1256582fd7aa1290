"""Sagas: compensations run in reverse order, once each, as durable steps; failures are reported;
registrations are re-derived on replay; map items and branches compensate in their own context."""

from __future__ import annotations

from typing import Any

import pytest
from aws_durable_execution_sdk_python.lambda_service import Operation as OfficialOperation

from durable_mp import (
    CompensationError,
    CompensationOutcome,
    DurableContext,
    SagaError,
    StepContext,
    StepError,
    ValidationError,
    durable_execution,
    durable_saga,
)
from durable_mp.config import Duration, JitterStrategy, MapConfig, StepConfig
from durable_mp.retries import RetryPresets, RetryStrategyConfig, create_retry_strategy

NO_RETRY = StepConfig(retry_strategy=RetryPresets.none())
RETRY_TWICE = StepConfig(
    retry_strategy=create_retry_strategy(
        RetryStrategyConfig(max_attempts=3, initial_delay=Duration(1), jitter_strategy=JitterStrategy.NONE)
    )
)


def undo(log: list[str]) -> Any:
    def compensation(step: StepContext, result: Any) -> str:
        log.append(f"undo {result}")
        return f"undone {result}"

    return compensation


def fail(message: str) -> Any:
    def body(step: StepContext) -> None:
        raise RuntimeError(message)

    return body


def test_compensate_runs_the_registered_compensations_in_reverse_order_once(run: Any) -> None:
    log: list[str] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        for name in ("a", "b", "c"):
            context.step_with_compensation(lambda _, n=name: n.upper(), undo(log), name=name)
        context.wait(Duration(5), name="pause")  # a second invocation replays the registrations
        outcome = context.compensate()
        again = context.compensate()  # nothing left to compensate
        return [outcome.succeeded, outcome.failed, again.succeeded]

    r = run(handler)
    assert r.status == "SUCCEEDED", r.result.error
    assert r.value == [["compensate-c", "compensate-b", "compensate-a"], [], []]
    assert log == ["undo C", "undo B", "undo A"]
    assert r.invocations() == 2
    comp = [e for e in r.events if e.get("Name", "").startswith("compensate")]
    assert [(e["EventType"], e["Name"]) for e in comp] == [
        ("ContextStarted", "compensate"),
        ("StepStarted", "compensate-c"),
        ("StepSucceeded", "compensate-c"),
        ("StepStarted", "compensate-b"),
        ("StepSucceeded", "compensate-b"),
        ("StepStarted", "compensate-a"),
        ("StepSucceeded", "compensate-a"),
        ("ContextSucceeded", "compensate"),
    ]
    # only official operation types and subtypes, readable by the official SDK
    ops = r.ops()
    assert {(op["Type"], op.get("SubType")) for op in ops} <= {
        ("STEP", "Step"),
        ("WAIT", "Wait"),
        ("CONTEXT", "RunInChildContext"),
    }
    for op in ops:
        OfficialOperation.from_dict(op)


def test_a_failed_step_registers_nothing_and_the_saga_block_compensates_and_raises(run: Any) -> None:
    log: list[str] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        try:
            with context.saga():
                context.step_with_compensation(lambda _: "flight", undo(log), name="flight")
                context.step_with_compensation(lambda _: "hotel", undo(log), name="hotel")
                context.step_with_compensation(fail("no car"), undo(log), name="car", config=NO_RETRY)
        except SagaError as e:
            assert isinstance(e.__cause__, StepError)
            return {"cause": e.__cause__.message, "outcome": e.outcome.to_dict(), "message": str(e)}
        return "booked"

    r = run(handler)
    assert r.value["cause"] == "no car"
    assert r.value["outcome"] == {"succeeded": ["compensate-hotel", "compensate-flight"], "failed": []}
    assert "compensated: compensate-hotel, compensate-flight; failed: none" in r.value["message"]
    assert log == ["undo hotel", "undo flight"]


def test_compensation_failures_are_reported_and_the_rest_still_run(run: Any) -> None:
    log: list[str] = []
    attempts: list[int] = []

    def flaky(step: StepContext, result: Any) -> None:
        attempts.append(step.attempt)
        if step.attempt < 2:
            raise ConnectionError("reset")
        log.append(f"undo {result}")

    def broken(step: StepContext, result: Any) -> None:
        raise RuntimeError(f"cannot undo {result}")

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        context.step_with_compensation(lambda _: "a", undo(log), name="a")
        context.step_with_compensation(lambda _: "b", broken, name="b", compensation_config=NO_RETRY)
        context.step_with_compensation(lambda _: "c", flaky, name="c", compensation_config=RETRY_TWICE)
        outcome = context.compensate()
        return outcome.to_dict()

    r = run(handler)
    assert r.value["succeeded"] == ["compensate-c", "compensate-a"]
    [failure] = r.value["failed"]
    assert failure["name"] == "compensate-b"
    assert failure["error"]["ErrorType"] == "RuntimeError"
    assert failure["error"]["ErrorMessage"] == "cannot undo b"
    assert log == ["undo c", "undo a"]
    assert attempts == [1, 2]  # the compensation's own retry strategy


def test_compensate_can_raise_the_outcome(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        context.step_with_compensation(lambda _: 1, lambda s, r: None, name="ok")
        context.step_with_compensation(
            lambda _: 2, lambda s, r: int("x"), name="bad", compensation_config=NO_RETRY
        )
        try:
            context.compensate(raise_on_failure=True)
        except CompensationError as e:
            return [e.outcome.succeeded, [f.name for f in e.outcome.failed], e.outcome.failed[0].error.type]
        return None

    assert run(handler).value == [["compensate-ok"], ["compensate-bad"], "ValueError"]


def test_saga_block_that_succeeds_or_suspends_compensates_nothing(run: Any) -> None:
    log: list[str] = []

    @durable_saga
    def book(context: DurableContext) -> str:
        context.step_with_compensation(lambda _: "x", undo(log), name="x")
        context.wait(Duration(3), name="nap")  # suspends inside the block: no compensation
        return context.step(lambda _: "done", name="y")

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return book(context)

    r = run(handler)
    assert r.value == "done"
    assert log == []
    assert r.invocations() == 2


def test_the_decorator_compensates_what_its_block_registered_only(run: Any) -> None:
    log: list[str] = []

    @durable_saga
    def inner(context: DurableContext) -> None:
        context.step_with_compensation(lambda _: "inner", undo(log), name="inner")
        raise ValueError("inner failed")

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        context.step_with_compensation(lambda _: "outer", undo(log), name="outer")
        try:
            inner(context)
        except SagaError as e:
            first = e.outcome.succeeded
        rest = context.compensate()
        return [first, rest.succeeded]

    r = run(handler)
    assert r.value == [["compensate-inner"], ["compensate-outer"]]
    assert log == ["undo inner", "undo outer"]


@pytest.mark.parametrize("executor", ["processes", "threads"])
def test_compensations_in_map_items_belong_to_the_item(run: Any, executor: str) -> None:
    def item(ctx: DurableContext, x: int, i: int, items: Any) -> Any:
        ctx.step_with_compensation(lambda _: x * 10, lambda s, r: f"undo {r}", name=f"reserve-{x}")
        if x == 2:
            return ctx.compensate().succeeded
        return []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        results = context.map([1, 2, 3], item, config=MapConfig(executor=executor)).get_results()
        return [results, context.compensate().succeeded]  # the root registered nothing

    r = run(handler, timeout=30)
    assert r.value == [[[], ["compensate-reserve-2"], []], []]
    [undone] = [
        e for e in r.events if e["EventType"] == "StepSucceeded" and e["Name"] == "compensate-reserve-2"
    ]
    assert undone["StepSucceededDetails"]["Result"]["Payload"] == '"undo 20"'


def test_bad_compensation_is_rejected_before_anything_is_checkpointed(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        context.step_with_compensation(lambda _: 1, "not callable", name="x")  # type: ignore[arg-type]

    r = run(handler)
    assert r.status == "FAILED"
    assert "compensation must be a callable" in str(r.result.error)
    assert not [e for e in r.events if e["EventType"].startswith("Step")]
    assert isinstance(ValidationError("x"), Exception)


def test_outcome_round_trips() -> None:
    outcome = CompensationOutcome.from_dict(
        {"succeeded": ["a"], "failed": [{"name": "b", "error": {"ErrorType": "E", "ErrorMessage": "m"}}]}
    )
    assert not outcome.all_succeeded
    assert CompensationOutcome.from_dict(outcome.to_dict()) == outcome
    assert CompensationOutcome().all_succeeded
