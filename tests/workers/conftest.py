"""Fixtures for the worker-pool tests."""

from __future__ import annotations

import time
from collections.abc import Iterator

import psutil
import pytest

from durable_mp_workers import WorkerPool
from durable_mp_workers.events import Event


@pytest.fixture
def pool() -> Iterator[WorkerPool]:
    pool = WorkerPool(2)
    yield pool
    pool.shutdown(wait=False)


def drain(pool: WorkerPool, count: int, timeout: float = 10.0) -> list[Event]:
    """Poll until `count` events arrived (fails after `timeout` seconds without enough)."""
    events: list[Event] = []
    while len(events) < count:
        got = pool.poll(timeout)
        assert got, f"no event within {timeout}s; have {events}"
        events.extend(got)
    return events


def live_children() -> set[int]:
    """Pids of this process's children that are not zombies."""
    return {p.pid for p in psutil.Process().children(recursive=True) if p.status() != psutil.STATUS_ZOMBIE}


def gone(pid: int) -> bool:
    """The process `pid` has exited (a zombie counts: it runs no more)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_reaped(pids: list[int], timeout: float = 2.0) -> bool:
    """Whether all of `pids` exited and were reaped (not even zombies) within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while any(psutil.pid_exists(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def wait_gone(pids: list[int], timeout: float = 5.0) -> bool:
    """Whether all of `pids` exited within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not all(gone(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
