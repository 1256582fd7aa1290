"""StackTrace in recorded ErrorObjects: the user's frames, innermost last, bounded; errors name their step."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from durable_mp import DurableContext, durable_execution
from durable_mp.config import MapConfig, StepConfig
from durable_mp.exceptions import ErrorObject, error_object_from_exception
from durable_mp.retries import RetryPresets
from durable_mp.stack_trace import MAX_CHARS, MAX_FRAMES, MAX_LINE, stack_trace_of
from durable_mp.testing import DurableFunctionTestRunner

NO_RETRY = StepConfig(retry_strategy=RetryPresets.none())


def _inner(value: int) -> int:
    raise KeyError(f"no price for {value}")


def _outer(value: int) -> int:
    return _inner(value) + 1


def _caught(fn: Any, *args: Any) -> BaseException:
    try:
        fn(*args)
    except BaseException as exc:  # noqa: BLE001
        return exc
    raise AssertionError("did not raise")


def test_frames_are_the_users_innermost_last_with_file_line_function_and_code() -> None:
    trace = stack_trace_of(_caught(_outer, 3))
    assert trace is not None and len(trace) == 3
    assert trace[-2].startswith(f'File "{__file__}", line ') and trace[-2].endswith(
        "in _outer: return _inner(value) + 1"
    )
    assert trace[-1].endswith('in _inner: raise KeyError(f"no price for {value}")')
    assert error_object_from_exception(_caught(_outer, 3))["StackTrace"] == trace


def test_the_trace_is_bounded_in_frames_characters_and_line_length() -> None:
    def deep(n: int) -> None:
        if n == 0:
            raise RuntimeError("bottom " + "x" * 2000)  # a long line of code is cut, not the message
        deep(n - 1)

    old = sys.getrecursionlimit()
    trace = stack_trace_of(_caught(deep, 200))
    assert sys.getrecursionlimit() == old
    assert trace is not None and len(trace) == MAX_FRAMES
    assert sum(len(line) for line in trace) <= MAX_CHARS and all(len(line) <= MAX_LINE for line in trace)
    assert "in deep: raise RuntimeError" in trace[-1]


def test_an_exception_never_raised_has_no_trace() -> None:
    assert stack_trace_of(ValueError("x")) is None
    assert "StackTrace" not in error_object_from_exception(ValueError("x"))


def test_the_official_sdk_reads_our_stack_trace() -> None:
    official = pytest.importorskip("aws_durable_execution_sdk_python.lambda_service")
    wire = error_object_from_exception(_caught(_outer, 1))
    assert official.ErrorObject.from_dict(wire).stack_trace == wire["StackTrace"]


@durable_execution
def failing_step(event: Any, context: DurableContext) -> Any:
    return context.step(lambda _: _outer(7), name="price", config=NO_RETRY)


@durable_execution
def unserializable(event: Any, context: DurableContext) -> Any:
    return context.step(lambda _: object(), name="make-thing", config=NO_RETRY)


def _map_item(ctx: DurableContext, item: int, index: int, items: list[int]) -> int:
    return ctx.step(lambda _: _outer(item), name="item-step", config=NO_RETRY)


@durable_execution
def failing_map(event: Any, context: DurableContext) -> Any:
    batch = context.map([1], _map_item, name="m", config=MapConfig(executor=event["executor"]))
    return batch.get_errors()[0].to_dict()


def test_the_runner_result_and_the_step_carry_the_users_frames() -> None:
    with DurableFunctionTestRunner(failing_step) as runner:
        result = runner.run(input={})
    step = result.get_step("price")
    assert step.error is not None and step.error.stack_trace is not None
    assert step.error.stack_trace[-1].endswith('in _inner: raise KeyError(f"no price for {value}")')
    assert all("/durable_mp/" not in line for line in step.error.stack_trace)
    assert result.error is not None and result.error.stack_trace == step.error.stack_trace


@pytest.mark.parametrize("executor", ["threads", "processes"])
def test_a_map_item_failing_in_a_worker_keeps_its_frames(executor: str) -> None:
    with DurableFunctionTestRunner(failing_map) as runner:
        result = runner.run(input={"executor": executor})
    error = result.result_value
    assert error["StackTrace"][-1].endswith('in _inner: raise KeyError(f"no price for {value}")'), error


def test_an_unserializable_result_names_the_step_and_the_type() -> None:
    with DurableFunctionTestRunner(unserializable) as runner:
        result = runner.run(input={})
    error = result.get_step("make-thing").error
    assert isinstance(error, ErrorObject) and error.message is not None
    assert error.message.startswith("step 'make-thing': its result of type object cannot be serialized")
