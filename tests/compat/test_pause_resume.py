"""DurableFunctionTestRunner.pause_execution / resume_execution (testing SDK 1.4.0, experimental)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from durable_mp.context import DurableContext
from durable_mp.execution import durable_execution
from durable_mp.lambda_service import OperationStatus
from durable_mp.testing import DurableFunctionTestRunner
from durable_mp.testing.exceptions import InvalidParameterValueException, ResourceNotFoundException

ENTERED = threading.Event()
GATE = threading.Event()


def gated(_: Any) -> str:
    ENTERED.set()
    assert GATE.wait(10)
    return "first"


@durable_execution
def two_steps(_event: Any, context: DurableContext) -> list[str]:
    first = context.step(gated, name="first")
    return [first, context.step(lambda _: "second", name="second")]


def _until(predicate: Any, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def test_pause_stops_the_invocation_at_its_next_checkpoint_and_resume_continues() -> None:
    ENTERED.clear()
    GATE.clear()
    with DurableFunctionTestRunner(two_steps) as runner:
        arn = runner.run_async(input=None)
        assert ENTERED.wait(5)
        _until(lambda: any(op.get("Name") == "first" for op in runner.service.operations(arn)))  # START saved
        pausing = threading.Thread(target=runner.pause_execution, args=(arn, 10))
        pausing.start()
        _until(lambda: runner.service._book.get(arn).paused)  # the pause is applied while the step runs
        GATE.set()
        pausing.join(10)
        assert not pausing.is_alive()
        # the step's end was saved, the invocation ended PENDING and nothing else started
        assert runner.service.status(arn) == "RUNNING"
        ops = {op["Name"]: op for op in runner.service.operations(arn) if op.get("Name")}
        assert ops["first"]["Status"] == "SUCCEEDED" and "second" not in ops
        kinds = [e["EventType"] for e in runner.service.events(arn)]
        assert kinds.count("InvocationCompleted") == 1
        time.sleep(0.2)
        assert [e["EventType"] for e in runner.service.events(arn)].count("InvocationCompleted") == 1
        runner.pause_execution(arn, timeout=1)  # repeated: no invocation runs, returns at once
        runner.resume_execution(arn)
        result = runner.wait_for_result(arn, timeout=10)
        runner.resume_execution(arn)  # not paused any more: unchanged
    assert result.result_value == ["first", "second"]
    assert result.get_step("second").status is OperationStatus.SUCCEEDED


def test_pause_times_out_while_a_step_runs_and_validates_its_arguments() -> None:
    ENTERED.clear()
    GATE.clear()
    with DurableFunctionTestRunner(two_steps) as runner:
        arn = runner.run_async(input=None)
        assert ENTERED.wait(5)
        with pytest.raises(TimeoutError):
            runner.pause_execution(arn, timeout=0.2)
        GATE.set()
        _until(lambda: runner.service._book.get(arn).inflight is None)
        runner.resume_execution(arn)
        assert runner.wait_for_result(arn, timeout=10).result_value == ["first", "second"]
        runner.pause_execution(arn)  # completed: unchanged
        assert runner.service.status(arn) == "SUCCEEDED"
        with pytest.raises(ValueError, match="finite and positive"):
            runner.pause_execution(arn, timeout=0)
        with pytest.raises(InvalidParameterValueException):
            runner.pause_execution("")
        with pytest.raises(ResourceNotFoundException):
            runner.resume_execution(arn.replace("durable-execution", "durable-execution") + "x")


@durable_execution
def slow(_event: Any, context: DurableContext) -> str:
    context.step(lambda _: time.sleep(2.5), name="slow")
    return "done"


def test_run_raises_timeout_error_when_the_execution_outlives_the_timeout_as_officially() -> None:
    with (
        DurableFunctionTestRunner(slow) as runner,
        pytest.raises(TimeoutError, match="Execution did not complete within timeout"),
    ):
        runner.run(input=None, timeout=1)
