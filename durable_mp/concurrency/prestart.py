"""Start the warm worker pool early: when a handler is decorated (on Lambda, the INIT phase).

`durable_execution` calls `prestart(executor, workers)` at decoration time. When the handler's batches
would run on processes (see `durable_mp.concurrency.choice`), it starts the process-wide pool's workers and
returns: the workers boot and import the worker side of durable-mp while the handler module finishes
loading and the first invocation begins, so the first map finds them ready. Nothing starts when batches
will not use processes (`executor="threads"`/`"inline"`, `DURABLE_MP_EXECUTOR`, a one-vCPU Lambda on
automatic sizing), inside a worker process, or with `DURABLE_MP_PRESTART=0`.

Decoration never waits for a worker to boot: it spends a few milliseconds starting the template process
(one `Popen`; the workers it forks follow as soon as it has booted) and importing what the parent's side of
the first process batch needs (cloudpickle, which pickles the batch's work, and the task entry). That is
done in the decorating thread, not a background one: a thread started here would get the GIL only in
slices while the importing thread goes on, and the template would start tens of milliseconds later on a
cold start.

It also freezes what importing the handler's module left (`gc.collect()`, then `gc.freeze()`), unless
`DURABLE_MP_GC_FREEZE=0`: those objects (modules, classes, functions: botocore alone is tens of thousands)
live as long as the process, yet every full collection of the cyclic garbage collector would walk them all
again, with every thread stopped; a map of 1,000 items allocates enough to trigger one or two of them, and
workers wait for their parent meanwhile. Frozen, they are left out of every collection. The collection first
frees what the import left unreachable, so nothing collectable is kept for good (it costs about one full
collection, once); objects created from now on are collected as usual.
"""

from __future__ import annotations

import gc
import logging
import os
import threading

from durable_mp.concurrency.choice import choose_executor

PRESTART_ENV = "DURABLE_MP_PRESTART"
GC_FREEZE_ENV = "DURABLE_MP_GC_FREEZE"
WORKER_MODULE = "durable_mp.concurrency.worker_entry"  # what every worker imports while idle

_lock = threading.Lock()
_started = False


def enabled(name: str = PRESTART_ENV) -> bool:
    """False when the environment variable `name` (default DURABLE_MP_PRESTART) is 0 / false / no / off."""
    return (os.environ.get(name) or "1").strip().lower() not in ("0", "false", "no", "off")


def prestart(executor: str | None, workers: int | str | None) -> bool:
    """Start the shared pool's workers (without waiting for them to boot) if the handler's batches will use
    processes. Returns whether a start was made (at most once per process)."""
    global _started
    if not enabled() or choose_executor(None, executor, workers)[0] != "processes":
        return False
    with _lock:
        if _started:
            return False
        _started = True
        try:
            import importlib

            from durable_mp_workers.process import preload
            from durable_mp_workers.shared import shared_pool
            from durable_mp_workers.sizing import resolve_workers

            preload(WORKER_MODULE)
            shared_pool(resolve_workers(workers)).start()
            importlib.import_module(WORKER_MODULE)  # the parent's side too: cloudpickle, and the task entry
            if enabled(GC_FREEZE_ENV):
                gc.collect()
                gc.freeze()
        except Exception:
            logging.getLogger("durable_mp").debug("starting workers early failed", exc_info=True)
    return True


def wait() -> None:
    """Let a start under way on another thread hand its workers to the pool before a batch leases it (the
    pool serves one thread at a time)."""
    with _lock:
        pass


def _forget() -> None:
    """A forked child has no workers of its own: it may start its own."""
    global _started, _lock
    _started = False
    _lock = threading.Lock()  # another thread of the parent may have held it at the fork


os.register_at_fork(after_in_child=_forget)
