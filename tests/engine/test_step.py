"""step: first run, replay, failure, retry strategies, AT_MOST_ONCE / AT_LEAST_ONCE interrupted semantics."""

from __future__ import annotations

import datetime
import decimal
from typing import Any

import pytest

from durable_mp import DurableContext, StepContext, StepError, durable_execution, durable_step
from durable_mp.config import Duration, JitterStrategy, StepConfig, StepSemantics
from durable_mp.retries import RetryDecision, RetryPresets, RetryStrategyConfig, create_retry_strategy

from .conftest import root_id


class Crash(BaseException):
    """Escapes every handler: the local service records a crashed invocation and invokes again."""


def strategy(max_attempts: int, initial: int = 2, rate: float = 2, **kw: Any) -> Any:
    return create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=max_attempts,
            initial_delay=Duration.from_seconds(initial),
            backoff_rate=rate,
            jitter_strategy=JitterStrategy.NONE,
            **kw,
        )
    )


@durable_step
def greet(step_context: StepContext, name: str) -> str:
    return f"Hello, {name}!"


# ------------------------------------------------------------------------------------------ first run


def test_step_first_run_returns_result_and_records_started_succeeded(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.step(lambda _: {"x": event["x"] * 2}, name="double")

    r = run(handler, {"x": 21})
    assert r.status == "SUCCEEDED"
    assert r.value == {"x": 42}
    sid = root_id(1)
    assert [e["EventType"] for e in r.of(sid)] == ["StepStarted", "StepSucceeded"]
    assert all(e["Name"] == "double" and e["SubType"] == "Step" for e in r.of(sid))
    # the default serdes is the official extended-type envelope (byte-identical)
    payload = '{"t":"m","v":{"x":{"t":"i","v":42}}}'
    assert r.of(sid)[1]["StepSucceededDetails"]["Result"]["Payload"] == payload
    assert r.invocations() == 1
    assert r.result.get_step("double").result == payload


def test_durable_step_is_named_after_the_function_and_unnamed_lambda_has_no_name(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        a = context.step(greet("World"))
        b = context.step(lambda _: 2)
        c = context.step(greet("x"), name="explicit")
        return [a, b, c]

    r = run(handler)
    assert r.value == ["Hello, World!", 2, "Hello, x!"]
    assert r.of(root_id(1))[0]["Name"] == "greet"
    assert "Name" not in r.of(root_id(2))[0]
    assert r.of(root_id(3))[0]["Name"] == "explicit"


def test_step_context_reports_attempt_one_on_first_attempt(run: Any) -> None:
    seen: list[int] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.step(lambda sc: seen.append(sc.attempt) or sc.attempt, name="s")

    r = run(handler)
    assert r.value == 1 and seen == [1]


def test_step_result_is_serialized_round_trip_on_first_run(run: Any) -> None:
    """First run returns the deserialized value, so it equals what replay returns."""
    got: list[Any] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        value = context.step(
            lambda _: {
                "when": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
                "amount": decimal.Decimal("1.10"),
                "pair": (1, 2),
            },
            name="s",
        )
        got.append(value)
        context.wait(Duration.from_seconds(1), name="w")
        got.append(context.step(lambda _: None, name="again") or value)
        return "ok"

    r = run(handler)
    assert r.status == "SUCCEEDED"
    first, *_ = got
    assert first["when"] == datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    assert first["amount"] == decimal.Decimal("1.10")
    # the two invocations saw equal values (first run vs replay)
    assert got[0] == got[1] == got[2]


# ------------------------------------------------------------------------------------------ replay


def test_step_replay_does_not_run_the_function_again(run: Any) -> None:
    calls: list[str] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        a = context.step(lambda _: calls.append("a") or "A", name="a")
        context.wait(Duration.from_seconds(2), name="w")
        b = context.step(lambda _: calls.append("b") or "B", name="b")
        return a + b

    r = run(handler)
    assert r.value == "AB"
    assert calls == ["a", "b"]
    assert r.invocations() == 2
    assert r.types().count("StepStarted") == 2


def test_step_failure_replays_as_the_same_step_error_without_rerunning(run: Any) -> None:
    calls: list[int] = []
    caught: list[tuple[str, str | None, str | None]] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        try:
            context.step(
                lambda _: calls.append(1) or (_ for _ in ()).throw(ValueError("bad input")),
                name="fails",
                config=StepConfig(retry_strategy=RetryPresets.none()),
            )
        except StepError as exc:
            caught.append((type(exc).__name__, exc.error_type, exc.message))
        context.wait(Duration.from_seconds(1), name="w")
        return "done"

    r = run(handler)
    assert r.value == "done"
    assert calls == [1]
    assert caught == [("StepError", "ValueError", "bad input")] * 2
    events = r.of(root_id(1))
    assert [e["EventType"] for e in events] == ["StepStarted", "StepFailed"]
    err = events[1]["StepFailedDetails"]["Error"]["Payload"]
    assert err["ErrorType"] == "ValueError" and err["ErrorMessage"] == "bad input"


# ------------------------------------------------------------------------------------------ failure


def test_uncaught_step_error_fails_the_execution(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        def boom(_: StepContext) -> None:
            raise KeyError("missing")

        context.step(boom, name="boom", config=StepConfig(retry_strategy=RetryPresets.none()))

    r = run(handler)
    assert r.status == "FAILED"
    assert r.result.error is not None
    assert r.result.error.type == "aws_durable_execution_sdk_python.exceptions.StepError"
    assert "missing" in (r.result.error.message or "")
    assert r.types()[-1] == "ExecutionFailed"


def test_step_error_cause_is_rebuilt_from_the_checkpoint(run: Any) -> None:
    seen: list[Any] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        try:
            context.step(lambda _: 1 / 0, name="div", config=StepConfig(retry_strategy=RetryPresets.none()))
        except StepError as exc:
            seen.append((exc.error_type, exc.message, type(exc.__cause__).__name__))
        return None

    r = run(handler)
    assert r.status == "SUCCEEDED"
    assert seen == [("ZeroDivisionError", "division by zero", "DurableOperationError")]


# ------------------------------------------------------------------------------------------ retry


def test_step_retries_with_the_strategy_delays_then_succeeds(run: Any) -> None:
    attempts: list[int] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        def flaky(sc: StepContext) -> str:
            attempts.append(sc.attempt)
            if sc.attempt < 3:
                raise RuntimeError(f"try {sc.attempt}")
            return "ok"

        return context.step(flaky, name="flaky", config=StepConfig(retry_strategy=strategy(5)))

    r = run(handler)
    assert r.value == "ok"
    assert attempts == [1, 2, 3]
    sid = root_id(1)
    events = r.of(sid)
    assert [e["EventType"] for e in events] == [
        "StepStarted",
        "StepFailed",
        "StepStarted",
        "StepFailed",
        "StepStarted",
        "StepSucceeded",
    ]
    retries = [e["StepFailedDetails"]["RetryDetails"] for e in events if e["EventType"] == "StepFailed"]
    assert retries == [
        {"CurrentAttempt": 1, "NextAttemptDelaySeconds": 2},
        {"CurrentAttempt": 2, "NextAttemptDelaySeconds": 4},
    ]
    assert events[1]["StepFailedDetails"]["Error"]["Payload"]["ErrorMessage"] == "try 1"
    assert events[-1]["StepSucceededDetails"]["RetryDetails"]["CurrentAttempt"] == 3
    assert r.invocations() == 3


def test_step_retry_exhausted_fails_with_last_error(run: Any) -> None:
    attempts: list[int] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        def always(sc: StepContext) -> None:
            attempts.append(sc.attempt)
            raise ValueError(f"attempt {sc.attempt}")

        try:
            context.step(always, name="always", config=StepConfig(retry_strategy=strategy(3, initial=1)))
        except StepError as exc:
            return {"message": exc.message, "type": exc.error_type}

    r = run(handler)
    assert r.value == {"message": "attempt 3", "type": "ValueError"}
    assert attempts == [1, 2, 3]
    types = [e["EventType"] for e in r.of(root_id(1))]
    assert types.count("StepFailed") == 3
    last = r.of(root_id(1))[-1]["StepFailedDetails"]
    assert "NextAttemptDelaySeconds" not in last.get("RetryDetails", {})


def test_step_retry_filter_does_not_retry_unlisted_error_types(run: Any) -> None:
    attempts: list[int] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        def wrong(sc: StepContext) -> None:
            attempts.append(sc.attempt)
            raise TypeError("not retryable")

        context.step(
            wrong,
            name="s",
            config=StepConfig(retry_strategy=strategy(5, retryable_error_types=[ConnectionError])),
        )

    r = run(handler)
    assert r.status == "FAILED"
    assert attempts == [1]


def test_custom_retry_strategy_gets_error_and_attempt_count_and_fractional_delay_becomes_at_least_one(
    run: Any,
) -> None:
    calls: list[tuple[str, int]] = []

    def custom(error: Exception, attempts_made: int) -> RetryDecision:
        calls.append((str(error), attempts_made))
        return RetryDecision.retry(Duration(seconds=0)) if attempts_made < 2 else RetryDecision.no_retry()

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        context.step(
            lambda sc: (_ for _ in ()).throw(OSError(f"e{sc.attempt}")),
            name="s",
            config=StepConfig(retry_strategy=custom),
        )

    r = run(handler)
    assert r.status == "FAILED"
    assert calls == [("e1", 1), ("e2", 2)]
    first_fail = r.of(root_id(1))[1]["StepFailedDetails"]["RetryDetails"]
    assert first_fail["NextAttemptDelaySeconds"] == 1


def test_default_retry_strategy_is_six_attempts(run: Any) -> None:
    attempts: list[int] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        def always(sc: StepContext) -> None:
            attempts.append(sc.attempt)
            raise RuntimeError("x")

        context.step(always, name="s")

    r = run(handler)
    assert r.status == "FAILED"
    assert attempts == [1, 2, 3, 4, 5, 6]
    delays = [
        e["StepFailedDetails"]["RetryDetails"].get("NextAttemptDelaySeconds")
        for e in r.of(root_id(1))
        if e["EventType"] == "StepFailed"
    ]
    assert len(delays) == 6 and delays[-1] is None
    assert all(1 <= d <= 60 for d in delays[:-1])


def test_retry_then_later_operations_replay_the_succeeded_retry(run: Any) -> None:
    attempts: list[int] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        def flaky(sc: StepContext) -> int:
            attempts.append(sc.attempt)
            if sc.attempt == 1:
                raise RuntimeError("once")
            return 7

        v = context.step(flaky, name="flaky", config=StepConfig(retry_strategy=strategy(3)))
        context.wait(Duration.from_seconds(1), name="w")
        return v

    r = run(handler)
    assert r.value == 7
    assert attempts == [1, 2]


# ------------------------------------------------------------------------------------------ semantics


def test_at_least_once_step_interrupted_runs_again_without_new_start(run: Any) -> None:
    calls: list[int] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        def body(sc: StepContext) -> str:
            calls.append(sc.attempt)
            if len(calls) == 1:
                raise Crash("runtime died")
            return "second"

        return context.step(body, name="s")

    r = run(handler)
    assert r.value == "second"
    assert len(calls) == 2
    assert [e["EventType"] for e in r.of(root_id(1))] == ["StepStarted", "StepSucceeded"]
    crashed = [
        e
        for e in r.events
        if e["EventType"] == "InvocationCompleted" and e["InvocationCompletedDetails"].get("Error")
    ]
    assert len(crashed) == 1


def test_at_most_once_step_interrupted_goes_through_retry_strategy_instead_of_rerunning(run: Any) -> None:
    calls: list[int] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        def body(sc: StepContext) -> str:
            calls.append(sc.attempt)
            if len(calls) == 1:
                raise Crash("runtime died")
            return f"attempt {sc.attempt}"

        return context.step(
            body,
            name="s",
            config=StepConfig(
                step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY, retry_strategy=strategy(3)
            ),
        )

    r = run(handler)
    assert r.value == "attempt 2"
    assert calls == [1, 2]
    events = r.of(root_id(1))
    assert [e["EventType"] for e in events] == ["StepStarted", "StepFailed", "StepStarted", "StepSucceeded"]
    err = events[1]["StepFailedDetails"]["Error"]["Payload"]
    assert err["ErrorType"] == "aws_durable_execution_sdk_python.exceptions.StepInterruptedError"
    assert "interrupted" in err["ErrorMessage"]


def test_at_most_once_step_interrupted_without_retries_fails_without_rerunning(run: Any) -> None:
    calls: list[int] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        def body(sc: StepContext) -> str:
            calls.append(sc.attempt)
            raise Crash("runtime died")

        try:
            context.step(
                body,
                name="s",
                config=StepConfig(
                    step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY, retry_strategy=RetryPresets.none()
                ),
            )
        except StepError as exc:
            return exc.error_type

    r = run(handler)
    assert calls == [1]
    assert r.value == "aws_durable_execution_sdk_python.exceptions.StepInterruptedError"


def test_at_most_once_start_is_acknowledged_before_the_function_runs(run: Any) -> None:
    seen: list[list[str]] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        def body(sc: StepContext) -> int:
            ops = run_ref[0].runner.service.operations(context.state.execution_arn)
            seen.append([op["Status"] for op in ops if op["Type"] == "STEP"])
            return 1

        return context.step(
            body, name="s", config=StepConfig(step_semantics=StepSemantics.AT_MOST_ONCE_PER_RETRY)
        )

    run_ref: list[Any] = []

    class Proxy:
        runner: Any

    # the runner is needed inside the step: build it first
    from durable_mp.testing import DurableFunctionTestRunner

    with DurableFunctionTestRunner(handler) as runner:
        proxy = Proxy()
        proxy.runner = runner
        run_ref.append(proxy)
        result = runner.run(timeout=10)
    assert result.result_value == 1
    assert seen == [["STARTED"]]


def test_step_config_rejects_bad_sub_type() -> None:
    from durable_mp.exceptions import ValidationError

    with pytest.raises(ValidationError, match="sub_type"):
        StepConfig(sub_type="has space")
