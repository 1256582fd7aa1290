"""Fixtures and helpers for the replay-engine tests: run handlers on the local test runner, read history."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from durable_mp.testing import DurableFunctionTestResult, DurableFunctionTestRunner

# Keys whose values change from run to run (clock, request ids, service-assigned ids, stack traces).
VOLATILE_KEYS = frozenset(
    {
        "EventTimestamp",
        "StartTimestamp",
        "EndTimestamp",
        "ScheduledEndTimestamp",
        "RequestId",
        "StackTrace",
        "CallbackId",
        "DurableExecutionArn",
    }
)


def H(text: str) -> str:
    """The official operation-id hash, computed independently of durable_mp.ids."""
    return hashlib.blake2b(text.encode("utf-8")).hexdigest()[:64]


def root_id(n: int) -> str:
    return H(str(n))


def child_id(parent: str, n: int) -> str:
    return H(f"{parent}-{n}")


def item_id(batch: str, index: int) -> str:
    return H(f"{batch}-{index}")


class Run:
    """A finished execution: the runner's result plus its history."""

    def __init__(self, runner: DurableFunctionTestRunner, result: DurableFunctionTestResult) -> None:
        self.runner = runner
        self.result = result
        assert result.execution_arn is not None
        self.arn = result.execution_arn
        self.events: list[dict[str, Any]] = runner.get_execution_history(self.arn)["Events"]

    @property
    def status(self) -> str:
        return self.result.status.value

    @property
    def value(self) -> Any:
        return self.result.result_value

    def types(self) -> list[str]:
        return [e["EventType"] for e in self.events]

    def of(self, op_id: str) -> list[dict[str, Any]]:
        """The events of one operation, in order."""
        return [e for e in self.events if e.get("Id") == op_id]

    def named(self, name: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("Name") == name]

    def invocations(self) -> int:
        return self.types().count("InvocationCompleted")

    def ops(self) -> list[dict[str, Any]]:
        """The execution's operations (service view), EXECUTION excluded."""
        return [op for op in self.runner.service.operations(self.arn) if op["Type"] != "EXECUTION"]

    def op(self, op_id: str) -> dict[str, Any]:
        for op in self.runner.service.operations(self.arn):
            if op["Id"] == op_id:
                return op
        raise AssertionError(f"no operation {op_id} in {[o['Id'] for o in self.ops()]}")

    def normalized(self) -> list[dict[str, Any]]:
        return normalize(self.events)


def normalize(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events without anything that changes from run to run (timestamps, request ids, execution ids)."""

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if k not in VOLATILE_KEYS}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    out = []
    for e in events:
        c = clean(e)
        if e["EventType"].startswith("Execution"):
            c.pop("Id", None)
            c.pop("Name", None)
        out.append(c)
    return out


RunFn = Callable[..., Run]


@pytest.fixture
def run() -> Iterator[RunFn]:
    """`run(handler, input=None, functions={name: handler}, timeout=10)` -> Run (the runner is closed after)."""
    runners: list[DurableFunctionTestRunner] = []

    def _run(
        handler: Any,
        input: Any = None,
        *,
        functions: dict[str, Any] | None = None,
        durable: dict[str, Any] | None = None,
        timeout: float = 10,
        **runner_kw: Any,
    ) -> Run:
        runner = DurableFunctionTestRunner(handler, skip_time=True, **runner_kw)
        runners.append(runner)
        for name, fn in (functions or {}).items():
            runner.register_function(name, fn)
        for name, fn in (durable or {}).items():
            runner.register_durable_function(name, fn)
        return Run(runner, runner.run(input=input, timeout=timeout))

    yield _run
    for r in runners:
        r.close()


@pytest.fixture
def runner_factory() -> Iterator[Callable[..., DurableFunctionTestRunner]]:
    """Runners for tests that drive an execution themselves (callbacks); closed after the test."""
    runners: list[DurableFunctionTestRunner] = []

    def make(handler: Any, **kw: Any) -> DurableFunctionTestRunner:
        runner = DurableFunctionTestRunner(handler, **{"skip_time": True, **kw})
        runners.append(runner)
        return runner

    yield make
    for r in runners:
        r.close()


class RecordingClient:
    """A DurableServiceClient wrapper that records every checkpoint request's updates."""

    def __init__(self, inner: Any, requests: list[list[dict[str, Any]]]) -> None:
        self.inner = inner
        self.requests = requests

    def checkpoint(
        self, execution_arn: str, checkpoint_token: str, updates: list[dict[str, Any]]
    ) -> dict[str, Any]:
        self.requests.append(list(updates))
        return self.inner.checkpoint(execution_arn, checkpoint_token, updates)

    def get_execution_state(
        self, execution_arn: str, checkpoint_token: str, marker: str | None = None, max_items: int = 1000
    ) -> dict[str, Any]:
        return self.inner.get_execution_state(execution_arn, checkpoint_token, marker, max_items)


class Recorded:
    """A durable handler whose checkpoint requests are recorded (`requests`: one list of updates each)."""

    def __init__(self, handler: Any) -> None:
        self.handler = handler
        self.requests: list[list[dict[str, Any]]] = []

    def durable_invoke(self, event: dict[str, Any], lambda_context: Any, client: Any) -> dict[str, Any]:
        return self.handler.durable_invoke(event, lambda_context, RecordingClient(client, self.requests))

    @property
    def updates(self) -> list[dict[str, Any]]:
        return [u for request in self.requests for u in request]
