"""The pool needs no POSIX semaphores and no /dev/shm, as on AWS Lambda."""

from __future__ import annotations

import _multiprocessing
import errno
import multiprocessing
import os
import subprocess
import sys
import textwrap

import pytest

from durable_mp_workers import WorkerPool

from . import tasks
from .conftest import drain

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class NoSemLock:
    SEM_VALUE_MAX = 2**31 - 1

    def __init__(self, *args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSYS, "Function not implemented")


def test_pool_works_without_semlock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_multiprocessing, "SemLock", NoSemLock)
    with pytest.raises(OSError):
        multiprocessing.get_context("spawn").Lock()  # the patch does break what Lambda lacks
    with WorkerPool(2) as pool:
        pool.submit(tasks.add, 1, 2)
        pool.submit(lambda: sum(range(10)))
        assert sorted(e.result for e in drain(pool, 2)) == [3, 45]  # type: ignore[union-attr]


SCRIPT = textwrap.dedent("""
    import multiprocessing
    try:
        multiprocessing.Queue()
    except OSError as exc:
        print("queue fails:", exc.errno)
    from durable_mp_workers import WorkerPool
    from tests.workers import tasks
    with WorkerPool(2) as pool:
        ids = [pool.submit(tasks.add, i, i) for i in range(4)]
        results = []
        while len(results) < 4:
            results += [e.result for e in pool.poll(10)]
    print("results:", sorted(results))
""")


def test_pool_works_with_a_read_only_dev_shm() -> None:
    command = f"mount -t tmpfs -o ro,size=1k none /dev/shm && {sys.executable} -c '{SCRIPT}'"
    try:
        done = subprocess.run(
            ["unshare", "-m", "sh", "-c", command],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except FileNotFoundError:
        pytest.skip("the unshare command is not installed")
    if done.returncode != 0 and (
        "Operation not permitted" in done.stderr or "permission denied" in done.stderr.lower()
    ):
        pytest.skip(f"unshare -m is not permitted here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    assert f"queue fails: {errno.EROFS}" in done.stdout  # /dev/shm really is unusable in there
    assert "results: [0, 2, 4, 6]" in done.stdout
