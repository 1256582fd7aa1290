"""The default executor never breaks a ported handler: processes when the batch pickles, else threads
with one warning naming what could not be pickled. A chosen executor="processes" stays strict."""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import pytest

from durable_mp import DurableContext, durable_execution
from durable_mp.config import MapConfig
from durable_mp.testing import DurableFunctionTestRunner


def _pid(context: DurableContext, item: int, index: int, items: list[int]) -> int:
    return os.getpid()


def _run(handler: Any) -> Any:
    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run({})
    return result


@pytest.fixture(autouse=True)
def _no_executor_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DURABLE_MP_EXECUTOR", raising=False)


def test_a_picklable_batch_runs_on_worker_processes_by_default(caplog: pytest.LogCaptureFixture) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.map([1, 2], _pid).get_results()

    pids = json.loads(_run(handler).result)
    assert os.getpid() not in pids
    assert not [r for r in caplog.records if "runs on threads" in r.getMessage()]


def test_a_closure_over_the_context_falls_back_to_threads_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        def item(child: DurableContext, x: int, i: int, items: list[int]) -> Any:
            return [context.state.execution_arn is not None, os.getpid()]

        return context.map([1, 2, 3], item, name="closure").get_results()

    with caplog.at_level(logging.WARNING, logger="durable_mp"):
        result = _run(handler)
    assert json.loads(result.result) == [[True, os.getpid()]] * 3
    (warning,) = [r for r in caplog.records if "runs on threads" in r.getMessage()]
    assert warning.levelno == logging.WARNING
    assert "Map 'closure' runs on threads: the map function" in warning.getMessage()
    assert "handler.<locals>.item" in warning.getMessage()


def test_a_chosen_process_executor_keeps_the_strict_error() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        lock = __import__("threading").Lock()
        return context.map([lock], _pid, config=MapConfig(executor="processes")).get_results()

    result = _run(handler)
    assert result.error is not None
    assert "cannot send map item 0" in result.error.message
    assert result.error.type.endswith("TaskPicklingError")
