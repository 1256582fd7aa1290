"""The official examples' test harness, rewritten for durable-mp: the `durable_runner` fixture runs the
handler named by `@pytest.mark.durable_execution(handler=...)` on DurableFunctionTestRunner, once with
map/parallel on processes and once on threads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from durable_mp.serdes import SerDes, SerDesContext
from durable_mp.testing import DurableFunctionTestRunner


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "example: a test of one of the official SDK's examples")
    config.addinivalue_line(
        "markers", "durable_execution(handler, lambda_function_name): the handler the durable_runner runs"
    )


@pytest.fixture(params=["processes", "threads"])
def executor(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DURABLE_MP_EXECUTOR", request.param)
    return str(request.param)


@pytest.fixture
def durable_runner(request: pytest.FixtureRequest, executor: str) -> Iterator[DurableFunctionTestRunner]:
    marker = request.node.get_closest_marker("durable_execution")
    if marker is None:
        raise pytest.UsageError("durable_runner needs @pytest.mark.durable_execution(handler=...)")
    runner = DurableFunctionTestRunner(handler=marker.kwargs["handler"])
    yield runner
    runner.close()


def deserialize_operation_payload(payload: str | None, serdes: SerDes[Any] | None = None) -> Any:
    """A checkpointed payload decoded as the examples' tests read it (JSON unless a serdes is given)."""
    if payload is None:
        return None
    if serdes is not None:
        return serdes.deserialize(payload, SerDesContext("", ""))
    return json.loads(payload)
