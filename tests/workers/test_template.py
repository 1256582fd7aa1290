"""Workers forked from the template: ready at once, the parent's environment, reaped, and a lost template
is replaced (its workers die with it and are reported as crashed, never silently lost)."""

from __future__ import annotations

import array
import fcntl
import os
import signal
import sys
import termios
import threading
import time

import psutil
import pytest

from durable_mp_workers import TaskCrashed, TaskDone, WorkerPool
from durable_mp_workers.process import template_pid

from . import tasks
from .conftest import drain, wait_gone

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the template forks: Linux")


def _results(pool: WorkerPool, count: int) -> list[object]:
    return [e.result for e in drain(pool, count) if isinstance(e, TaskDone)]


def test_workers_are_forked_from_the_template_and_report_their_pids() -> None:
    with WorkerPool(2) as pool:
        for _ in range(2):
            pool.submit(tasks.sleep_after_pid, 0.2)  # one each: both are busy at once
        pids = [e.payload for e in drain(pool, 4) if not isinstance(e, TaskDone)]  # type: ignore[union-attr]
        template = template_pid()
        assert template is not None and template != os.getpid()
        assert sorted(pids) == sorted(pool.pids())  # type: ignore[type-var]
        assert all(psutil.Process(pid).ppid() == template for pid in pool.pids())
        assert psutil.Process(template).ppid() == os.getpid()


def test_a_forked_worker_sees_the_environment_of_the_parent_now(monkeypatch: pytest.MonkeyPatch) -> None:
    with WorkerPool(1) as pool:
        pool.submit(tasks.add, 1, 1)
        drain(pool, 1)  # the template has booted with the environment of that moment
        monkeypatch.setenv("DURABLE_MP_TEMPLATE_TEST", "later")
        pool.size = 2
        pool.submit(tasks.sleep_after_pid, 0.3)  # keeps the first worker busy: the next goes to the new one
        pool.submit(tasks.getenv, "DURABLE_MP_TEMPLATE_TEST")
        assert "later" in _results(pool, 3)


def test_a_killed_forked_worker_is_reported_with_its_signal_and_reaped() -> None:
    with WorkerPool(1) as pool:
        task = pool.submit(tasks.sleep_after_pid, 30)
        [message] = drain(pool, 1)
        victim = message.payload  # type: ignore[union-attr]
        os.kill(victim, signal.SIGKILL)
        [crashed] = drain(pool, 1)
        assert isinstance(crashed, TaskCrashed) and crashed.task_id == task
        assert (crashed.exitcode, crashed.signal_name) == (-9, "SIGKILL")
        assert wait_gone([victim]) and not psutil.pid_exists(victim)  # reaped by the template, no zombie
        pool.submit(tasks.add, 2, 2)
        assert _results(pool, 1) == [4]


def test_a_lost_template_takes_its_workers_and_a_new_one_serves_the_pool() -> None:
    with WorkerPool(1) as pool:
        task = pool.submit(tasks.sleep_after_pid, 30)
        [message] = drain(pool, 1)
        worker = message.payload  # type: ignore[union-attr]
        old = template_pid()
        assert old is not None
        os.kill(old, signal.SIGKILL)
        [crashed] = drain(pool, 1)  # the worker died with its template (PR_SET_PDEATHSIG)
        assert isinstance(crashed, TaskCrashed) and crashed.task_id == task
        assert wait_gone([worker])
        pool.submit(tasks.add, 3, 4)
        assert _results(pool, 1) == [7]
        assert template_pid() not in (None, old)


def test_subprocess_workers_are_children_of_this_process() -> None:
    with WorkerPool(1, start_method="subprocess") as pool:
        pool.submit(tasks.pid)
        [pid] = _results(pool, 1)
        assert psutil.Process(pid).ppid() == os.getpid()  # type: ignore[arg-type]


def test_a_forked_worker_collects_garbage_but_never_walks_what_it_shares_with_the_template() -> None:
    with WorkerPool(1) as pool:
        pool.submit(tasks.gc_state)
        [(enabled, frozen)] = _results(pool, 1)  # type: ignore[misc]
    assert enabled  # the template runs without the collector; its workers with it
    assert frozen > 1000  # what the template imported (the worker side at least) is frozen before the fork


def test_wakeups_while_one_is_pending_write_one_byte_and_none_is_lost() -> None:
    with WorkerPool(1) as pool:
        pool.submit(tasks.sleep_after_pid, 30)  # something to wait for: a poll blocks until woken
        drain(pool, 1)  # its pid
        for _ in range(1000):
            pool.wakeup()
        assert _bytes_waiting(pool._wake_read) == 1  # one write: each would also give up the GIL
        for _ in range(3):  # a wake-up after a poll drained the pipe writes again
            started = time.monotonic()
            assert pool.poll(10) == []
            assert time.monotonic() - started < 5
            pool.wakeup()
        pool.poll(0)
        threading.Timer(0.2, pool.wakeup).start()  # from another thread, while this one waits in poll
        started = time.monotonic()
        assert pool.poll(10) == []
        assert 0.1 < time.monotonic() - started < 5


def _bytes_waiting(fd: int) -> int:
    buf = array.array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, buf)
    return buf[0]
