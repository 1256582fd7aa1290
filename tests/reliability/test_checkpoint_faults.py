"""No checkpoint update is ever lost, whatever the service client raises and wherever it raises it.

For each kind of failure, a fault is injected at every checkpoint call of a fault-free run in turn (the
first call, the calls of the map's background flushes, the final flush): the execution must end with its
complete, correct result (a transient fault retried in-process; an unexpected one failing the invocation,
which the service retries), or FAILED with the permanent error named (credentials, parameter validation).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botocore.exceptions as bce
import pytest

from durable_mp.testing import DurableFunctionTestRunner

from .handlers import EXPECTED, steps_and_map


class FaultyClient:
    """Wraps a service client: the `fault_at`-th checkpoint call raises `make()` instead (once)."""

    def __init__(
        self, inner: Any, fault_at: int = 0, make: Callable[[], BaseException] | None = None
    ) -> None:
        self.inner, self.fault_at, self.make = inner, fault_at, make
        self.calls = 0
        self.fired = False

    def checkpoint(self, arn: str, token: str, updates: list[dict[str, Any]]) -> dict[str, Any]:
        self.calls += 1
        if self.calls == self.fault_at and self.make is not None:
            self.fired = True
            raise self.make()
        return self.inner.checkpoint(arn, token, updates)

    def get_execution_state(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return self.inner.get_execution_state(*args, **kwargs)


def run_with_fault(
    fault_at: int, make: Callable[[], BaseException] | None
) -> tuple[Any, Any, list[Any], bool]:
    """Run once with the fault at checkpoint call `fault_at`: (result, operations, invocation errors,
    whether the fault fired: batching makes the number of calls vary a little from run to run)."""
    # retry_backoff: the service re-invokes a failed invocation after 10 ms instead of Lambda's 1 s
    with DurableFunctionTestRunner(steps_and_map, skip_time=True, retry_backoff=0.01) as runner:
        client = FaultyClient(runner.service._client, fault_at, make)
        runner.service._client = runner.service._core.client = client  # type: ignore[assignment]
        result = runner.run(input={}, timeout=30)
        events = runner.get_execution_history(result.execution_arn)["Events"]
        ops = [op for op in runner.service.operations(result.execution_arn) if op["Type"] != "EXECUTION"]
    errors = [
        e["InvocationCompletedDetails"]["Error"]
        for e in events
        if e["EventType"] == "InvocationCompleted" and e["InvocationCompletedDetails"].get("Error")
    ]
    return result, ops, errors, client.fired


def fault_free_calls() -> int:
    with DurableFunctionTestRunner(steps_and_map, skip_time=True) as runner:
        client = FaultyClient(runner.service._client)
        runner.service._client = runner.service._core.client = client  # type: ignore[assignment]
        assert runner.run(input={}, timeout=30).result_value == EXPECTED
    return client.calls


def throttled() -> BaseException:
    return bce.ClientError(
        {
            "Error": {"Code": "ThrottlingException", "Message": "slow down"},
            "ResponseMetadata": {"HTTPStatusCode": 429},
        },
        "CheckpointDurableExecution",
    )


TRANSIENT = {
    "EndpointConnectionError": lambda: bce.EndpointConnectionError(endpoint_url="https://lambda"),
    "ReadTimeoutError": lambda: bce.ReadTimeoutError(endpoint_url="https://lambda"),
    "ThrottlingException": throttled,
}
UNEXPECTED = {
    "RuntimeError": lambda: RuntimeError("client bug"),
    "KeyError": lambda: KeyError("CheckpointToken"),
    "MemoryError": lambda: MemoryError(),
}
PERMANENT = {
    "NoCredentialsError": lambda: bce.NoCredentialsError(),
    "ParamValidationError": lambda: bce.ParamValidationError(
        report="Invalid length for parameter Updates[0].Name"
    ),
}


@pytest.fixture(scope="module")
def calls() -> int:
    n = fault_free_calls()
    assert n >= 4, n
    return n


def assert_complete(result: Any, ops: list[Any]) -> None:
    assert result.status.value == "SUCCEEDED", result.error
    assert result.result_value == EXPECTED
    statuses = {op["Status"] for op in ops if op.get("Name") != "durable-mp:yield"}
    assert statuses == {"SUCCEEDED"}, [(op.get("Name"), op["Status"]) for op in ops]


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(TRANSIENT))
def test_transient_fault_anywhere_is_retried_in_process(kind: str, calls: int) -> None:
    for n in range(1, calls + 1):
        result, ops, errors, _ = run_with_fault(n, TRANSIENT[kind])
        assert_complete(result, ops)
        assert errors == [], f"fault at call {n}: the invocation failed instead of retrying: {errors}"


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(UNEXPECTED))
def test_unexpected_fault_anywhere_fails_the_invocation_which_is_retried(kind: str, calls: int) -> None:
    fired = 0
    for n in range(1, calls + 1):
        result, ops, errors, hit = run_with_fault(n, UNEXPECTED[kind])
        assert_complete(result, ops)
        if not hit:
            assert errors == []
            continue
        fired += 1
        assert len(errors) == 1, f"fault at call {n}: lost silently (no failed invocation): {errors}"
        assert kind in errors[0]["Payload"]["ErrorMessage"]
    assert fired >= calls - 3, f"the fault fired in {fired} runs of {calls}"


@pytest.mark.parametrize("kind", sorted(PERMANENT))
def test_permanent_fault_fails_the_execution_at_once(kind: str, calls: int) -> None:
    for n in (1, calls // 2, calls - 2):
        result, _, errors, hit = run_with_fault(n, PERMANENT[kind])
        assert hit, f"fault at call {n} did not fire"
        assert result.status.value == "FAILED", f"fault at call {n}"
        assert kind in result.error.message, result.error
        assert errors == [], "a permanent error must not be retried"
