"""Start the warm worker pool early: when a handler is decorated (on Lambda, the INIT phase).

`durable_execution` calls `prestart(executor, workers)` at decoration time. When the handler's batches
would run on processes (see `durable_mp.concurrency.choice`), a daemon thread starts the process-wide
pool's workers and returns: the workers boot and import the worker side of durable-mp while the handler
module finishes loading and the first invocation begins, so the first map finds them ready. Nothing starts
when batches will not use processes (`executor="threads"`/`"inline"`, `DURABLE_MP_EXECUTOR`, a one-vCPU
Lambda on automatic sizing), inside a worker process, or with `DURABLE_MP_PRESTART=0`. The handler never
waits for it: the decorating thread only starts a thread, and the first batch waits only for that thread
to have handed the workers to the pool (a few milliseconds of `Popen`), never for the workers to boot.
"""

from __future__ import annotations

import logging
import os
import threading

from durable_mp.concurrency.choice import choose_executor

PRESTART_ENV = "DURABLE_MP_PRESTART"
WORKER_MODULE = "durable_mp.concurrency.worker_entry"  # what every worker imports while idle

_lock = threading.Lock()
_thread: threading.Thread | None = None


def enabled() -> bool:
    """False when DURABLE_MP_PRESTART is 0 / false / no / off."""
    return (os.environ.get(PRESTART_ENV) or "1").strip().lower() not in ("0", "false", "no", "off")


def prestart(executor: str | None, workers: int | str | None) -> bool:
    """Start the shared pool's workers in the background if the handler's batches will use processes.
    Returns whether a start was begun (at most once per process)."""
    global _thread
    if not enabled() or choose_executor(None, executor, workers)[0] != "processes":
        return False
    with _lock:
        if _thread is not None:
            return False
        _thread = threading.Thread(target=_start, args=(workers,), name="durable-mp-prestart", daemon=True)
        _thread.start()
    return True


def wait() -> None:
    """Let a background start hand its workers to the pool before a batch leases it (the pool serves
    one thread at a time). Returns at once when none is under way."""
    thread = _thread
    if thread is not None and thread is not threading.current_thread():
        thread.join()


def _start(workers: int | str | None) -> None:
    try:
        from durable_mp_workers.process import preload
        from durable_mp_workers.shared import shared_pool
        from durable_mp_workers.sizing import resolve_workers

        preload(WORKER_MODULE)
        shared_pool(resolve_workers(workers)).start()
    except Exception:
        logging.getLogger("durable_mp").debug("starting workers early failed", exc_info=True)


def _forget() -> None:
    """A forked child has no prestart thread (and no workers of its own)."""
    global _thread
    _thread = None


os.register_at_fork(after_in_child=_forget)
