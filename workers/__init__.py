"""durable-mp's worker process pool: run `(fn, args)` tasks in long-lived processes (Process + Pipe only).

Layout: `pool` is the parent side (`WorkerPool`, event driven; its docstring describes the design),
`process` how the parent starts and holds one worker, `events` the pool's events, `errors` its errors,
`shared` the process-wide warm pool, `sizing` how many workers to run. `worker` is the worker process's
main loop and `channel` a running task's line to the parent; they and `framing` / `protocol` (the bytes
on the wire) import almost nothing, so a worker starts fast.

The names below are imported on first use: a worker process imports this package too, and must not pay
for the parent side.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

_EXPORTS = {
    "WorkerPool": "pool",
    "TaskMessage": "events",
    "TaskDone": "events",
    "TaskFailed": "events",
    "TaskCrashed": "events",
    "Event": "events",
    "TaskPicklingError": "errors",
    "RemoteTaskError": "errors",
    "RemoteTraceback": "errors",
    "shared_pool": "shared",
    "preload": "process",
    "default_worker_count": "sizing",
    "resolve_workers": "sizing",
}

__all__ = [
    "Event",
    "RemoteTaskError",
    "RemoteTraceback",
    "TaskCrashed",
    "TaskDone",
    "TaskFailed",
    "TaskMessage",
    "TaskPicklingError",
    "WorkerPool",
    "default_worker_count",
    "preload",
    "resolve_workers",
    "shared_pool",
]

if TYPE_CHECKING:  # what type checkers see; at run time `__getattr__` imports each name on first use
    from durable_mp_workers.errors import RemoteTaskError, RemoteTraceback, TaskPicklingError
    from durable_mp_workers.events import Event, TaskCrashed, TaskDone, TaskFailed, TaskMessage
    from durable_mp_workers.pool import WorkerPool
    from durable_mp_workers.process import preload
    from durable_mp_workers.shared import shared_pool
    from durable_mp_workers.sizing import default_worker_count, resolve_workers


def __getattr__(name: str) -> object:
    if name == "channel":  # `import workers; durable_mp_workers.channel.in_worker()` works in the parent too
        return import_module(f"{__name__}.channel")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module durable_mp_workers has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
