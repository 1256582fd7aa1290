"""The process-wide warm pool: created once, reused across calls and so across Lambda invocations.

Lambda reuses an execution environment between invocations, and module state survives: the workers of the
first invocation serve the next ones without starting again. The pool is shut down at interpreter exit
(workers SIGKILLed and reaped): no orphan or zombie processes.

One coordinator at a time may use the shared pool (as any `WorkerPool`).
"""

from __future__ import annotations

import atexit
import os
import threading
from typing import TypedDict

from .pool import WorkerPool, spare_a_core
from .sizing import default_worker_count

_lock = threading.Lock()
_pool: WorkerPool | None = None


def shared_pool(size: int | None = None) -> WorkerPool:
    """The process-wide pool, created on first use; `size` (default: `default_worker_count()`) resizes it."""
    global _pool
    with _lock:
        wanted = default_worker_count() if size is None else size
        if _pool is None or _pool.closed:
            if _pool is None:
                atexit.register(_shutdown)
            _pool = WorkerPool(wanted, max_booting=spare_a_core(), **recycling_from_env())
        elif _pool.size != wanted:
            _pool.size = wanted
        return _pool


class Recycling(TypedDict):
    """`WorkerPool`'s recycling keywords."""

    max_tasks_per_worker: int | None
    max_memory_mb: float | None


def recycling_from_env() -> Recycling:
    """Worker recycling for the shared pool: DURABLE_MP_MAX_TASKS_PER_WORKER (replace a worker after that
    many tasks) and DURABLE_MP_WORKER_MAX_MEMORY_MB (replace it after a task that left it above that RSS)."""
    tasks = os.environ.get("DURABLE_MP_MAX_TASKS_PER_WORKER", "").strip()
    memory = os.environ.get("DURABLE_MP_WORKER_MAX_MEMORY_MB", "").strip()
    try:
        return {
            "max_tasks_per_worker": int(tasks) if tasks else None,
            "max_memory_mb": float(memory) if memory else None,
        }
    except ValueError:
        raise ValueError(
            f"DURABLE_MP_MAX_TASKS_PER_WORKER must be an integer and DURABLE_MP_WORKER_MAX_MEMORY_MB a number, "
            f"got {tasks!r} and {memory!r}"
        ) from None


def _shutdown() -> None:
    with _lock:
        if _pool is not None:
            _pool.shutdown(wait=False)
