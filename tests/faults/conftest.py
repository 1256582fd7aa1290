"""Fixtures for the fault-injection tests: runners, finished executions, and the process-leak check."""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psutil
import pytest

from durable_mp.testing import DurableFunctionTestRunner
from tests.effects import effect_runs


def pool_pids() -> set[int]:
    """The live workers of this process's shared warm pool (none if it was never created)."""
    import durable_mp_workers.shared

    pool = durable_mp_workers.shared._pool
    return set() if pool is None or pool.closed else set(pool.pids())


def pool_size() -> int:
    import durable_mp_workers.shared

    pool = durable_mp_workers.shared._pool
    return 0 if pool is None or pool.closed else pool.size


def children() -> dict[int, str]:
    """This process's descendants: pid -> status."""
    out = {}
    for p in psutil.Process().children(recursive=True):
        try:
            out[p.pid] = p.status()
        except psutil.NoSuchProcess:
            pass
    return out


class Processes:
    """What a test started: children that appeared during the test must be shared-pool workers, alive."""

    def __init__(self) -> None:
        self.before = set(children())

    def problems(self, zombies_ok: bool = False) -> list[str]:
        from durable_mp_workers.process import template_pid

        now = {pid: status for pid, status in children().items() if pid not in self.before}
        now.pop(template_pid() or 0, None)  # the process the workers are forked from lives on, as the pool
        workers, size = pool_pids(), pool_size()
        found = (
            []
            if zombies_ok
            else [f"zombie {pid}" for pid, status in now.items() if status == psutil.STATUS_ZOMBIE]
        )
        found += [
            f"process {pid} ({status}) is not a shared-pool worker"
            for pid, status in now.items()
            if status != psutil.STATUS_ZOMBIE and pid not in workers
        ]
        if len(workers) > size:
            found.append(f"the shared pool has {len(workers)} workers for size {size}")
        return found

    def assert_clean(self, timeout: float = 2.0, *, zombies_ok: bool = False) -> None:
        """No leaked process and no zombie among the test's children (exiting ones get `timeout` s).
        `zombies_ok` is for the tests whose zombies a separate test reports."""
        deadline = time.monotonic() + timeout
        while (found := self.problems(zombies_ok)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not found, found


def wait_for_invocation_threads(timeout: float = 10.0) -> None:
    """Wait until no local-service invocation thread runs: a handler cut off by a stop or a closed service
    goes on until its next checkpoint, and meanwhile holds the warm pool."""
    deadline = time.monotonic() + timeout
    while running := [t.name for t in threading.enumerate() if t.name.startswith("durable-mp-inv-")]:
        assert time.monotonic() < deadline, f"invocations still running after {timeout} s: {running}"
        time.sleep(0.02)


@pytest.fixture
def procs() -> Processes:
    return Processes()


class Finished:
    """A finished execution: the runner's result, its history, and the side effects its items recorded."""

    def __init__(
        self, runner: DurableFunctionTestRunner, result: Any, directory: str, seconds: float
    ) -> None:
        self.result = result
        self.seconds = seconds
        self.events: list[dict[str, Any]] = runner.get_execution_history(result.execution_arn)["Events"]
        self.runs = effect_runs(directory)
        self.effects = collections.Counter(tag for tag, _ in self.runs)

    @property
    def status(self) -> str:
        return self.result.status.value

    @property
    def value(self) -> Any:
        return self.result.result_value

    def invocation_errors(self) -> list[dict[str, Any]]:
        return [
            e["InvocationCompletedDetails"]["Error"]
            for e in self.events
            if e["EventType"] == "InvocationCompleted" and e["InvocationCompletedDetails"].get("Error")
        ]

    def invocations(self) -> int:
        return sum(e["EventType"] == "InvocationCompleted" for e in self.events)

    def ran_twice(self) -> list[str]:
        """The work that ran again although it had completed: see `reruns_not_excused_by_a_kill`."""
        return reruns_not_excused_by_a_kill(self.runs)


def gone(pid: int) -> bool:
    """`pid` runs no more (exited, or a zombie that burns no CPU)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def reruns_not_excused_by_a_kill(runs: list[tuple[str, int]]) -> list[str]:
    """Tags that ran more than once when the earlier run had completed.

    A run killed right after its work but before its checkpoint left the worker (the yield point, a
    killed parent) legitimately runs again (at least once per retry). Such a run is the last thing its
    process recorded, and that process is gone. Any other earlier run of a repeated tag is a bug."""
    last_of: dict[int, int] = {pid: i for i, (_, pid) in enumerate(runs)}
    by_tag: dict[str, list[int]] = collections.defaultdict(list)
    for i, (tag, _) in enumerate(runs):
        by_tag[tag].append(i)
    bad = []
    for tag, indices in by_tag.items():
        for i in indices[:-1]:
            pid = runs[i][1]
            if last_of[pid] != i or not gone(pid):
                bad.append(tag)
                break
    return sorted(bad)


RunFn = Callable[..., Finished]


@pytest.fixture
def run(tmp_path: Any) -> Iterator[RunFn]:
    """`run(handler, input, timeout=30, **runner_kw)` -> Finished (skip_time=True; closed after the test)."""
    runners: list[DurableFunctionTestRunner] = []

    def _run(handler: Any, input: Any, *, timeout: float = 30, **runner_kw: Any) -> Finished:
        runner = DurableFunctionTestRunner(handler, skip_time=True, **runner_kw)
        runners.append(runner)
        start = time.monotonic()
        result = runner.run(input=input, timeout=timeout)
        return Finished(runner, result, str(tmp_path), time.monotonic() - start)

    yield _run
    for r in runners:
        r.close()
    wait_for_invocation_threads()
