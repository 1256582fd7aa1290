"""DurableFunctionTestRunner end to end with real @durable_execution handlers, and the boto3-like client."""

from __future__ import annotations

import datetime
import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from durable_mp import durable_execution
from durable_mp.config import Duration
from durable_mp.lambda_service import OperationStatus
from durable_mp.local import SqliteStore
from durable_mp.testing import (
    DurableFunctionsTestError,
    DurableFunctionTestRunner,
    ExecutionStatus,
    InvocationStatus,
    StepOperation,
)


@durable_execution
def greeter(event: Any, context: Any) -> str:
    name = context.step(lambda _: f"Hello {event['name']}", name="greet")
    context.wait(Duration.from_seconds(3600), name="nap")
    return name


@durable_execution
def approval(event: Any, context: Any) -> Any:
    callback = context.create_callback(name="approve")
    return {"answer": callback.result()}


@durable_execution
def caller(event: Any, context: Any) -> Any:
    return context.invoke("double", {"n": event["n"]}, name="call-double")


def test_run_step_and_wait_with_skipped_time() -> None:
    with DurableFunctionTestRunner(greeter) as runner:
        started = time.monotonic()
        result = runner.run(input={"name": "World"}, timeout=10)
        assert time.monotonic() - started < 2
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.execution_status is ExecutionStatus.SUCCEEDED
    assert json.loads(result.result) == "Hello World"
    step = result.get_step("greet")
    assert (
        isinstance(step, StepOperation)
        and step.status is OperationStatus.SUCCEEDED
        and step.result == '"Hello World"'
    )
    wait = result.get_wait("nap")
    assert (wait.end_timestamp - wait.start_timestamp).total_seconds() >= 3600
    with pytest.raises(DurableFunctionsTestError):
        result.get_step("missing")


def test_callback_round_trip_and_history_dicts() -> None:
    with DurableFunctionTestRunner(approval) as runner:
        arn = runner.run_async(input={})
        callback_id = runner.wait_for_callback(arn, name="approve", timeout=5)
        runner.send_callback_success(callback_id, b'"yes"')
        result = runner.wait_for_result(arn, timeout=5)
        assert result.status is InvocationStatus.SUCCEEDED
        assert json.loads(result.result) == {"answer": '"yes"'}  # the raw string, byte for byte
        assert result.get_callback("approve").callback_id == callback_id
        events = runner.get_execution_history(arn)["Events"]
        assert [e["EventType"] for e in events] == [
            "ExecutionStarted",
            "CallbackStarted",
            "InvocationCompleted",
            "CallbackSucceeded",
            "InvocationCompleted",
            "ExecutionSucceeded",
        ]
        assert isinstance(events[0]["EventTimestamp"], datetime.datetime)
        execution = runner.get_execution(arn)
        assert execution["Status"] == "SUCCEEDED" and execution["DurableExecutionArn"] == arn


def test_callback_failure_fails_the_execution() -> None:
    with DurableFunctionTestRunner(approval) as runner:
        arn = runner.run_async(input={})
        runner.send_callback_failure(
            runner.wait_for_callback(arn, timeout=5),
            {"ErrorType": "Rejected", "ErrorMessage": "not approved"},
        )
        result = runner.wait_for_result(arn, timeout=5)
        assert result.status is InvocationStatus.FAILED
        assert result.error is not None and "not approved" in (result.error.message or "")


def test_chained_invoke_of_registered_functions() -> None:
    @durable_execution
    def double(event: Any, context: Any) -> int:
        return context.step(lambda _: event["n"] * 2, name="mul")

    with DurableFunctionTestRunner(caller) as runner:
        runner.register_durable_function("double", double)
        result = runner.run(input={"n": 21}, timeout=10)
        assert json.loads(result.result) == 42
        invoke = result.get_invoke("call-double")
        assert invoke.status is OperationStatus.SUCCEEDED and invoke.result == "42"
    with DurableFunctionTestRunner(caller) as runner:
        runner.register_function("double", lambda event, ctx: event["n"] * 2)
        assert json.loads(runner.run(input={"n": 5}, timeout=10).result) == 10
    with DurableFunctionTestRunner(caller) as runner:
        result = runner.run(input={"n": 5}, timeout=10)
        assert result.status is InvocationStatus.FAILED


def test_lambda_client_speaks_boto3() -> None:
    with DurableFunctionTestRunner(approval) as runner:
        client = runner.lambda_client()
        response = client.invoke(FunctionName="test-function", Payload=b"{}", InvocationType="Event")
        arn = response["DurableExecutionArn"]
        callback_id = runner.wait_for_callback(arn, timeout=5)
        client.send_durable_execution_callback_heartbeat(CallbackId=callback_id)
        client.send_durable_execution_callback_success(CallbackId=callback_id, Result=b"ok")
        runner.wait_for_result(arn, timeout=5)
        described = client.get_durable_execution(DurableExecutionArn=arn)
        assert described["Status"] == "SUCCEEDED" and isinstance(
            described["StartTimestamp"], datetime.datetime
        )
        listed = client.list_durable_executions_by_function(FunctionName="test-function")
        assert [e["DurableExecutionArn"] for e in listed["DurableExecutions"]] == [arn]
        history = client.get_durable_execution_history(DurableExecutionArn=arn, IncludeExecutionData=True)
        assert history["Events"][-1]["ExecutionSucceededDetails"]["Result"]["Payload"] == '{"answer": "ok"}'
        with pytest.raises(client.exceptions.ResourceNotFoundException) as info:
            client.get_durable_execution(DurableExecutionArn=arn + "x")
        assert isinstance(info.value, ClientError)
        assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
        with pytest.raises(client.exceptions.InvalidParameterValueException):
            client.stop_durable_execution(DurableExecutionArn=arn)
        sync = client.invoke(FunctionName="test-function", Payload=b"{}", InvocationType="Event")
        client.stop_durable_execution(DurableExecutionArn=sync["DurableExecutionArn"])
        assert (
            client.get_durable_execution(DurableExecutionArn=sync["DurableExecutionArn"])["Status"]
            == "STOPPED"
        )


def test_runner_on_sqlite_store(tmp_path: Any) -> None:
    with DurableFunctionTestRunner(greeter, store=SqliteStore(str(tmp_path / "t.db"))) as runner:
        result = runner.run(input={"name": "disk"}, timeout=10)
        assert json.loads(result.result) == "Hello disk"


def test_handler_must_be_durable() -> None:
    with pytest.raises(TypeError, match="durable_execution"):
        DurableFunctionTestRunner(lambda event, context: None)
