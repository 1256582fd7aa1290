"""DurableFunctionCloudTestRunner against a deployed function: `durable-mp serve` started here on
127.0.0.1 and a free port, reached through boto3 exactly as AWS would be."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from durable_mp.execution import InvocationStatus
from durable_mp.lambda_service import ErrorObject, OperationStatus, OperationSubType, OperationType
from durable_mp.testing import DurableFunctionCloudTestRunner, DurableFunctionsTestError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = "tests/compat/examples"
FUNCTIONS = {
    "named": f"{EXAMPLES}/steps.py:step_with_name",
    "retry": f"{EXAMPLES}/steps.py:step_with_retry",
    "fails": f"{EXAMPLES}/steps.py:handler_error",
    "approval": f"{EXAMPLES}/callbacks.py:wait_for_callback_catching",
    "mapper": f"{EXAMPLES}/map_operations.py:handler",
}


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PYTHONPATH"] = str(ROOT)
    command = [
        sys.executable,
        "-m",
        "durable_mp.cli",
        "serve",
        "--port",
        "0",
        "--store",
        "memory",
        "--skip-time",
    ]
    for name, target in FUNCTIONS.items():
        command += ["--function", f"{name}={target}"]
    proc = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        assert "on http://127.0.0.1:" in line, line + proc.stderr.read()  # type: ignore[union-attr]
        yield line.rsplit(" ", 1)[1].strip()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)


@pytest.fixture(autouse=True)
def dummy_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def _runner(endpoint: str, name: str) -> DurableFunctionCloudTestRunner:
    return DurableFunctionCloudTestRunner(
        name, region="us-east-1", lambda_endpoint=endpoint, poll_interval=0.05
    )


def test_run_returns_the_typed_result_read_from_history(endpoint: str) -> None:
    with _runner(endpoint, "named") as runner:
        result = runner.run(input="test", timeout=30)
    assert result.status is InvocationStatus.SUCCEEDED
    assert json.loads(result.result) == 8
    step = result.get_step("add")
    assert step.operation_type is OperationType.STEP and step.status is OperationStatus.SUCCEEDED
    assert step.sub_type == OperationSubType.STEP and step.result == "8" and step.attempt == 1


def test_attempts_of_a_retried_step_are_counted_from_history(endpoint: str) -> None:
    with _runner(endpoint, "retry") as runner:
        result = runner.run(input="test", timeout=30)
    assert result.status is InvocationStatus.SUCCEEDED
    assert result.get_step("flaky_step").attempt == 3


def test_a_failed_execution_carries_its_error(endpoint: str) -> None:
    with _runner(endpoint, "fails") as runner:
        result = runner.run(input="test", timeout=30)
    assert result.status is InvocationStatus.FAILED
    assert result.error == ErrorObject(
        "Intentional handler failure", "ValueError", None, result.error.stack_trace
    )


def test_async_run_and_callbacks(endpoint: str) -> None:
    with _runner(endpoint, "approval") as runner:
        arn = runner.run_async(input="test", timeout=30)
        callback_id = runner.wait_for_callback(arn, name="external_call create callback id", timeout=30)
        runner.send_callback_heartbeat(callback_id)
        runner.send_callback_failure(
            callback_id, ErrorObject("External API failure", "APIException", None, None)
        )
        result = runner.wait_for_result(arn, timeout=30)
        with pytest.raises(DurableFunctionsTestError, match="already completed"):
            runner.wait_for_callback(arn, name="external_call create callback id", timeout=1)
        with pytest.raises(DurableFunctionsTestError, match="callback_id nope"):
            runner.send_callback_success("nope", b"x")
    assert json.loads(result.result) == {"success": False, "error": "External API failure"}
    callback = result.get_context("external_call").get_callback("external_call create callback id")
    assert callback.status is OperationStatus.FAILED and callback.error.type == "APIException"


def test_map_tree_is_rebuilt_from_history(endpoint: str) -> None:
    with _runner(endpoint, "mapper") as runner:
        result = runner.run(input="test", timeout=30)
    map_op = result.get_context("square")
    assert map_op.sub_type == OperationSubType.MAP and len(map_op.child_operations) == 5
    assert all(child.sub_type == OperationSubType.MAP_ITERATION for child in map_op.child_operations)
    assert sorted(json.loads(child.child_operations[0].result) for child in map_op.child_operations) == [
        1,
        4,
        9,
        16,
        25,
    ]


def test_pause_and_resume_are_local_only(endpoint: str) -> None:
    with _runner(endpoint, "named") as runner:
        with pytest.raises(NotImplementedError):
            runner.pause_execution("arn")
        with pytest.raises(NotImplementedError):
            runner.resume_execution("arn")
