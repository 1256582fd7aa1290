"""Process isolation of invocations (isolation="process"): each invocation in its own OS process."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from durable_mp import DurableContext, durable_execution
from durable_mp.local import LocalDurableService, isolation
from durable_mp.local.isolation import IsolationError
from durable_mp.testing import DurableFunctionTestRunner, ServiceLimits
from tests.effects import effects

from . import handlers


@pytest.fixture(autouse=True)
def effects_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ISO_EFFECTS", str(tmp_path))
    return tmp_path


def _invocations(service: LocalDurableService, arn: str) -> list[dict[str, Any]]:
    events = service.get_durable_execution_history(
        DurableExecutionArn=arn, MaxItems=1000, IncludeExecutionData=True
    )["Events"]
    return [e["InvocationCompletedDetails"] for e in events if e["EventType"] == "InvocationCompleted"]


def _no_child_processes() -> bool:
    """No invocation process of this test process is left."""
    for proc in psutil.Process().children():
        try:
            if isolation.CHILD_MODULE in proc.cmdline():
                return False
        except psutil.Error:  # it ended meanwhile
            pass
    return True


def _gone(pid: int, within: float) -> bool:
    """The process ends within `within` seconds (a zombie counts as ended: an orphan's new parent may be
    slow to reap it)."""
    deadline = time.monotonic() + within
    while True:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)


def test_an_isolated_invocation_runs_in_its_own_process_with_its_lambda_context() -> None:
    with DurableFunctionTestRunner(
        handler=handlers.where, isolation="process", invocation_timeout=30
    ) as runner:
        result = runner.run(input={"x": 21}, timeout=30)
        assert result.status.name == "SUCCEEDED", result.error
        value = result.result_value
        assert value["doubled"] == 42 and value["pid"] != os.getpid()
        assert 0 < value["remaining_ms"] <= 30_000
        [done] = _invocations(runner.service, result.execution_arn)
        assert done["RequestId"] == value["request_id"] and "Error" not in done


def test_os_exit_is_a_runtime_exit_error_and_is_retried(effects_dir: Path) -> None:
    with DurableFunctionTestRunner(
        handler=handlers.exits_once, isolation="process", retry_backoff=0.05
    ) as runner:
        result = runner.run(timeout=30)
        assert result.status.name == "SUCCEEDED", result.error
        assert result.result_value == "done"
        crashed, retried = _invocations(runner.service, result.execution_arn)
        assert crashed["Error"]["Payload"]["ErrorType"] == "Runtime.ExitError"
        assert "exit status 3" in crashed["Error"]["Payload"]["ErrorMessage"]
        assert "Error" not in retried
        assert effects(str(effects_dir)) == ["before"]  # the checkpointed step did not run again


def test_an_invocation_that_overruns_its_timeout_has_its_process_killed(effects_dir: Path) -> None:
    with DurableFunctionTestRunner(
        handler=handlers.sleeps_once, isolation="process", invocation_timeout=2.0, retry_backoff=0.05
    ) as runner:
        result = runner.run(timeout=30)
        assert result.status.name == "SUCCEEDED", result.error
        *timed_out, retried = _invocations(runner.service, result.execution_arn)
        # the first slept past its deadline (a cold start of a retry on a loaded machine may overrun too)
        assert timed_out and {d["Error"]["Payload"]["ErrorType"] for d in timed_out} == {"Sandbox.Timedout"}
        assert "Error" not in retried
        [pid] = [int(tag[4:]) for tag in effects(str(effects_dir)) if tag.startswith("pid=")]
        # killed (and reaped) at its deadline, not left to finish its 30 s sleep
        assert _gone(pid, within=5.0)


def test_a_fanout_child_sigkilled_mid_batch_is_reinvoked_and_nothing_completed_runs_twice(
    effects_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ISO_KILL_AT", "15")
    with DurableFunctionTestRunner(
        handler=handlers.fanout_kill, isolation="process", retry_backoff=0.05, max_invocation_retries=3
    ) as runner:
        result = runner.run(input={"n": 30, "batch": 10}, timeout=60)
        assert result.status.name == "SUCCEEDED", result.error
        assert result.result_value == [2 * i for i in range(30)]
        runs = [int(tag) for tag in effects(str(effects_dir))]
        assert sorted(runs) == list(range(30))  # items 10-14 were checkpointed before the kill: ran once
        listed = runner.service.list_durable_executions_by_function(FunctionName="test-function")
        errors = [
            d["Error"]["Payload"]
            for e in listed["DurableExecutions"]
            for d in _invocations(runner.service, e["DurableExecutionArn"])
            if "Error" in d
        ]
        assert len(errors) == 1 and errors[0]["ErrorType"] == "Runtime.ExitError"
        assert "signal: killed" in errors[0]["ErrorMessage"]
    assert _no_child_processes()  # the warm ones were stopped by the service's close


def test_the_function_concurrency_cap_bounds_the_invocation_processes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ISO_KILL_AT", "-1")
    limits = ServiceLimits(max_function_concurrency=1)
    with DurableFunctionTestRunner(
        handler=handlers.fanout_kill, isolation="process", limits=limits
    ) as runner:
        result = runner.run(input={"n": 12, "batch": 3}, timeout=60)
        assert result.status.name == "SUCCEEDED", result.error
        assert result.result_value == [2 * i for i in range(12)]
        # parent and 4 children, one invocation at a time: one warm process served all of them
        assert runner.service._core.durable["test-function"].started == 1


def test_a_warm_invocation_process_serves_the_next_invocation() -> None:
    with DurableFunctionTestRunner(handler=handlers.where, isolation="process") as runner:
        first = runner.run(input={"x": 1}, timeout=30).result_value
        second = runner.run(input={"x": 2}, timeout=30).result_value
        assert second["pid"] == first["pid"] != os.getpid() and second["doubled"] == 4
        assert second["request_id"] != first["request_id"]
        handler = runner.service._core.durable["test-function"]
        assert handler.started == 1
    assert not psutil.pid_exists(first["pid"])


def test_a_handler_registered_by_file_reference() -> None:
    path = Path(handlers.__file__).resolve()
    with LocalDurableService(isolation="process", skip_time=True) as service:
        service.register_durable_function("f", handlers.where, reference=f"{path}:where")
        final = service.wait_for_execution(service.start_execution("f", '{"x": 5}'), 30)
        assert final["Status"] == "SUCCEEDED", final
        assert json.loads(final["Result"])["doubled"] == 10


def test_a_handler_without_an_importable_reference_is_refused() -> None:
    @durable_execution
    def local_handler(event: Any, ctx: DurableContext) -> int:
        return 1

    with pytest.raises(IsolationError, match="no importable reference.*defined inside a function"):
        DurableFunctionTestRunner(handler=local_handler, isolation="process")
    with LocalDurableService(isolation="process") as service:
        with pytest.raises(IsolationError, match="names another object"):
            service.register_durable_function(
                "f", handlers.where, reference="tests.isolation.handlers:exits_once"
            )
        with pytest.raises(IsolationError, match="does not import"):
            service.register_durable_function("f", handlers.where, reference="no_such_module_x:handler")
    with pytest.raises(ValueError, match="isolation must be one of"):
        LocalDurableService(isolation="fork")


def test_durable_mp_run_isolation_process(capsys: pytest.CaptureFixture[str]) -> None:
    from durable_mp.cli import main

    code = main(
        [
            "run",
            "tests.isolation.handlers:where",
            "--input",
            '{"x": 4}',
            "--store",
            "memory",
            "--isolation",
            "process",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    value = json.loads(out)
    assert value["doubled"] == 8 and value["pid"] != os.getpid()


def test_durable_mp_serve_refuses_process_isolation_over_the_http_transport(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from durable_mp.cli import main

    args = ["serve", "--function", "f=tests.isolation.handlers:where", "--store", "memory", "--port", "0"]
    code = main([*args, "--isolation", "process", "--handler-transport", "http"])
    assert code == 2
    assert "--isolation process" in capsys.readouterr().err


def test_an_invocation_process_ends_when_the_service_process_is_killed(effects_dir: Path) -> None:
    import subprocess
    import sys

    script = (
        "from durable_mp.local import LocalDurableService\n"
        "from tests.isolation import handlers\n"
        "s = LocalDurableService(isolation='process')\n"
        "s.register_durable_function('f', handlers.sleeps_once)\n"
        "s.wait_for_execution(s.start_execution('f', '{}'), 60)\n"
    )
    service = subprocess.Popen([sys.executable, "-c", script], cwd=Path(__file__).parents[2])
    try:
        deadline = time.monotonic() + 20
        while not [t for t in effects(str(effects_dir)) if t.startswith("pid=")]:
            assert time.monotonic() < deadline and service.poll() is None, "the invocation never started"
            time.sleep(0.05)
    finally:
        service.kill()
        service.wait()
    [pid] = [int(t[4:]) for t in effects(str(effects_dir)) if t.startswith("pid=")]
    assert _gone(pid, within=5.0)  # not left sleeping as an orphan
