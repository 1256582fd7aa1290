"""The worker channel is private to the worker, and a worker's death is seen from the process itself.

Issue 11: the channel fd was inheritable, so `os.system`, `fork` and `Popen(close_fds=False)` children
of user code held it; a grandchild holding it hid a worker's death (noticed after 12 s instead of 0.2 s)
and could write frames the parent unpickles.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from durable_mp import DurableContext, durable_execution
from durable_mp.config import MapConfig
from durable_mp.testing import DurableFunctionTestRunner
from durable_mp_workers import WorkerPool
from durable_mp_workers.events import TaskCrashed, TaskDone

from . import fdtasks

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and pidfd are Linux's")


def socket_inodes(pid: int) -> set[str]:
    out = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:"):
            out.add(target)
    return out


def channel_inode(worker_pid: int, fd: int) -> str:
    return os.readlink(f"/proc/{worker_pid}/fd/{fd}")


@pytest.fixture
def killer() -> Iterator[list[int]]:
    pids: list[int] = []
    yield pids
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_children_of_a_task_hold_no_copy_of_the_channel(tmp_path: Path, killer: list[int]) -> None:
    with WorkerPool(1) as pool:
        pool.submit(fdtasks.spawn_children, str(tmp_path))
        (done,) = pool.poll(20)
        assert isinstance(done, TaskDone), done
        info = done.result
        killer.extend(info[k] for k in ("system", "popen", "fork"))
        (worker_pid,) = pool.pids()
        channel = channel_inode(worker_pid, info["fd"])
        for how in ("system", "popen", "fork"):
            assert channel not in socket_inodes(info[how]), f"the {how} child holds the worker's channel"
        for worker in pool._workers.values():  # the parent's ends are not inheritable either
            assert not os.get_inheritable(worker.fd)
            assert worker.pidfd is None or not os.get_inheritable(worker.pidfd)


def test_a_worker_death_is_seen_at_once_even_if_a_grandchild_holds_its_channel(killer: list[int]) -> None:
    with WorkerPool(1) as pool:
        task = pool.submit(fdtasks.leak_channel_and_hang)
        (worker_pid,) = pool.pids()
        deadline = time.monotonic() + 20
        while not psutil.Process(worker_pid).children() and time.monotonic() < deadline:
            time.sleep(0.02)
        killer.extend(p.pid for p in psutil.Process(worker_pid).children())
        assert killer, "the task did not start its grandchild"
        os.kill(worker_pid, signal.SIGKILL)
        killed = time.monotonic()
        events = pool.poll(5)
        noticed = time.monotonic() - killed
    assert [type(e) for e in events] == [TaskCrashed] and events[0].task_id == task
    assert noticed < 1.0, f"the death was noticed after {noticed:.2f} s"


def item(ctx: DurableContext, spec: dict[str, Any], index: int, items: Any) -> str:
    """First run: spawn `sleep 30` in the background (it outlives the item), then hang until killed.
    The rerun leaves a file."""
    d = spec["dir"]
    if not os.path.exists(os.path.join(d, "first")):
        open(os.path.join(d, "first"), "w").close()
        os.system(f"sleep 30 & echo $! > {d}/grandchild.tmp; mv {d}/grandchild.tmp {d}/grandchild")
        with open(os.path.join(d, "worker.tmp"), "w") as f:
            f.write(f"{os.getpid()} {fdtasks.channel_fd()}")
        os.replace(os.path.join(d, "worker.tmp"), os.path.join(d, "worker"))
        time.sleep(60)
    open(os.path.join(d, "rerun"), "w").close()
    return "done"


@durable_execution
def grandchild_map(event: dict[str, Any], ctx: DurableContext) -> list[Any]:
    config = MapConfig(executor="processes", workers=1)
    return ctx.map([{"dir": event["dir"]}], item, name="m", config=config).get_results()


def wait_for(path: Path, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.01)
    return path.read_text()


@pytest.mark.slow
def test_a_map_item_whose_grandchild_outlives_it_reruns_at_once_when_its_worker_dies(
    tmp_path: Path, killer: list[int]
) -> None:
    with DurableFunctionTestRunner(grandchild_map, invocation_timeout=60) as runner:
        arn = runner.run_async(input={"dir": str(tmp_path)})
        grandchild = int(wait_for(tmp_path / "grandchild"))
        killer.append(grandchild)
        worker_pid, fd = map(int, wait_for(tmp_path / "worker").split())
        assert channel_inode(worker_pid, fd) not in socket_inodes(grandchild)
        os.kill(worker_pid, signal.SIGKILL)
        killed = time.monotonic()
        while not any(o.get("Name") == "durable-mp:interrupted" for o in runner.service.operations(arn)):
            assert time.monotonic() - killed < 20, "the worker's death was never noticed"
            time.sleep(0.01)
        noticed = time.monotonic() - killed  # the crash is recorded before the item reruns
        wait_for(tmp_path / "rerun")
        result = runner.wait_for_result(arn, timeout=30)
    assert result.status.value == "SUCCEEDED", result.error
    assert result.result_value == ["done"]
    assert noticed < 1.0, f"the worker's death was noticed {noticed:.2f} s after it died"
    assert psutil.pid_exists(grandchild), "the grandchild was meant to outlive the item"
