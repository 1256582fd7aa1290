"""A pipeline: a worker holds several tasks at once and runs them in order, as soon as each previous ends.

Tasks sent ahead never began: a crash reports only the running task and the others run on a fresh worker,
a cancelled held task never runs (the worker skips it), and a request/reply in the middle of a pipeline stays in step.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from durable_mp_workers import TaskCrashed, TaskDone, TaskMessage, WorkerPool
from durable_mp_workers.events import Event

from . import tasks
from .conftest import drain


@pytest.fixture
def one() -> Iterator[WorkerPool]:
    pool = WorkerPool(1, pipeline=4)
    yield pool
    pool.shutdown(wait=False)


def _request_of(pool: WorkerPool, task_id: int) -> None:
    """Wait for task `task_id`'s `channel.request()` (tasks.talk sends a message first, then asks)."""
    events = drain(pool, 2)
    assert [(e.task_id, e.wants_reply) for e in events if isinstance(e, TaskMessage)] == [
        (task_id, False),
        (task_id, True),
    ]


def _done(events: list[Event]) -> dict[int, object]:
    return {e.task_id: e.result for e in events if isinstance(e, TaskDone)}


def test_a_worker_holds_up_to_pipeline_tasks_and_runs_them_in_order(one: WorkerPool, tmp_path: Path) -> None:
    log = tmp_path / "order"
    ids = [one.submit(tasks.append_line, str(log), f"t{i}") for i in range(6)]
    assert one.idle_count() == 0  # four held by the one worker, two queued in the pool
    events = drain(one, 6)
    assert _done(events) == {task_id: f"t{i}" for i, task_id in enumerate(ids)}
    assert log.read_text().split() == [f"t{i}" for i in range(6)]
    assert one.ready_count() == 1


def test_only_the_running_task_has_begun(one: WorkerPool) -> None:
    first = one.submit(tasks.talk, "wait for me")  # a request: it stays running until the reply
    second = one.submit(tasks.add, 1, 2)
    _request_of(one, first)
    assert one.began(first) is not None and one.began(second) is None
    one.reply(first, "go")
    events = drain(one, 2)
    assert _done(events) == {first: "go!", second: 3}  # the pipelined task waited out the reply


def test_a_crash_reports_the_running_task_and_reruns_the_held_ones(one: WorkerPool, tmp_path: Path) -> None:
    log = tmp_path / "order"
    crashing = one.submit(tasks.die_after_line, str(log), "crash")
    held = [one.submit(tasks.append_line, str(log), f"h{i}") for i in range(3)]
    events = drain(one, 4)
    crashed = [e for e in events if isinstance(e, TaskCrashed)]
    assert [e.task_id for e in crashed] == [crashing]
    assert _done(events) == {task_id: f"h{i}" for i, task_id in enumerate(held)}
    assert log.read_text().split() == ["crash", "h0", "h1", "h2"]  # each ran once


def test_a_cancelled_held_task_never_runs(one: WorkerPool, tmp_path: Path) -> None:
    log = tmp_path / "order"
    running = one.submit(tasks.talk, "hold on")
    doomed = one.submit(tasks.append_line, str(log), "doomed")
    after = one.submit(tasks.append_line, str(log), "after")
    _request_of(one, running)
    pid = one.pids()[0]
    one.cancel(doomed)
    one.reply(running, "done")
    events = drain(one, 2)
    assert _done(events) == {running: "done!", after: "after"}  # nothing about the cancelled task
    assert log.read_text().split() == ["after"]
    assert one.pids() == [pid]  # the worker skipped it and went on: nothing was killed


def test_cancelling_the_running_task_sends_the_held_ones_to_a_fresh_worker(
    one: WorkerPool, tmp_path: Path
) -> None:
    log = tmp_path / "order"
    running = one.submit(tasks.talk, "never answered")
    held = [one.submit(tasks.append_line, str(log), f"h{i}") for i in range(2)]
    _request_of(one, running)
    one.cancel(running)
    events = drain(one, 2)
    assert _done(events) == {task_id: f"h{i}" for i, task_id in enumerate(held)}
    assert all(e.task_id != running for e in events)


def test_with_pipeline_one_a_busy_worker_gets_nothing_more() -> None:
    with WorkerPool(1) as pool:
        pool.submit(tasks.add, 1, 1)
        assert pool.idle_count() == 0
        second = pool.submit(tasks.add, 2, 2)
        assert pool.began(second) is None
        assert sorted(_done(drain(pool, 2)).values()) == [2, 4]


def test_pipeline_must_be_a_positive_int() -> None:
    with pytest.raises(ValueError, match="pipeline must be an int >= 1, got 0"):
        WorkerPool(1, pipeline=0)
    with WorkerPool(1) as pool, pytest.raises(ValueError, match="got True"):
        pool.pipeline = True


def test_the_worker_pid_is_stable_across_a_pipeline(one: WorkerPool) -> None:
    for _ in range(4):
        one.submit(tasks.pid)
    pids = set(_done(drain(one, 4)).values())
    assert len(pids) == 1 and pids != {os.getpid()}


def test_a_staged_start_boots_max_booting_workers_at_a_time() -> None:
    with WorkerPool(3, max_booting=1, start_method="subprocess") as pool:  # forked workers start together
        pool.start()
        assert len(pool.pids()) == 1  # the others wait for it to be ready
        deadline = time.monotonic() + 20
        while len(pool.pids()) < 3 and time.monotonic() < deadline:
            pool.ready_count()  # reads the READY frames: each lets the next worker start
            time.sleep(0.01)
        assert len(pool.pids()) == 3
        for i in range(3):
            pool.submit(tasks.add, i, 1)
        assert sorted(_done(drain(pool, 3)).values()) == [1, 2, 3]


def test_a_replacement_starts_at_once_even_with_max_booting(tmp_path: Path) -> None:
    with WorkerPool(2, max_booting=1, start_method="subprocess") as pool:
        pool.submit(tasks.pid)  # not a staged start(): both workers start at once
        assert len(pool.pids()) == 2
        drain(pool, 1)
        crashing = pool.submit(tasks.die_after_line, str(tmp_path / "log"), "crash")
        [crashed] = drain(pool, 1)
        assert isinstance(crashed, TaskCrashed) and crashed.task_id == crashing
        assert len(pool.pids()) == 2  # replaced at once, not staged behind the worker still booting


@pytest.mark.parametrize("hold", [True, False])
def test_with_hold_writes_tasks_started_in_a_row_go_in_one_write_at_the_next_poll(
    one: WorkerPool, monkeypatch: pytest.MonkeyPatch, hold: bool
) -> None:
    one.submit(tasks.add, 0, 0)
    assert _done(drain(one, 1)) == {1: 0}  # booted and idle
    writes: list[int] = []
    real_writev = os.writev
    monkeypatch.setattr(os, "writev", lambda fd, chunks: writes.append(fd) or real_writev(fd, chunks))
    one.hold_writes = hold
    ids = [one.submit(tasks.add, i, 1) for i in range(4)]  # the pipeline holds them all
    assert len(writes) == (0 if hold else 4)
    assert _done(drain(one, 4)) == {task: i + 1 for i, task in enumerate(ids)}
    assert len(writes) == (1 if hold else 4)
