"""The events `WorkerPool.poll()` returns: what happened to the tasks in flight."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class TaskMessage:
    """The task called `channel.send(payload)`, or `channel.request(payload)` when `wants_reply` (then it
    waits for `pool.reply(task_id, ...)`)."""

    task_id: int
    payload: Any
    wants_reply: bool = False


@dataclass(frozen=True, slots=True)
class TaskDone:
    """The task returned `result`, having run `seconds` on its worker (from when it began; not compared)."""

    task_id: int
    result: Any
    seconds: float | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class TaskFailed:
    """The task raised `exception` (its `__cause__` is a `RemoteTraceback` with the worker-side traceback).
    An exception that cannot cross processes arrives as a `RemoteTaskError` naming its type."""

    task_id: int
    exception: BaseException


@dataclass(frozen=True, slots=True)
class TaskCrashed:
    """The worker process died while running the task (`exitcode` as `Popen.returncode`: minus the signal
    number when killed by a signal, whose name is `signal_name`, e.g. "SIGKILL" for a kill or an OOM)."""

    task_id: int
    exitcode: int
    signal_name: str | None


Event = TaskMessage | TaskDone | TaskFailed | TaskCrashed
