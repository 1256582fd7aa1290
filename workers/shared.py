"""The process-wide warm pool: created once, reused across calls and so across Lambda invocations.

Lambda reuses an execution environment between invocations, and module state survives: the workers of the
first invocation serve the next ones without starting again. The pool is shut down at interpreter exit
(workers SIGKILLed and reaped): no orphan or zombie processes.

One coordinator at a time may use the shared pool (as any `WorkerPool`).
"""

from __future__ import annotations

import atexit
import threading

from .pool import WorkerPool
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
            _pool = WorkerPool(wanted)
        elif _pool.size != wanted:
            _pool.size = wanted
        return _pool


def _shutdown() -> None:
    with _lock:
        if _pool is not None:
            _pool.shutdown(wait=False)
