"""Step errors that cannot succeed on retry fail at once: no body run six times, nothing left STARTED."""

from __future__ import annotations

from typing import Any

import pytest

from durable_mp import DurableContext, durable_execution
from durable_mp.config import StepConfig
from durable_mp.testing import DurableFunctionTestRunner

RUNS: list[str] = []


def counted(value: Any) -> Any:
    def body(_: Any) -> Any:
        RUNS.append("ran")
        return value() if callable(value) else value

    return body


def broken_strategy(error: Exception, attempts: int) -> Any:
    raise ZeroDivisionError("strategy bug")


@durable_execution
def permanent(event: dict[str, Any], ctx: DurableContext) -> str:
    kind = event["kind"]
    try:
        if kind == "non-callable":
            ctx.step("not a function", name="s")  # type: ignore[arg-type]
        elif kind == "generator":
            ctx.step(counted(lambda: (i for i in range(3))), name="s")
        elif kind == "set":
            ctx.step(counted({1, 2}), name="s")
        elif kind == "strategy":

            def fails(_: Any) -> Any:
                RUNS.append("ran")
                raise ValueError("the step's own error")

            ctx.step(fails, name="s", config=StepConfig(retry_strategy=broken_strategy))
    except Exception as exc:  # noqa: BLE001 - the test reports what the step raised
        return f"{type(exc).__name__}: {exc}"
    return "no error"


def run(kind: str) -> tuple[str, list[dict[str, Any]]]:
    RUNS.clear()
    with DurableFunctionTestRunner(permanent) as runner:
        result = runner.run(input={"kind": kind}, timeout=30)
        ops = [o for o in runner.service.operations(result.execution_arn) if o["Type"] != "EXECUTION"]
    assert result.status.value == "SUCCEEDED", result.error
    return result.result_value, ops


def test_a_non_callable_step_fails_before_any_attempt_or_checkpoint() -> None:
    message, ops = run("non-callable")
    assert message.startswith("ValidationError: step 's' needs a callable"), message
    assert ops == []


@pytest.mark.parametrize("kind", ["generator", "set"])
def test_a_step_whose_result_cannot_be_serialized_fails_at_the_first_attempt(kind: str) -> None:
    message, ops = run(kind)
    assert RUNS == ["ran"], "the body ran again for an error that can only repeat"
    assert "Unsupported type" in message, message
    (op,) = ops
    assert op["Status"] == "FAILED"


def test_a_retry_strategy_that_raises_fails_the_step_naming_both_errors() -> None:
    message, ops = run("strategy")
    assert RUNS == ["ran"]
    assert message.startswith("StepError: strategy bug"), message
    assert "ValueError: the step's own error" in message
    (op,) = ops
    assert op["Status"] == "FAILED", "the step must not be left STARTED"
    assert op["StepDetails"]["Error"]["ErrorType"] == "ZeroDivisionError"  # the strategy's own exception
