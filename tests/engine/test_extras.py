"""durable-mp additions: combinators, replay-safe helpers, original input, cancel_wait, typed ids, payload limit."""

from __future__ import annotations

from typing import Any

import pytest

from durable_mp import (
    CallbackId,
    DurableContext,
    DurableOperationError,
    ExecutionArn,
    OperationId,
    StepError,
    ValidationError,
    durable_execution,
)
from durable_mp.config import Duration, ParallelConfig

from .conftest import child_id, item_id, root_id


def ok(value: Any) -> Any:
    return lambda ctx: ctx.step(lambda _: value, name=f"ok-{value}")


def boom(message: str) -> Any:
    def branch(ctx: DurableContext) -> Any:
        raise RuntimeError(message)

    return branch


def waits_then(value: Any, seconds: int) -> Any:
    def branch(ctx: DurableContext) -> Any:
        ctx.wait(Duration.from_seconds(seconds))
        return value

    return branch


# ------------------------------------------------------------------------------------ combinators


def test_all_returns_results_in_order(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.all([ok(1), waits_then(2, 3), ok(3)], name="all")

    r = run(handler)
    assert r.value == [1, 2, 3]
    assert r.of(root_id(1))[0]["SubType"] == "Parallel" and r.of(root_id(1))[0]["Name"] == "all"


def test_all_raises_the_first_failure(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        try:
            context.all([ok(1), boom("second broke")])
        except DurableOperationError as exc:
            return {"type": exc.error_type, "message": exc.message}

    assert run(handler).value == {"type": "RuntimeError", "message": "second broke"}


def test_any_returns_first_success_and_raises_when_all_fail(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        first = context.any([boom("a"), ok("b"), boom("c")])
        try:
            context.any([boom("x"), boom("y")])
        except DurableOperationError as exc:
            return [first, exc.message]

    assert run(handler).value == ["b", "y"]


def test_race_returns_first_to_finish(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        fast = context.race([waits_then("slow", 100), ok("fast")])
        try:
            context.race([waits_then("slow", 100), boom("fails first")])
        except DurableOperationError as exc:
            return [fast, exc.message]

    assert run(handler).value == ["fast", "fails first"]


def test_all_settled_returns_every_outcome(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        result = context.all_settled([ok(1), boom("no"), ok(3)])
        return [(item.index, item.status.value) for item in result.all] + [result.completion_reason.value]

    assert run(handler).value == [[0, "SUCCEEDED"], [1, "FAILED"], [2, "SUCCEEDED"], "ALL_COMPLETED"]


def test_combinators_replay_without_rerunning_branches(run: Any) -> None:
    calls: list[int] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        v = context.all([lambda c: c.step(lambda _: calls.append(1) or 1, name="x")])
        context.wait(Duration.from_seconds(1))
        return v

    assert run(handler).value == [1]
    assert calls == [1]


# ------------------------------------------------------------------------------------ replay-safe helpers


def test_uuid_now_random_are_stable_across_replays(run: Any) -> None:
    seen: list[tuple[str, str, float, str]] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        context.step(lambda _: 1, name="s")
        u = context.uuid()
        t = context.now()
        rnd = context.random().random()
        u2 = context.uuid("other seed")
        seen.append((str(u), t.isoformat(), rnd, str(u2)))
        context.wait(Duration.from_seconds(1))
        return None

    r = run(handler)
    assert r.status == "SUCCEEDED"
    assert len(seen) == 2 and seen[0] == seen[1]
    assert seen[0][0] != seen[0][3]


def test_uuid_differs_by_position_and_now_is_the_execution_start(run: Any) -> None:
    values: list[Any] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        a = context.uuid()
        context.step(lambda _: 1)
        b = context.uuid()
        values.extend([a, b, context.now()])
        return None

    r = run(handler)
    a, b, now = values
    assert a != b
    assert now == r.events[0]["EventTimestamp"]


def test_get_original_input(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return [
            context.get_original_input(),
            context.get_original_input_raw(),
            context.run_in_child_context(lambda c: c.get_original_input(), name="c"),
        ]

    r = run(handler, {"order": 7})
    assert r.value == [{"order": 7}, '{"order": 7}', {"order": 7}]


# ------------------------------------------------------------------------------------ cancel_wait


def test_cancel_wait_lets_the_waiting_branch_continue(run: Any) -> None:
    def long_waiter(ctx: DurableContext) -> str:
        ctx.wait(Duration.from_seconds(3600), name="long")
        return "released"

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        p = root_id(1)
        long_id = child_id(item_id(p, 0), 1)

        def canceller(ctx: DurableContext) -> str:
            ctx.wait(Duration.from_seconds(1), name="short")
            ctx.cancel_wait(long_id)
            return "cancelled"

        return context.parallel(
            [long_waiter, canceller], config=ParallelConfig(executor="threads")
        ).get_results()

    # the wait is cancelled by a sibling branch while the long waiter is suspended in the same invocation
    r = run(handler, timeout=3)
    assert r.value == ["released", "cancelled"]
    long_id = child_id(item_id(root_id(1), 0), 1)
    assert r.op(long_id)["Status"] == "CANCELLED"


def test_cancel_wait_of_a_wait_left_running_by_a_completed_batch(run: Any) -> None:
    def long_waiter(ctx: DurableContext) -> str:
        ctx.wait(Duration.from_seconds(3600), name="long")
        return "late"

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        result = context.race([long_waiter, ok("fast")], name="race")
        context.cancel_wait(child_id(item_id(root_id(1), 0), 1))
        context.cancel_wait(child_id(item_id(root_id(1), 0), 1))  # a second cancel is a no-op
        context.wait(Duration.from_seconds(1), name="after")
        return result

    r = run(handler)
    assert r.value == "fast"
    long_id = child_id(item_id(root_id(1), 0), 1)
    assert r.op(long_id)["Status"] == "CANCELLED"
    assert [e["EventType"] for e in r.of(long_id)] == ["WaitStarted", "WaitCancelled"]


def test_cancel_wait_of_unknown_id_is_refused(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        try:
            context.cancel_wait("no-such-id")
        except ValidationError as exc:
            return str(exc)

    assert "no-such-id" in run(handler).value


# ------------------------------------------------------------------------------------ typed ids


def test_typed_ids_accept_real_values(runner_factory: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        cb = context.create_callback(name="cb")
        return [
            str(ExecutionArn(context.state.execution_arn).function_name),
            str(CallbackId(cb.callback_id)),
            str(OperationId(cb.operation_id)),
        ]

    runner = runner_factory(handler)
    arn = runner.run_async()
    result = runner.wait_for_result(arn, timeout=10)
    cid = next(e for e in runner.get_execution_history(arn)["Events"] if e["EventType"] == "CallbackStarted")[
        "CallbackStartedDetails"
    ]["CallbackId"]
    assert result.result_value == ["test-function", cid, root_id(1)]
    parsed = ExecutionArn(arn)
    assert parsed.function_name == "test-function" and parsed.region == "us-east-1"


@pytest.mark.parametrize("cls", [OperationId, CallbackId, ExecutionArn])
def test_typed_ids_refuse_empty(cls: Any) -> None:
    with pytest.raises(ValueError):
        cls("")


def test_execution_arn_names_the_wrong_part() -> None:
    with pytest.raises(ValueError, match="account"):
        ExecutionArn("arn:aws:lambda:us-east-1:123:function:fn:$LATEST/durable-execution/n/i")


# ------------------------------------------------------------------------------------ payload limit


def test_step_payload_over_256kb_fails_without_retry_naming_the_size(run: Any) -> None:
    attempts: list[int] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        try:
            context.step(lambda sc: attempts.append(sc.attempt) or "x" * 300_000, name="huge")
        except StepError as exc:
            return {"message": exc.message, "type": exc.error_type}

    r = run(handler)
    assert attempts == [1]
    assert "300002" in r.value["message"] or "300,002" in r.value["message"]
    assert "262,144" in r.value["message"] or "262144" in r.value["message"]
    events = r.of(root_id(1))
    assert [e["EventType"] for e in events] == ["StepStarted", "StepFailed"]
    assert "NextAttemptDelaySeconds" not in events[1]["StepFailedDetails"].get("RetryDetails", {})


def test_step_payload_just_under_the_limit_succeeds(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return len(context.step(lambda _: "x" * (262_144 - 2), name="fits"))

    assert run(handler).value == 262_142
