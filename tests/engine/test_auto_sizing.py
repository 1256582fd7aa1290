"""Auto sizing knows when processes cannot help (a one-vCPU Lambda), says why a batch got its executor,
and workers start early (at decoration time) only when batches will use them."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from typing import Any

import pytest

from durable_mp import DurableContext, durable_execution
from durable_mp.concurrency.choice import choose_executor
from durable_mp.concurrency.prestart import prestart
from durable_mp.config import MapConfig
from durable_mp.testing import DurableFunctionTestRunner


def _pid(context: DurableContext, item: int, index: int, items: Sequence[int]) -> int:
    return os.getpid()


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DURABLE_MP_EXECUTOR", "DURABLE_MP_WORKERS", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"):
        monkeypatch.delenv(name, raising=False)


def _pids(handler: Any) -> list[int]:
    with DurableFunctionTestRunner(handler) as runner:
        return json.loads(runner.run({}).result or "null")  # type: ignore[no-any-return]


def _mapper(**options: Any) -> Any:
    @durable_execution(**options)
    def handler(event: Any, context: DurableContext) -> Any:
        return context.map([1, 2], _pid, name="sized", config=MapConfig()).get_results()

    return handler


def test_a_one_vcpu_lambda_runs_batches_on_threads_and_says_why(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024")
    with caplog.at_level(logging.INFO, logger="durable_mp"):
        assert _pids(_mapper()) == [os.getpid()] * 2
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("batch sized:")]
    assert line.startswith(
        "batch sized: 2 items on threads x2 (auto: Lambda memory 1024 MB buys about one vCPU"
    )


@pytest.mark.parametrize(
    "options, env",
    [({"executor": "processes"}, {}), ({}, {"DURABLE_MP_EXECUTOR": "processes"}), ({"workers": 2}, {})],
)
def test_told_otherwise_a_one_vcpu_lambda_still_gets_processes(
    monkeypatch: pytest.MonkeyPatch, options: dict[str, Any], env: dict[str, str]
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1769")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert os.getpid() not in _pids(_mapper(**options))


def test_more_memory_gets_processes_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1770")
    assert choose_executor(None, None, "auto") == ("processes", "default")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
    monkeypatch.setenv("DURABLE_MP_WORKERS", "2")
    assert choose_executor(None, None, None) == ("processes", "default")
    assert choose_executor("inline", "processes", None) == (
        "inline",
        "executor='inline' in the batch's config",
    )
    assert choose_executor(None, "threads", None) == ("threads", "executor='threads' of durable_execution")


def test_no_early_start_when_processes_will_not_be_used(monkeypatch: pytest.MonkeyPatch) -> None:
    assert prestart("threads", None) is False
    monkeypatch.setenv("DURABLE_MP_EXECUTOR", "inline")
    assert prestart(None, None) is False
    monkeypatch.delenv("DURABLE_MP_EXECUTOR")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
    assert prestart(None, "auto") is False
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
    monkeypatch.setenv("DURABLE_MP_PRESTART", "0")
    assert prestart(None, None) is False


_DECORATE_ONLY = textwrap.dedent(
    """
    import time
    from durable_mp import durable_execution
    from durable_mp.concurrency import prestart
    import durable_mp_workers.shared as shared

    t0 = time.perf_counter()

    @durable_execution
    def handler(event, context):
        return None

    took = time.perf_counter() - t0
    prestart.wait()
    print(len(shared._pool.pids()) if shared._pool is not None else 0, took)
    """
)


@pytest.mark.parametrize("env, workers", [({}, 2), ({"DURABLE_MP_PRESTART": "0"}, 0)])
def test_decorating_a_handler_starts_the_workers_in_the_background(env: dict[str, str], workers: int) -> None:
    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DURABLE_MP_EXECUTOR", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "DURABLE_MP_PRESTART")
    }
    environ.update(env, DURABLE_MP_WORKERS="2")
    out = subprocess.run(
        [sys.executable, "-c", _DECORATE_ONLY],
        check=False,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    count, took = out.stdout.split()
    assert int(count) == workers
    assert float(took) < 0.5  # decorating only starts a thread: it never waits for workers to boot
