"""Workers die, get cancelled, recycled, resized; none is ever left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import psutil
import pytest

from durable_mp_workers import TaskCrashed, TaskDone, TaskMessage, WorkerPool, shared_pool

from . import tasks
from .conftest import drain, gone, live_children, wait_gone, wait_reaped


def worker_pid(pool: WorkerPool, task_id: int) -> int:
    [event] = drain(pool, 1)
    assert isinstance(event, TaskMessage) and event.task_id == task_id
    return event.payload  # type: ignore[no-any-return]


def test_sigkill_mid_task_is_reported_and_the_pool_heals(pool: WorkerPool) -> None:
    task_id = pool.submit(tasks.sleep_after_pid, 30)
    victim = worker_pid(pool, task_id)
    os.kill(victim, signal.SIGKILL)
    [event] = drain(pool, 1)
    assert event == TaskCrashed(task_id, -signal.SIGKILL, "SIGKILL")
    assert len(pool.pids()) == 2 and victim not in pool.pids()
    ids = [pool.submit(tasks.add, i, 1) for i in range(4)]
    assert sorted(e.result for e in drain(pool, 4)) == [1, 2, 3, 4]  # type: ignore[union-attr]
    assert all(i > task_id for i in ids)


def test_a_worker_killed_while_idle_costs_no_task(pool: WorkerPool) -> None:
    pool.start()
    pool.submit(tasks.add, 0, 0)
    pool.submit(tasks.add, 0, 0)
    drain(pool, 2)
    victims = pool.pids()
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    assert wait_gone(victims, 2)
    ids = [pool.submit(tasks.add, i, i) for i in range(3)]
    events = drain(pool, 3)
    outcome = sorted((e.task_id, e.result) for e in events)  # type: ignore[union-attr]
    assert outcome == [(ids[i], 2 * i) for i in range(3)]
    assert not set(victims) & set(pool.pids())


def test_cancel_kills_the_worker_and_no_event_follows(pool: WorkerPool) -> None:
    task_id = pool.submit(tasks.sleep_after_pid, 30)
    victim = worker_pid(pool, task_id)
    started = time.monotonic()
    pool.cancel(task_id)
    assert time.monotonic() - started < 0.1
    assert len(pool.pids()) == 2 and victim not in pool.pids()  # replaced at once
    assert wait_reaped([victim])  # no zombie, though the pool is not polled
    other = pool.submit(tasks.add, 2, 3)
    assert drain(pool, 1) == [TaskDone(other, 5)]
    assert pool.poll(0.1) == []
    pool.cancel(task_id)  # already gone: nothing happens


def test_cancel_a_queued_task() -> None:
    with WorkerPool(1) as pool:
        running = pool.submit(tasks.sleep_after_pid, 0.2)
        queued = pool.submit(tasks.add, 1, 1)
        assert pool.idle_count() == 0
        pool.cancel(queued)
        events = drain(pool, 2)
        assert [type(e) for e in events] == [TaskMessage, TaskDone] and events[1].task_id == running


def test_recycle_after_max_tasks() -> None:
    with WorkerPool(1, max_tasks_per_worker=2) as pool:
        pids = []
        for _ in range(5):
            pool.submit(tasks.pid)
            pids.append(drain(pool, 1)[0].result)  # type: ignore[union-attr]
        assert pids[0] == pids[1] != pids[2] == pids[3] != pids[4]
        assert wait_reaped(pids[:4])  # recycled workers are reaped without another poll()


def test_recycle_on_memory() -> None:
    with WorkerPool(1, max_memory_mb=60) as pool:
        pool.submit(tasks.pid)
        small = drain(pool, 1)[0].result  # type: ignore[union-attr]
        pool.submit(tasks.pid)
        assert drain(pool, 1)[0].result == small  # type: ignore[union-attr]  # under the limit: kept
        pool.submit(tasks.hold_memory, 100)
        assert drain(pool, 1)[0].result == small  # type: ignore[union-attr]
        pool.submit(tasks.pid)
        assert drain(pool, 1)[0].result != small  # type: ignore[union-attr]


def test_grow_and_shrink() -> None:
    with WorkerPool(1) as pool:
        pool.start()
        assert len(pool.pids()) == 1
        pool.size = 3
        assert len(pool.pids()) == 3 and pool.idle_count() == 3
        busy = pool.submit(tasks.sleep_after_pid, 0.3)
        busy_pid = worker_pid(pool, busy)
        pool.size = 1  # idle workers go now, the busy one stays until its task ends
        assert pool.pids() == [busy_pid]
        drain(pool, 1)
        assert pool.pids() == [busy_pid]
        pool.size = 2
        pool.submit(tasks.add, 1, 2)
        pool.submit(tasks.add, 3, 4)
        assert sorted(e.result for e in drain(pool, 2)) == [3, 7]  # type: ignore[union-attr]


def test_no_process_left_after_shutdown() -> None:
    before = live_children()
    pool = WorkerPool(2, max_tasks_per_worker=1)
    for i in range(6):
        pool.submit(tasks.add, i, i)
    drain(pool, 6)
    running = pool.submit(tasks.sleep_after_pid, 30)
    worker_pid(pool, running)
    pool.shutdown(wait=False)
    assert live_children() == before
    assert not [p for p in psutil.Process().children() if p.status() == psutil.STATUS_ZOMBIE]


def test_shutdown_wait_lets_running_tasks_finish() -> None:
    before = live_children()
    pool = WorkerPool(2)
    pool.start()
    task_id = pool.submit(tasks.sleep_after_pid, 0.3)
    worker_pid(pool, task_id)
    started = time.monotonic()
    pool.shutdown(wait=True)
    assert time.monotonic() - started >= 0.2
    assert live_children() == before


def test_pool_started_from_a_short_lived_thread_survives_it() -> None:
    def first_batch() -> None:  # a coordinator thread that ends once its workers are up and serving
        pool.submit(tasks.add, 1, 1)
        pool.submit(tasks.add, 2, 2)
        drain(pool, 2)

    with WorkerPool(2) as pool:
        thread = threading.Thread(target=first_batch)
        thread.start()
        thread.join()
        pids = pool.pids()
        time.sleep(0.1)  # workers bound to the thread by PR_SET_PDEATHSIG would be dead by now
        assert not any(gone(pid) for pid in pids)
        pool.submit(tasks.add, 3, 3)
        pool.submit(tasks.add, 4, 4)
        assert sorted(e.result for e in drain(pool, 2)) == [6, 8]  # type: ignore[union-attr]


def test_shared_pool_is_reused() -> None:
    pool = shared_pool(2)
    assert shared_pool(2) is pool
    pool.submit(tasks.add, 20, 22)
    assert drain(pool, 1)[0].result == 42  # type: ignore[union-attr]
    shared_pool(1)
    assert pool.size == 1 and len(pool.pids()) == 1


PARENT = textwrap.dedent("""
    import sys, time
    from durable_mp_workers import WorkerPool, shared_pool
    from tests.workers import tasks
    pool = shared_pool(2) if sys.argv[1] == "shared" else WorkerPool(2)
    ids = [pool.submit(tasks.sleep_after_pid, 60) for _ in range(2)]
    pids = [e.payload for e in pool.poll(10) + pool.poll(10)]
    print(*pids, flush=True)
    if sys.argv[1] == "die":
        time.sleep(60)
""")


def run_parent(mode: str) -> tuple[subprocess.Popen[str], list[int]]:
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, mode], cwd=root, stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    pids = [int(p) for p in parent.stdout.readline().split()]
    assert len(pids) == 2
    return parent, pids


@pytest.mark.parametrize("mode", ["shared", "own"])
def test_interpreter_exit_leaves_no_worker(mode: str) -> None:
    parent, pids = run_parent(mode)
    assert parent.wait(10) == 0
    assert all(gone(pid) for pid in pids)


def test_workers_die_with_a_killed_parent() -> None:
    parent, pids = run_parent("die")
    parent.kill()
    parent.wait()
    assert wait_gone(pids)
