"""create_callback: id assignment, suspension until completed externally, success, failure, timeouts."""

from __future__ import annotations

import time
from typing import Any

from durable_mp import (
    CallbackExternalError,
    CallbackTimeoutError,
    DurableContext,
    durable_execution,
)
from durable_mp.config import CallbackConfig, Duration
from durable_mp.exceptions import ErrorObject
from durable_mp.serdes import JsonSerDes
from durable_mp.testing import InvocationStatus

from .conftest import root_id


def _callback_handler(config: CallbackConfig | None = None, seen: list[Any] | None = None) -> Any:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        callback = context.create_callback(name="approval", config=config)
        if seen is not None:
            seen.append(callback.callback_id)
        try:
            return {"result": callback.result()}
        except CallbackTimeoutError as exc:
            return {"timeout": exc.message}
        except CallbackExternalError as exc:
            return {"failed": exc.message, "data": exc.data}

    return handler


def test_callback_result_is_the_raw_string_sent(runner_factory: Any) -> None:
    ids: list[str] = []
    runner = runner_factory(_callback_handler(seen=ids))
    arn = runner.run_async()
    cid = runner.wait_for_callback(arn, name="approval")
    runner.send_callback_success(cid, '{"ok": true}')
    result = runner.wait_for_result(arn, timeout=10)
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.result_value == {"result": '{"ok": true}'}
    # the same callback id is seen on the first run and on replay
    assert ids == [cid, cid]
    events = runner.get_execution_history(arn)["Events"]
    types = [e["EventType"] for e in events]
    assert types == [
        "ExecutionStarted",
        "CallbackStarted",
        "InvocationCompleted",
        "CallbackSucceeded",
        "InvocationCompleted",
        "ExecutionSucceeded",
    ]
    started = events[1]
    assert started["Id"] == root_id(1) and started["Name"] == "approval" and started["SubType"] == "Callback"
    assert started["CallbackStartedDetails"]["CallbackId"] == cid


def test_callback_with_serdes_decodes_the_result(runner_factory: Any) -> None:
    runner = runner_factory(_callback_handler(CallbackConfig(serdes=JsonSerDes())))
    arn = runner.run_async()
    runner.send_callback_success(runner.wait_for_callback(arn), '{"n": 5}')
    assert runner.wait_for_result(arn, timeout=10).result_value == {"result": {"n": 5}}


def test_callback_success_without_result_gives_none(runner_factory: Any) -> None:
    runner = runner_factory(_callback_handler())
    arn = runner.run_async()
    runner.send_callback_success(runner.wait_for_callback(arn))
    assert runner.wait_for_result(arn, timeout=10).result_value == {"result": None}


def test_callback_failure_raises_callback_external_error_with_message_and_data(runner_factory: Any) -> None:
    runner = runner_factory(_callback_handler())
    arn = runner.run_async()
    cid = runner.wait_for_callback(arn)
    runner.send_callback_failure(cid, ErrorObject("declined by reviewer", "Rejected", "extra", None))
    result = runner.wait_for_result(arn, timeout=10)
    assert result.result_value == {"failed": "declined by reviewer", "data": "extra"}
    assert "CallbackFailed" in [e["EventType"] for e in runner.get_execution_history(arn)["Events"]]


def test_callback_options_are_sent_in_seconds(runner_factory: Any) -> None:
    config = CallbackConfig(timeout=Duration.from_minutes(10), heartbeat_timeout=Duration.from_seconds(90))
    runner = runner_factory(_callback_handler(config))
    arn = runner.run_async()
    cid = runner.wait_for_callback(arn)
    started = next(
        e for e in runner.get_execution_history(arn)["Events"] if e["EventType"] == "CallbackStarted"
    )
    assert started["CallbackStartedDetails"]["Timeout"] == 600
    assert started["CallbackStartedDetails"]["HeartbeatTimeout"] == 90
    runner.send_callback_success(cid, "x")
    assert runner.wait_for_result(arn, timeout=10).result_value == {"result": "x"}


def test_callback_timeout_raises_callback_timeout_error(runner_factory: Any) -> None:
    runner = runner_factory(_callback_handler(CallbackConfig(timeout=Duration.from_seconds(1))))
    result = runner.wait_for_result(runner.run_async(), timeout=10)
    assert result.status is InvocationStatus.SUCCEEDED
    assert "timeout" in result.result_value
    events = runner.get_execution_history(result.execution_arn)["Events"]
    assert "CallbackTimedOut" in [e["EventType"] for e in events]


def test_callback_heartbeats_keep_it_alive_then_missing_heartbeat_times_out(runner_factory: Any) -> None:
    config = CallbackConfig(timeout=Duration.from_seconds(30), heartbeat_timeout=Duration.from_seconds(1))
    runner = runner_factory(_callback_handler(config))
    arn = runner.run_async()
    cid = runner.wait_for_callback(arn)
    start = time.monotonic()
    while time.monotonic() - start < 1.6:
        runner.send_callback_heartbeat(cid)
        time.sleep(0.3)
    assert runner.get_execution(arn)["Status"] == "RUNNING"
    result = runner.wait_for_result(arn, timeout=10)
    assert "timeout" in result.result_value
    assert time.monotonic() - start >= 1.6


def test_uncaught_callback_failure_fails_the_execution(runner_factory: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.create_callback(name="cb").result()

    runner = runner_factory(handler)
    arn = runner.run_async()
    runner.send_callback_failure(runner.wait_for_callback(arn), {"ErrorMessage": "nope", "ErrorType": "X"})
    result = runner.wait_for_result(arn, timeout=10)
    assert result.status is InvocationStatus.FAILED
    assert result.error is not None
    assert result.error.type == "aws_durable_execution_sdk_python.exceptions.CallbackExternalError"
    assert result.error.message == "nope"


def test_code_between_create_and_result_runs_on_every_invocation_and_callback_created_once(
    runner_factory: Any,
) -> None:
    between: list[int] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        cb = context.create_callback(name="cb")
        between.append(1)
        step = context.step(lambda _: "stepped", name="s")
        return [cb.result(), step]

    runner = runner_factory(handler)
    arn = runner.run_async()
    runner.send_callback_success(runner.wait_for_callback(arn), "r")
    assert runner.wait_for_result(arn, timeout=10).result_value == ["r", "stepped"]
    assert len(between) == 2
    types = [e["EventType"] for e in runner.get_execution_history(arn)["Events"]]
    assert types.count("CallbackStarted") == 1 and types.count("StepStarted") == 1


def test_two_callbacks_complete_in_any_order(runner_factory: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        a = context.create_callback(name="a")
        b = context.create_callback(name="b")
        return [a.result(), b.result()]

    runner = runner_factory(handler)
    arn = runner.run_async()
    a = runner.wait_for_callback(arn, name="a")
    b = runner.wait_for_callback(arn, name="b")
    assert a != b
    runner.send_callback_success(b, "B")
    runner.send_callback_success(a, "A")
    assert runner.wait_for_result(arn, timeout=10).result_value == ["A", "B"]
