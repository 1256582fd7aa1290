"""Results, exceptions and functions cross to the worker and back."""

from __future__ import annotations

import threading

import pytest

from durable_mp_workers import (
    RemoteTaskError,
    RemoteTraceback,
    TaskDone,
    TaskFailed,
    TaskPicklingError,
    WorkerPool,
)

from . import tasks
from .conftest import drain


def run_one(pool: WorkerPool, fn: object, *args: object) -> object:
    task_id = pool.submit(fn, *args)  # type: ignore[arg-type]
    [event] = drain(pool, 1)
    assert event.task_id == task_id
    return event


def test_results_come_back_by_task_id(pool: WorkerPool) -> None:
    ids = {pool.submit(tasks.add, i, 100): i + 100 for i in range(10)}
    events = drain(pool, 10)
    assert {e.task_id: e.result for e in events if isinstance(e, TaskDone)} == ids


def test_exception_round_trips_with_remote_traceback(pool: WorkerPool) -> None:
    event = run_one(pool, tasks.fail, "bad input")
    assert isinstance(event, TaskFailed)
    assert type(event.exception) is ValueError and str(event.exception) == "bad input"
    cause = event.exception.__cause__
    assert isinstance(cause, RemoteTraceback)
    assert "in fail" in cause.traceback_text and "ValueError: bad input" in cause.traceback_text


def test_unpicklable_exception_becomes_remote_task_error(pool: WorkerPool) -> None:
    event = run_one(pool, tasks.fail_unpicklable, "with a lock")
    assert isinstance(event, TaskFailed)
    exc = event.exception
    assert isinstance(exc, RemoteTaskError)
    assert exc.type_name == "tests.workers.tasks.LockedError" and exc.message == "with a lock"
    assert "raise LockedError(message)" in exc.traceback_text


def test_exception_that_cannot_unpickle_becomes_remote_task_error(pool: WorkerPool) -> None:
    exc = run_one(pool, tasks.fail_two_args).exception  # type: ignore[attr-defined]
    assert isinstance(exc, RemoteTaskError) and exc.message == "left/right"
    assert exc.type_name.endswith("TwoArgError")


def test_lambdas_and_closures_run_via_cloudpickle(pool: WorkerPool) -> None:
    base = 40

    def closure(x: int) -> int:
        return base + x

    assert run_one(pool, closure, 2).result == 42  # type: ignore[attr-defined]
    assert run_one(pool, lambda: [base] * 2).result == [40, 40]  # type: ignore[attr-defined]
    local_class = type("Local", (), {"value": 7})
    assert run_one(pool, lambda cls: cls.value, local_class).result == 7  # type: ignore[attr-defined]


def test_unpicklable_argument_is_named_with_the_fix(pool: WorkerPool) -> None:
    lock = threading.Lock()
    with pytest.raises(TaskPicklingError) as info:
        pool.submit(tasks.add, 1, lock)
    message = str(info.value)
    assert "argument 1 of add()" in message and "lock" in message
    assert 'define it at module level, or use executor="threads"' in message.lower()
    assert isinstance(info.value, TypeError)
    assert pool.idle_count() == 2  # nothing was queued


def test_unpicklable_function_is_named(pool: WorkerPool) -> None:
    lock = threading.Lock()

    def uses_lock() -> None:
        with lock:
            pass

    with pytest.raises(TaskPicklingError, match=r"the function .*uses_lock"):
        pool.submit(uses_lock)


def test_unpicklable_result_fails_the_task(pool: WorkerPool) -> None:
    event = run_one(pool, tasks.return_lock)
    assert isinstance(event, TaskFailed) and isinstance(event.exception, TaskPicklingError)
    assert "result of task tests.workers.tasks.return_lock" in str(event.exception)


def test_submit_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="size >= 1"):
        WorkerPool(0)
    with pytest.raises(ValueError, match="max_tasks_per_worker"):
        WorkerPool(1, max_tasks_per_worker=0)
    with pytest.raises(ValueError, match="start_method"):
        WorkerPool(1, start_method="fork")
    pool = WorkerPool(1)
    with pytest.raises(TypeError, match="callable"):
        pool.submit(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no task 99"):
        pool.cancel(99)
    pool.shutdown()
    with pytest.raises(RuntimeError, match="shut down"):
        pool.submit(tasks.add, 1, 2)
