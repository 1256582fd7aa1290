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
from durable_mp_workers.pool import spare_a_core
from durable_mp_workers.process import can_fork


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


def _fresh_python(script: str, *args: str, env: dict[str, str] | None = None) -> str:
    """Run `script` in a fresh interpreter (a cold start: no workers yet), without this process's
    DURABLE_MP_ and AWS_LAMBDA_ settings but with `env`; return what it printed."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("DURABLE_MP_", "AWS_LAMBDA_"))}
    out = subprocess.run(
        [sys.executable, "-c", script, *args],
        check=False,
        env={**environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


_DECORATE_ONLY = textwrap.dedent(
    """
    import gc, time
    from durable_mp import durable_execution
    import durable_mp_workers.shared as shared

    t0 = time.perf_counter()

    @durable_execution
    def handler(event, context):
        return None

    took = time.perf_counter() - t0
    print(len(shared._pool.pids()) if shared._pool is not None else 0, took, gc.get_freeze_count())
    """
)


# Workers forked from the template all start at once; interpreters boot at most spare_a_core() at a time (a
# core stays free for the parent), the others following as those are ready, which the next batch sees.
@pytest.mark.parametrize(
    "env, workers, frozen",
    [
        ({}, 2 if can_fork() else min(2, spare_a_core()), True),
        ({"DURABLE_MP_GC_FREEZE": "0"}, 2 if can_fork() else min(2, spare_a_core()), False),
        ({"DURABLE_MP_PRESTART": "0"}, 0, False),
    ],
)
def test_decorating_a_handler_starts_the_workers_and_freezes_what_the_import_left(
    env: dict[str, str], workers: int, frozen: bool
) -> None:
    count, took, freeze_count = _fresh_python(_DECORATE_ONLY, env={**env, "DURABLE_MP_WORKERS": "2"}).split()
    assert int(count) == workers  # handed to the pool when decoration returns
    assert float(took) < 0.5  # decorating only starts the template: it never waits for workers to boot
    assert (int(freeze_count) > 1000) is frozen  # the imported modules' objects, left out of every collection


_PATH_CHANGED_AFTER_START = textwrap.dedent(
    """
    import json, pathlib, sys, tempfile
    from durable_mp import durable_execution
    from durable_mp.config import MapConfig
    from durable_mp.testing import DurableFunctionTestRunner

    @durable_execution
    def handler(event, context):
        import late_items
        return context.map([1, 2], late_items.triple, config=MapConfig(executor="processes")).get_results()

    # the workers started at decoration, with the sys.path of that moment
    folder = tempfile.mkdtemp()
    pathlib.Path(folder, "late_items.py").write_text("def triple(ctx, x, i, items):\\n    return 3 * x\\n")
    sys.path.insert(0, folder)
    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run({})
    print(result.status.name, result.result)
    """
)


def test_workers_started_early_see_what_was_added_to_sys_path_later() -> None:
    out = _fresh_python(_PATH_CHANGED_AFTER_START, env={"DURABLE_MP_WORKERS": "2"})
    assert out.split() == ["SUCCEEDED", "[3,", "6]"], out


_COLD_MAP = textwrap.dedent(
    """
    import json, os, sys
    from durable_mp import durable_execution
    from durable_mp.config import MapConfig
    from durable_mp.testing import DurableFunctionTestRunner

    def pid(ctx, item, index, items):
        return ctx.step(lambda _: os.getpid(), name="pid")

    executor = sys.argv[1] or None

    @durable_execution
    def handler(event, context):
        return context.map(list(range(40)), pid, config=MapConfig(executor=executor)).get_results()

    with DurableFunctionTestRunner(handler) as runner:  # at once: the workers started at decoration boot
        result = runner.run({})
    pids = json.loads(result.result)
    print(json.dumps({"parent": os.getpid(), "first": pids[0], "in_parent": pids.count(os.getpid())}))
    """
)


def _cold_map(executor: str) -> dict[str, int]:
    return json.loads(_fresh_python(_COLD_MAP, executor))  # type: ignore[no-any-return]


def test_a_cold_default_batch_starts_on_threads_while_the_workers_boot() -> None:
    # No worker can have booted (a fresh interpreter importing the worker side) when the first item starts.
    seen = _cold_map("")
    assert seen["first"] == seen["parent"] and seen["in_parent"] >= 1


def test_processes_asked_for_never_run_an_item_in_the_parent() -> None:
    seen = _cold_map("processes")
    assert seen["first"] != seen["parent"] and seen["in_parent"] == 0


_COLD_EARLY_COMPLETION = textwrap.dedent(
    """
    import json
    from durable_mp import durable_execution
    from durable_mp.config import CompletionConfig, MapConfig
    from durable_mp.testing import DurableFunctionTestRunner

    def inc(ctx, item, index, items):
        return ctx.step(lambda _: item + 1, name="inc")

    @durable_execution
    def handler(event, context):
        config = MapConfig(completion_config=CompletionConfig(min_successful=20))
        result = context.map(list(range(400)), inc, config=config)
        return {"reported": [item.index for item in result.all]}

    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run({})
    ops = runner.service.operations(result.execution_arn)
    items = sorted(int(op["Name"].rsplit("-", 1)[1]) for op in ops if op.get("SubType") == "MapIteration")
    print(json.dumps({"reported": json.loads(result.result)["reported"], "checkpointed": items}))
    """
)


def test_a_cold_batch_that_completes_early_reports_exactly_the_items_that_began() -> None:
    # The batch completes on the boot bridge, whose threads hold items queued: those that had not begun
    # are left out of the result and never checkpoint anything; every item that began is reported.
    seen = json.loads(_fresh_python(_COLD_EARLY_COMPLETION))
    assert 20 <= len(seen["reported"]) < 400
    assert seen["reported"] == seen["checkpointed"]


_COLD_BRIDGE_CALLS = textwrap.dedent(
    """
    import json, os, threading, time
    from durable_mp import durable_execution
    from durable_mp.testing import DurableFunctionTestRunner

    def inc(ctx, item, index, items):
        return ctx.step(lambda _: (item + 1, os.getpid()), name="inc")

    @durable_execution
    def handler(event, context):
        return context.map(list(range(200)), inc).get_results()

    with DurableFunctionTestRunner(handler) as runner:
        client = runner.service.service_client()
        calls, real, lock = [0], client.checkpoint, threading.Lock()
        def counted(*args):
            with lock:
                calls[0] += 1
            return real(*args)
        client.checkpoint = counted
        result = runner.run({})
    values = json.loads(result.result)
    deadline = time.monotonic() + 5
    while any(t.name.startswith("durable-mp-branch") for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.01)
    left = [t.name for t in threading.enumerate() if t.name.startswith("durable-mp-branch")]
    print(json.dumps({"calls": calls[0], "in_parent": sum(pid == os.getpid() for _, pid in values),
                      "values": [v for v, _ in values], "threads_left": left}))
    """
)


def test_items_on_the_boot_bridge_wait_for_no_acknowledgement_as_worker_items() -> None:
    # A bridged step returns as soon as its SUCCEED is queued (a worker's does the same): the checkpointer
    # sends the items' updates together, not two requests (step and item ends) per item.
    seen = json.loads(_fresh_python(_COLD_BRIDGE_CALLS))
    assert seen["values"] == list(range(1, 201))
    assert seen["in_parent"] >= 20, seen  # on the bridge: no worker boots within the first milliseconds
    assert seen["calls"] <= 20, seen  # waiting, each bridged item would make two (400 for all 200)
    assert seen["threads_left"] == []  # the bridge's threads end with the batch
