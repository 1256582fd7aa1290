"""wait_for_condition: durable polling (RETRY with state payload), final SUCCEED, failures, replay."""

from __future__ import annotations

from typing import Any

import pytest

from durable_mp import DurableContext, ValidationError, WaitForConditionError, durable_execution
from durable_mp.config import Duration, JitterStrategy
from durable_mp.waits import (
    WaitForConditionConfig,
    WaitForConditionDecision,
    WaitStrategyConfig,
    create_wait_strategy,
)

from .conftest import Recorded, root_id


def until_at_least(target: int, delay: int = 2) -> Any:
    def strategy(state: dict[str, int], attempt: int) -> WaitForConditionDecision:
        if state["n"] >= target:
            return WaitForConditionDecision.stop_polling()
        return WaitForConditionDecision.continue_waiting(Duration.from_seconds(delay))

    return strategy


def test_polls_until_condition_met_passing_state_between_attempts(run: Any) -> None:
    calls: list[tuple[dict[str, int], int]] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        def check(state: dict[str, int], ctx: Any) -> dict[str, int]:
            calls.append((dict(state), ctx.attempt))
            return {"n": state["n"] + 1}

        return context.wait_for_condition(
            check,
            WaitForConditionConfig(wait_strategy=until_at_least(3), initial_state={"n": 0}),
            name="poll",
        )

    r = run(handler)
    assert r.status == "SUCCEEDED"
    assert r.value == {"n": 3}
    assert calls == [({"n": 0}, 1), ({"n": 1}, 2), ({"n": 2}, 3)]
    events = r.of(root_id(1))
    assert all(e["SubType"] == "WaitForCondition" and e["Name"] == "poll" for e in events)
    assert [e["EventType"] for e in events] == [
        "StepStarted",
        "StepSucceeded",
        "StepStarted",
        "StepSucceeded",
        "StepStarted",
        "StepSucceeded",
    ]
    retries = [
        e["StepSucceededDetails"].get("RetryDetails") for e in events if e["EventType"] == "StepSucceeded"
    ]
    assert retries[0] == {"CurrentAttempt": 1, "NextAttemptDelaySeconds": 2}
    assert retries[1] == {"CurrentAttempt": 2, "NextAttemptDelaySeconds": 2}
    assert "NextAttemptDelaySeconds" not in (retries[2] or {})
    assert r.invocations() == 3


def test_retry_updates_carry_the_state_payload_and_delay(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.wait_for_condition(
            lambda s, c: s + 1,
            WaitForConditionConfig(
                wait_strategy=lambda s, a: (
                    WaitForConditionDecision.stop_polling()
                    if s >= 2
                    else WaitForConditionDecision.continue_waiting(Duration.from_seconds(0))
                ),
                initial_state=0,
            ),
        )

    recorded = Recorded(handler)
    r = run(recorded)
    assert r.value == 2
    mine = [u for u in recorded.updates if u["Id"] == root_id(1)]
    # each attempt starts again (the op is READY after the delay), as in the official SDK
    assert [u["Action"] for u in mine] == ["START", "RETRY", "START", "SUCCEED"]
    retry = mine[1]
    assert retry["Payload"] == "1"
    # a delay under 1 s is raised to the minimum of 1 s
    assert retry["StepOptions"] == {"NextAttemptDelaySeconds": 1}
    assert mine[3]["Payload"] == "2"
    assert all(u["Type"] == "STEP" and u["SubType"] == "WaitForCondition" for u in mine)


def test_condition_met_on_first_check_needs_one_invocation(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.wait_for_condition(
            lambda s, c: {"n": 9},
            WaitForConditionConfig(wait_strategy=until_at_least(3), initial_state={"n": 0}),
        )

    r = run(handler)
    assert r.value == {"n": 9}
    assert r.invocations() == 1


def test_completed_condition_is_not_checked_again_on_replay(run: Any) -> None:
    checks: list[int] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        v = context.wait_for_condition(
            lambda s, c: checks.append(1) or {"n": 5},
            WaitForConditionConfig(wait_strategy=until_at_least(3), initial_state={"n": 0}),
            name="c",
        )
        context.wait(Duration.from_seconds(1))
        return v

    r = run(handler)
    assert r.value == {"n": 5}
    assert checks == [1]


def test_failing_check_fails_the_operation_without_polling_again(run: Any) -> None:
    checks: list[int] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        def check(state: int, ctx: Any) -> int:
            checks.append(ctx.attempt)
            if state >= 1:
                raise ConnectionError("status endpoint down")
            return state + 1

        try:
            context.wait_for_condition(
                check,
                WaitForConditionConfig(
                    wait_strategy=lambda s, a: WaitForConditionDecision.continue_waiting(
                        Duration.from_seconds(1)
                    ),
                    initial_state=0,
                ),
                name="c",
            )
        except WaitForConditionError as exc:
            return {"type": exc.error_type, "message": exc.message}

    r = run(handler)
    assert r.value == {"type": "ConnectionError", "message": "status endpoint down"}
    assert checks == [1, 2]
    assert r.of(root_id(1))[-1]["EventType"] == "StepFailed"


def test_wait_strategy_max_attempts_fails_with_wait_for_condition_error(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        strategy = create_wait_strategy(
            WaitStrategyConfig(
                should_continue_polling=lambda s: True,
                max_attempts=3,
                initial_delay=Duration.from_seconds(1),
                jitter_strategy=JitterStrategy.NONE,
            )
        )
        return context.wait_for_condition(
            lambda s, c: s + 1,
            WaitForConditionConfig(wait_strategy=strategy, initial_state=0),
            name="forever",
        )

    r = run(handler)
    assert r.status == "FAILED"
    assert r.result.error is not None
    assert r.result.error.type == "aws_durable_execution_sdk_python.exceptions.WaitForConditionError"
    assert "3" in (r.result.error.message or "")
    events = r.of(root_id(1))
    assert [e["EventType"] for e in events].count("StepStarted") == 3
    assert events[-1]["EventType"] == "StepFailed"


def test_wait_strategy_backoff_delays(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        strategy = create_wait_strategy(
            WaitStrategyConfig(
                should_continue_polling=lambda s: s < 4,
                max_attempts=10,
                initial_delay=Duration.from_seconds(2),
                backoff_rate=2,
                jitter_strategy=JitterStrategy.NONE,
            )
        )
        return context.wait_for_condition(
            lambda s, c: s + 1, WaitForConditionConfig(wait_strategy=strategy, initial_state=0)
        )

    r = run(handler)
    assert r.value == 4
    delays = [
        e["StepSucceededDetails"]["RetryDetails"].get("NextAttemptDelaySeconds")
        for e in r.of(root_id(1))
        if e["EventType"] == "StepSucceeded"
    ]
    assert delays == [2, 4, 8, None]


def test_wait_for_condition_requires_check_and_config(run: Any) -> None:
    errors: list[str] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        for args in (
            (None, WaitForConditionConfig(wait_strategy=until_at_least(1), initial_state={"n": 0})),
            (lambda s, c: s, None),
        ):
            try:
                context.wait_for_condition(*args)  # type: ignore[arg-type]
            except ValidationError as exc:
                errors.append(str(exc))
        return context.step(lambda _: "next", name="next")

    r = run(handler)
    assert r.value == "next"
    assert len(errors) == 2 and "check" in errors[0] and "config" in errors[1]
    assert r.of(root_id(1))[0]["Name"] == "next"


@pytest.mark.parametrize("initial", [None, [1, 2], "text"])
def test_initial_state_round_trips_through_serdes(run: Any, initial: Any) -> None:
    seen: list[Any] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.wait_for_condition(
            lambda s, c: seen.append(s) or "done",
            WaitForConditionConfig(
                wait_strategy=lambda s, a: WaitForConditionDecision.stop_polling(), initial_state=initial
            ),
        )

    r = run(handler)
    assert r.value == "done"
    assert seen == [initial]
