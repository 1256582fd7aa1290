"""WorkerPool: run `(fn, args)` tasks in long-lived worker processes, driven by one coordinator thread.

The following diagram and text describe the data flow through the pool:

|============================ parent process ============================|== worker processes ==|

+-------------+  submit(fn, *args) -> id   +-----------------------------+
|             | -------------------------> | pickle (cloudpickle) now;   |
|             |                            | TaskPicklingError if it     |
|             |                            | cannot be pickled           |
|             |                            +-----------------------------+
|             |                               | idle worker? |  no: Queue (FIFO of pickled tasks)
|             |                               v              v
| Coordinator |  reply(id, obj)  +--------------------+  socketpair, one   +----------------------+
|   thread    | ---------------> | Outbox per worker  | =================> | worker #1..n         |
|             |                  | (non-blocking;     |  frames: 8-byte    |  python -m durable_mp_workers   |
|             |  cancel(id)      |  flushed when the  |  length + body     |  loop: recv task,    |
|             | ---------------> |  socket is         |                    |  run fn(*args),      |
|             |  (SIGKILL the    |  writable)         |                    |  send DONE / FAILED; |
|             |   worker, start  +--------------------+                    |  channel.send() ->   |
|             |   a new one)                                               |  MESSAGE,            |
|             |  poll(timeout)   +--------------------+                    |  channel.request()   |
|             | <--------------- | selector over all  | <================= |  -> REQUEST, waits   |
|             |  [TaskMessage,   | worker sockets;    |                    |  for REPLY           |
|             |   TaskDone,      | FrameReader per    |                    +----------------------+
|             |   TaskFailed,    | worker; EOF = the  |
|             |   TaskCrashed]   | worker died        |
+-------------+                  +--------------------+

Coordinator thread (the only thread that touches a pool; nothing in the pool runs on its own):
- `submit()` pickles `(fn, args)` at once, so an unpicklable function or argument fails in the caller with a
  `TaskPicklingError` naming it. The task goes to an idle worker; if none is idle and fewer than `size`
  workers live, a worker is started for it; otherwise it waits in the pool's FIFO queue and is sent as soon
  as a worker is free. So `submit()` never blocks and never refuses; `idle_count()` tells how many tasks
  would start at once, for a caller that wants to bound what is queued (e.g. to honour max_concurrency).
- `poll(timeout)` waits on all worker sockets at once (one `selectors.DefaultSelector`, epoll on Linux),
  writes what the outboxes hold when a socket is writable, reads what arrived, and returns the events:
  `TaskMessage` (the task called `channel.send` / `channel.request`), `TaskDone`, `TaskFailed`, and
  `TaskCrashed` when a worker dies mid-task (SIGKILL, segfault, OOM), seen from the process itself (its
  pidfd, also in the selector, becomes readable when it exits) or from its socket's EOF; its exit code and
  signal come from reaping it. It returns `[]` at once when no task is in flight.
- `reply(id, obj)` answers a pending `channel.request()`; `cancel(id)` SIGKILLs the task's worker (or drops
  the task from the queue) and no event about that task follows.
- When a task ends, its worker is recycled (closed, and a new one started) after `max_tasks_per_worker`
  tasks or when its RSS exceeds `max_memory_mb`. A worker lost mid-task or cancelled is replaced at once.
  Workers that were closed or killed are reaped by a daemon thread (`process.reap_soon`) as soon as they
  exit, so none lingers as a zombie while the pool sits idle.
- `size` can be changed between batches: growing starts workers at once (if the pool has started),
  shrinking closes idle workers at once and busy ones when their task ends.

Worker process (`durable_mp_workers.worker`): reads its configuration, then loops: read a task, run it, send the
result or the exception (pickled if it survives a round trip, always with its type name, message and
traceback text). It exits on EOF (the parent closed the channel or died) and, on Linux, is SIGKILLed by the
kernel if the parent dies mid-task (PR_SET_PDEATHSIG).

Deadlock freedom: the parent never blocks on a write (it keeps unsent bytes in an outbox and keeps reading
while it flushes), and a worker reads a whole message before it writes, so large messages in both
directions at once (50 MB tested) cannot wedge a pipe.

Start method, chosen on evidence (`python loadtests/bench_pool.py`, 2 cores shared with other work, Python
3.11, medians of 5-7 runs; each cold start in a fresh process, the methods interleaved):
- `fork` of the parent is unsafe once it runs threads, and the parent does: not offered.
- cold start of a 2-worker pool, until both workers answered a trivial task: subprocess (`python -P -m
  workers`, this pool) 44 ms; multiprocessing spawn 149 ms; forkserver 113 ms. Under heavy load from other
  work: 87 / 409 / 317 ms (the target is 300 ms).
- then one more worker: subprocess 43-44 ms; spawn 99-146 ms; forkserver 62-124 ms.
- spawn and forkserver start a resource-tracker process (forkserver also a server process) and re-import
  the parent's `__main__` in every worker; a subprocess is exactly one interpreter per worker that imports
  only what the worker needs. Of its 40 ms, 30 ms is `site` (a .pth file of this sandbox imports certifi;
  `python -S -c pass` takes 8 ms): `-S` is not used, because it would skip the .pth hooks that editable
  installs need. That measured workers that import nothing; a worker that preloads durable-mp's worker
  side (so that its first item does not pay for it) costs about 0.1 s of CPU to boot.
- So the default `start_method` is "template" (None means it; Linux, where fork and fd passing exist):
  one clean, single-threaded process of our own (`durable_mp_workers.template`) boots and preloads once,
  then forks each worker, which is ready at once. Measured in a fresh process (`/tmp`-style script, 3
  runs, workers preloading `durable_mp.concurrency.worker_entry`): both of 2 workers ready at 101-142 ms
  from the template, using one core; 120-146 ms as two subprocesses booting at once, using both cores
  (which starves the parent meanwhile); 97-102 ms and 208-248 ms as two subprocesses one after the other.
  A replacement after a crash is a fork: milliseconds, not a boot. "subprocess" (one interpreter per
  worker) stays available, and is what other platforms get.
- idle worker RSS: 14.2 MiB.

Event loop, measured the same way: round trip of a trivial task with this selector loop 67-175 us,
asyncio 104-193 us, uvloop 116-296 us (the selector was fastest in each of five sessions). The coordinator
calls `poll()` synchronously, so an event loop would only add a layer. Throughput: 13,700-16,600 trivial
tasks/s on 2 workers. 32 tasks x 0.25 s of pure-Python CPU: WorkerPool(2) within 1.01x of a bare
ProcessPoolExecutor(2) in CPU seconds used by the workers, 1.02-1.09x in wall time (pool start included;
best of 3, interleaved).
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any, Self

import cloudpickle

from . import protocol
from .errors import RemoteTaskError, RemoteTraceback, TaskPicklingError
from .events import Event, TaskCrashed, TaskDone, TaskFailed, TaskMessage
from .process import WorkerProcess, can_fork, reap_soon, start_workers

_READ = selectors.EVENT_READ
_READ_WRITE = selectors.EVENT_READ | selectors.EVENT_WRITE
_START_METHODS = ("template", "subprocess")
_REAP_TIMEOUT = 5.0  # seconds to wait for a worker whose channel hit EOF to finish exiting


class WorkerPool:
    """Long-lived worker processes running `(fn, args)` tasks; see the module docstring for the design.

    One coordinator thread at a time may use a pool. Workers start lazily (on the first `submit`) or with
    `start()`.
    """

    def __init__(
        self,
        size: int,
        *,
        max_tasks_per_worker: int | None = None,
        max_memory_mb: float | None = None,
        start_method: str | None = None,
        pipeline: int = 1,
        max_booting: int | None = None,
    ) -> None:
        self._size = _check_size(size)
        self._pipeline = _check_pipeline(pipeline)
        if max_tasks_per_worker is not None and (
            not isinstance(max_tasks_per_worker, int)
            or isinstance(max_tasks_per_worker, bool)
            or max_tasks_per_worker < 1
        ):
            raise ValueError(
                f"max_tasks_per_worker must be a positive int or None, got {max_tasks_per_worker!r}"
            )
        if max_memory_mb is not None and (
            not isinstance(max_memory_mb, (int, float))
            or isinstance(max_memory_mb, bool)
            or not max_memory_mb > 0
        ):
            raise ValueError(f"max_memory_mb must be a positive number or None, got {max_memory_mb!r}")
        if start_method not in (None, *_START_METHODS):
            raise ValueError(
                f"start_method must be one of {_START_METHODS} or None, got {start_method!r} "
                "(fork is unsafe in a parent that runs threads; see durable_mp_workers.pool's docstring)"
            )
        if max_booting is not None and (
            not isinstance(max_booting, int) or isinstance(max_booting, bool) or max_booting < 1
        ):
            raise ValueError(f"max_booting must be a positive int or None, got {max_booting!r}")
        # interpreters booting at once during start() (None: all); forked workers all start at once
        self.max_booting = max_booting
        self._staged = False  # start() is bringing workers up max_booting at a time
        self._start_method = start_method or "template"
        # workers forked from the template cost one boot together, so a staged start() does not apply
        self._forks = self._start_method == "template" and can_fork()
        self._max_tasks = max_tasks_per_worker
        self._max_rss = None if max_memory_mb is None else int(max_memory_mb * 1024 * 1024)
        self._selector = selectors.DefaultSelector()
        self._workers: dict[int, WorkerProcess] = {}  # fd -> every live worker
        self._idle: list[WorkerProcess] = []
        self._running: dict[int, WorkerProcess] = {}  # task id -> its worker (running it, or holding it)
        self._began: dict[int, float] = {}  # task id -> when it began (monotonic): first on a ready worker
        self._doomed: set[int] = set()  # held tasks cancelled before they began: the worker skips them
        self._queue: deque[tuple[int, bytes]] = deque()  # tasks waiting for a worker: (id, pickle)
        self._awaiting_reply: set[int] = set()
        self._events: list[Event] = []  # found outside poll() (e.g. a worker lost during submit)
        self._exiting: list[WorkerProcess] = []  # closed or killed, not reaped yet
        self._next_id = 1
        self._closed = False
        self._wake_read, self._wake_write = os.pipe()  # wakeup(): another thread interrupts poll()
        os.set_blocking(self._wake_read, False)
        os.set_blocking(self._wake_write, False)
        self._selector.register(self._wake_read, _READ, _WAKEUP)
        self._woken = False
        self._wake_pending = False  # a byte is in the wake-up pipe, or about to be: wakeup() need not write
        self.hold_writes = False  # tasks sent to a worker wait in its outbox until poll() (see _send)
        # A pool dropped or alive at interpreter exit without shutdown() still kills and reaps its workers.
        self._finalizer = weakref.finalize(
            self, _kill_all, self._workers, self._exiting, (self._wake_read, self._wake_write)
        )

    # -- configuration -----------------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """The number of workers the pool keeps. Settable between batches (grow or shrink)."""
        return self._size

    @size.setter
    def size(self, size: int) -> None:
        self._check_open()
        self._size = _check_size(size)
        while len(self._workers) > self._size and self._idle:
            self._retire(self._idle.pop())
        if self._workers:
            self._grow()

    @property
    def pipeline(self) -> int:
        """How many tasks a worker may hold at once: the one it runs and the next ones, sent ahead so that
        it starts each as soon as the previous ends, without waiting for the parent (small tasks then cost
        a fraction of a round trip). 1: a task is sent only to an idle worker. Settable at any time (tasks
        already sent stay where they are)."""
        return self._pipeline

    @pipeline.setter
    def pipeline(self, depth: int) -> None:
        self._pipeline = _check_pipeline(depth)
        self._dispatch()

    def idle_count(self) -> int:
        """How many more tasks would be sent to a worker at once (free places in the workers' pipelines,
        counting workers yet to be started; a worker still booting takes one)."""
        places = sum(self._pipeline if worker.ready else 1 for worker in self._workers.values())
        places += self._size - len(self._workers)
        return max(0, places - len(self._running) - len(self._queue))

    def ready_count(self) -> int:
        """How many live workers have booted (a worker still starting holds its tasks until it is ready).
        While some are starting, this first reads what they sent, without waiting."""
        ready = sum(1 for worker in self._workers.values() if worker.ready)
        if ready < len(self._workers):
            self._check_idle_workers()
            ready = sum(1 for worker in self._workers.values() if worker.ready)
        return ready

    def ready_room(self) -> int:
        """How many more tasks booted workers would take now (free places in their pipelines), beyond what
        the pool already queues."""
        room = sum(
            self._pipeline - len(worker.tasks)
            for worker in self._workers.values()
            if worker.ready and not self._due(worker, len(worker.tasks))
        )
        return max(0, room - len(self._queue))

    def began(self, task_id: int) -> float | None:
        """When task `task_id` began (`time.monotonic()`): it was first on a worker that had booted. None
        while it waits for its worker (queued, held behind another task, or its worker still booting)."""
        return self._began.get(task_id)

    @property
    def closed(self) -> bool:
        return self._closed

    def pids(self) -> list[int]:
        """The process ids of the live workers."""
        return [worker.pid for worker in self._workers.values()]

    # -- the coordinator's calls -----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the workers now (they boot in the background; this does not wait for them): `max_booting`
        at once, the others as those report ready (seen by the pool's next calls). Workers started later
        (to replace one, or because the pool grew) start at once."""
        self._check_open()
        self._staged = self.max_booting is not None
        self._grow()

    def submit(self, fn: Callable[..., Any], *args: Any) -> int:
        """Run `fn(*args)` on a worker (queued if none is free); return the task id its events carry."""
        self._check_open()
        if not callable(fn):
            raise TypeError(f"submit() needs a callable, got {fn!r}")
        payload = _pickle_task(fn, args)
        if not self._running:
            self._check_idle_workers()
        task_id = self._next_id
        self._next_id += 1
        self._queue.append((task_id, payload))
        try:
            self._dispatch()
        except BaseException:  # no worker could be started: the task was never accepted
            if self._queue and self._queue[-1][0] == task_id:
                self._queue.pop()
            raise
        return task_id

    def poll(self, timeout: float | None = None) -> list[Event]:
        """Wait up to `timeout` seconds (None: until something happens) and return what happened.

        Returns `[]` at once when no task is running or queued, since nothing could happen then.
        """
        self._write_held()
        if self._events:
            timeout = 0
        elif not self._running and not self._queue and not self._woken:
            return []
        deadline = None if timeout is None or timeout <= 0 else time.monotonic() + timeout
        while True:
            for key, mask in self._selector.select(timeout):
                self._on_ready(key.data, mask)
            self._reap()
            if self._events or self._woken or timeout is not None and timeout <= 0:
                break
            if deadline is not None:  # only part of a frame arrived: wait for the rest, or for the deadline
                timeout = deadline - time.monotonic()
        self._write_held()  # tasks dispatched to workers that ended one meanwhile
        events, self._events = self._events, []
        self._woken = False
        return events

    def wakeup(self) -> None:
        """Make a `poll()` under way (or the next one) return now. The one call another thread may make:
        e.g. a thread whose work the coordinator also waits for says it is done. While a wake-up is pending
        it writes nothing: each write would also give up the GIL, and wait to take it back."""
        if self._wake_pending:
            return
        self._wake_pending = True
        try:
            os.write(self._wake_write, b"\0")
        except (BlockingIOError, OSError):  # full: a wake-up is pending anyway; closed: nothing to wake
            pass

    def reply(self, task_id: int, payload: Any) -> None:
        """Answer the pending `channel.request()` of task `task_id` (ignored if that task already ended)."""
        self._check_open()
        worker = self._running.get(task_id)
        if worker is None:
            self._check_known(task_id)
            return
        if task_id not in self._awaiting_reply:
            raise RuntimeError(f"task {task_id} has no pending channel.request() to reply to")
        self._awaiting_reply.discard(task_id)
        try:
            data = protocol.dumps(payload)
        except Exception as exc:
            raise TaskPicklingError(
                f"cannot pickle the reply to task {task_id}, {_describe(payload)}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        self._send(worker, protocol.head(protocol.REPLY, task_id), data)

    def cancel(self, task_id: int) -> None:
        """Stop task `task_id` now: drop it if queued, SIGKILL its worker (replaced at once) if running.
        No event about the task follows. A task that already ended is left alone."""
        self._check_open()
        self._check_known(task_id)
        self._events = [event for event in self._events if event.task_id != task_id]
        worker = self._running.get(task_id)
        if worker is None:
            for i, (queued_id, _) in enumerate(self._queue):
                if queued_id == task_id:
                    del self._queue[i]
                    break
            return
        if worker.task_id != task_id:  # held behind another task: the worker skips it (see CANCEL)
            self._doomed.add(task_id)
            self._send(worker, protocol.head(protocol.CANCEL, task_id), b"")
            return
        self._stop(worker)

    def _stop(self, worker: WorkerProcess) -> None:
        """SIGKILL a worker for its first task (cancelled); what it held behind that goes back to the queue."""
        self._forget_held(worker)
        self._let_go(worker, kill=True)
        self._grow()
        self._dispatch()

    def _forget_held(self, worker: WorkerProcess) -> None:
        """Take a worker's tasks back: its first is forgotten (the caller reports or cancelled it); the
        others never began and go back to the front of the queue, in order (those cancelled are dropped)."""
        first, *rest = worker.tasks
        worker.tasks.clear()
        for task_id, _ in [first, *rest]:
            del self._running[task_id]
            self._awaiting_reply.discard(task_id)
            self._began.pop(task_id, None)
        for task in reversed(rest):
            if task[0] in self._doomed:
                self._doomed.discard(task[0])
            else:
                self._queue.appendleft(task)

    def shutdown(self, wait: bool = True) -> None:
        """Stop the pool; queued tasks are dropped and no event follows.

        wait=True: idle workers exit at once and running tasks finish (their results are discarded); returns
        when every worker process has exited. wait=False: SIGKILL every worker. Either way every worker
        process is reaped before this returns: no orphans, no zombies.
        """
        if self._closed:
            return
        self._closed = True
        if self._finalizer.detach() is None:  # it already ran (interpreter exit): workers and pipe are gone
            return
        self._queue.clear()
        self._awaiting_reply.clear()
        self._running.clear()
        self._began.clear()
        self._doomed.clear()
        for worker in list(self._workers.values()):
            self._drop(worker)
            if wait:
                worker.close()
            else:
                worker.kill()
            self._exiting.append(worker)
        for worker in self._exiting:
            worker.proc.wait()
        self._exiting.clear()
        self._selector.close()
        os.close(self._wake_read)
        os.close(self._wake_write)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown(wait=exc_info[0] is None)

    # -- internals -----------------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("this WorkerPool has been shut down")

    def _check_known(self, task_id: int) -> None:
        if not isinstance(task_id, int) or not 0 < task_id < self._next_id:
            raise ValueError(f"no task {task_id!r} was ever submitted to this pool")

    def _grow(self) -> None:
        """Start workers up to `size` (during start(): at most `max_booting` booting at once)."""
        missing = self._size - len(self._workers)
        if self._staged and self.max_booting is not None and not self._forks:
            booting = sum(1 for worker in self._workers.values() if not worker.ready)
            self._staged = missing > self.max_booting - booting  # the last stage: what follows is at once
            missing = min(missing, self.max_booting - booting)
        if missing > 0:
            for worker in start_workers(missing, self._start_method):
                self._workers[worker.fd] = worker
                self._selector.register(worker.fd, _READ_WRITE if worker.outbox else _READ, worker)
                if worker.pidfd is not None:
                    self._selector.register(worker.pidfd, _READ, _Exited(worker))
                self._idle.append(worker)

    def _dispatch(self) -> None:
        """Send queued tasks to idle workers, starting workers up to `size` if none is idle, then (with a
        pipeline) to the workers holding the fewest tasks."""
        while self._queue:
            worker = self._free_worker()
            if worker is None:
                return
            task = self._queue.popleft()
            self._send(worker, protocol.head(protocol.TASK, task[0]), task[1], now=False)
            worker.tasks.append(task)
            self._running[task[0]] = worker
            if len(worker.tasks) == 1 and worker.ready:
                self._began[task[0]] = time.monotonic()

    def _free_worker(self) -> WorkerProcess | None:
        """An idle worker (a booted one first), a new one if fewer than `size` live, else the booted worker
        with the fewest tasks below `pipeline` that is not due to be replaced."""
        if self._idle:
            ready = [worker for worker in self._idle if worker.ready]
            worker = ready[-1] if ready else self._idle[-1]
            self._idle.remove(worker)
            return worker
        if len(self._workers) < self._size:
            self._grow()
            if self._idle:
                return self._idle.pop()
        if self._pipeline == 1:
            return None
        best: WorkerProcess | None = None
        for worker in self._workers.values():
            held = len(worker.tasks)
            if held >= (self._pipeline if worker.ready else 1) or self._due(worker, held):
                continue  # full; a worker still booting holds one task, lest the others wait behind its boot
            if best is None or (not worker.ready, held) < (not best.ready, len(best.tasks)):
                best = worker
        return best

    def _due(self, worker: WorkerProcess, held: int) -> bool:
        """A worker that must not get more tasks: the pool shrinks, or it reaches max_tasks_per_worker."""
        return len(self._workers) > self._size or (
            self._max_tasks is not None and worker.tasks_run + held >= self._max_tasks
        )

    def _send(self, worker: WorkerProcess, head: bytes, payload: bytes, *, now: bool = True) -> None:
        """Send a frame to the worker: what the socket does not take now goes when it is writable (a worker
        that is gone is found by the next `poll()`). A task (`now=False`) with `hold_writes` set waits in
        the worker's outbox for the next `poll()`: a coordinator that starts many tasks in a row then writes
        once per worker, not once per task (each write also gives up the GIL, and may wait to take it back)."""
        worker.outbox.send(head, payload)
        if now or not self.hold_writes:
            self._write(worker)

    def _write_held(self) -> None:
        """Write the tasks held in outboxes (`hold_writes`), except to sockets already waiting for room."""
        for worker in self._workers.values():
            if worker.outbox and not self._waits_for_room(worker):
                self._write(worker)

    def _write(self, worker: WorkerProcess) -> None:
        try:
            worker.outbox.flush()
        except OSError:
            return  # gone: its EOF or its pidfd reports it
        if worker.outbox and self._workers.get(worker.fd) is worker and not self._waits_for_room(worker):
            self._selector.modify(worker.fd, _READ_WRITE, worker)  # the rest goes when the socket has room

    def _waits_for_room(self, worker: WorkerProcess) -> bool:
        return bool(self._selector.get_key(worker.fd).events & selectors.EVENT_WRITE)

    def _check_idle_workers(self) -> None:
        """Read what the workers sent, without waiting: before a batch, notice the workers that died while
        idle (e.g. killed between invocations); while workers boot, notice those that are ready."""
        for key, mask in self._selector.select(0):
            self._on_ready(key.data, mask)

    def _on_ready(self, data: WorkerProcess | _Exited | object, mask: int) -> None:
        if data is _WAKEUP:
            self._wake_pending = False  # before draining: a wakeup() from now on writes again
            try:
                while os.read(self._wake_read, 4096):
                    pass
            except BlockingIOError:
                pass
            self._woken = True
        elif isinstance(data, _Exited):  # the process itself has ended: read what it sent, then it is lost
            worker = data.worker
            if self._workers.get(worker.fd) is worker:
                self._serve(worker, selectors.EVENT_READ)
            if self._workers.get(worker.fd) is worker:
                self._lost(worker)
        elif isinstance(data, WorkerProcess) and self._workers.get(data.fd) is data:
            self._serve(data, mask)

    def _serve(self, worker: WorkerProcess, mask: int) -> None:
        """Flush and read one worker's socket, turning the frames that arrived into events."""
        try:
            if mask & selectors.EVENT_WRITE:
                worker.outbox.flush()
                if not worker.outbox:
                    self._selector.modify(worker.fd, _READ, worker)
            if mask & selectors.EVENT_READ:
                for body in worker.reader.read():
                    self._on_message(worker, body)
        except (EOFError, OSError):
            self._lost(worker)

    def _on_message(self, worker: WorkerProcess, body: bytearray) -> None:
        kind, task_id = protocol.parse_head(body)
        if kind == protocol.READY:
            worker.ready = True
            if worker.pidfd is None:  # a forked worker: watch the process itself from now on
                worker.know_pid(int.from_bytes(body[protocol.HEAD :], "little"))
                if worker.pidfd is not None:
                    self._selector.register(worker.pidfd, _READ, _Exited(worker))
            if worker.tasks:
                self._began[worker.task_id] = time.monotonic()
            if self._staged:
                self._grow()  # the next ones may boot now
                self._dispatch()
            return
        if task_id != worker.task_id:
            return  # sent by a thread the task left behind after it ended
        if task_id in self._doomed:  # cancelled while held
            self._doomed.discard(task_id)
            if kind == protocol.SKIPPED:  # it never began: the worker goes on with the next
                self._task_ended(worker, task_id, ran=False)
            else:  # the worker had begun it when the cancellation reached it: stop it now
                self._stop(worker)
            return
        payload = memoryview(body)[protocol.HEAD :]
        if kind == protocol.MESSAGE or kind == protocol.REQUEST:
            wants_reply = kind == protocol.REQUEST
            if wants_reply:
                self._awaiting_reply.add(task_id)
            self._events.append(TaskMessage(task_id, protocol.loads(payload), wants_reply))
            return
        if kind == protocol.DONE:
            began = self._began.get(task_id)
            try:
                event: Event = TaskDone(
                    task_id, protocol.loads(payload), None if began is None else time.monotonic() - began
                )
            except Exception as exc:  # noqa: BLE001 - unpickling runs user code: any error fails the task
                event = TaskFailed(task_id, exc)
        else:
            event = TaskFailed(task_id, _exception(payload))
        self._events.append(event)
        self._task_ended(worker, task_id)

    def _task_ended(self, worker: WorkerProcess, task_id: int, *, ran: bool = True) -> None:
        del self._running[task_id]
        self._awaiting_reply.discard(task_id)
        self._began.pop(task_id, None)
        worker.tasks.popleft()
        worker.tasks_run += ran
        if worker.tasks:  # it begins the next task it holds now
            self._began[worker.task_id] = time.monotonic()
            self._dispatch()
            return
        if (
            len(self._workers) > self._size
            or (self._max_tasks is not None and worker.tasks_run >= self._max_tasks)
            or (self._max_rss is not None and self._over_memory(worker))
        ):
            self._retire(worker)
            self._grow()
        else:
            self._idle.append(worker)
        self._dispatch()

    def _over_memory(self, worker: WorkerProcess) -> bool:
        assert self._max_rss is not None
        try:
            return worker.rss() > self._max_rss
        except Exception:  # noqa: BLE001 - psutil.NoSuchProcess / AccessDenied...: the worker is going anyway
            return True

    def _retire(self, worker: WorkerProcess) -> None:
        self._let_go(worker, kill=False)

    def _let_go(self, worker: WorkerProcess, *, kill: bool) -> None:
        """Drop a worker and end it: SIGKILL, or close its channel so it exits by itself; reaped at once."""
        self._drop(worker)
        if kill:
            worker.kill()
        else:
            worker.close()
        self._exiting.append(worker)
        reap_soon(worker.proc)

    def _lost(self, worker: WorkerProcess) -> None:
        """The worker's channel broke: the process died (or is dying). Report its task, replace it."""
        self._drop(worker)
        worker.close()
        try:
            code = worker.proc.wait(_REAP_TIMEOUT)
        except subprocess.TimeoutExpired:
            worker.kill()
            code = worker.proc.wait()
        task_id = worker.task_id
        if task_id:  # its first task was running; the ones it held behind never began: they go back
            self._forget_held(worker)
            if task_id in self._doomed:
                self._doomed.discard(task_id)
            else:
                self._events.append(
                    TaskCrashed(task_id, code, signal.Signals(-code).name if code < 0 else None)
                )
            self._grow()
        self._dispatch()

    def _drop(self, worker: WorkerProcess) -> None:
        """Forget a worker that is about to go away."""
        del self._workers[worker.fd]
        self._selector.unregister(worker.fd)
        if worker.pidfd is not None:
            self._selector.unregister(worker.pidfd)
            worker.close_pidfd()
        if worker in self._idle:
            self._idle.remove(worker)

    def _reap(self) -> None:
        if self._exiting:
            self._exiting[:] = [worker for worker in self._exiting if worker.proc.poll() is None]


_WAKEUP = object()  # selector data of the wake-up pipe


class _Exited:
    """Selector data of a worker's pidfd: readable means the worker process has exited."""

    __slots__ = ("worker",)

    def __init__(self, worker: WorkerProcess) -> None:
        self.worker = worker


def _kill_all(workers: dict[int, WorkerProcess], exiting: list[WorkerProcess], fds: tuple[int, ...]) -> None:
    for worker in workers.values():
        worker.kill()
    for worker in [*workers.values(), *exiting]:
        worker.proc.wait()
    for fd in fds:
        os.close(fd)


def spare_a_core() -> int:
    """How many workers may boot at once if one core is to stay free: all but one of the cores this
    process may use (at least one). Booting workers (each a fresh interpreter importing its modules, about
    0.1 s of CPU) then never take the core the parent needs meanwhile, to run items on threads and to
    drive the workers that are ready (the shared pool's setting)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, cores - 1)


def _check_pipeline(depth: int) -> int:
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 1:
        raise ValueError(f"a WorkerPool's pipeline must be an int >= 1, got {depth!r}")
    return depth


def _check_size(size: int) -> int:
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise ValueError(f"a WorkerPool needs size >= 1 (an int), got {size!r}")
    return size


def _pickle_task(fn: Callable[..., Any], args: tuple[Any, ...]) -> bytes:
    """`(fn, args)` pickled (C pickler, cloudpickle when needed), or a TaskPicklingError that names the culprit and the fix."""
    try:
        return protocol.dumps((fn, args))  # the C pickler, falling back to cloudpickle for closures
    except Exception as exc:  # noqa: BLE001 - pickling runs user code: any error is reported below
        error = exc
    name = getattr(fn, "__qualname__", None) or repr(fn)
    culprit = f"the function {name}"
    for index, arg in enumerate(args):
        try:
            cloudpickle.dumps(arg, 5)
        except Exception as exc:  # noqa: BLE001 - pickling runs user code: any error names this argument
            culprit, error = f"argument {index} of {name}(), {_describe(arg)}", exc
            break
    raise TaskPicklingError(
        f"cannot pickle {culprit} to send it to a worker process ({type(error).__name__}: {error}). "
        'Define it at module level, or use executor="threads"'
    ) from error


def _describe(obj: object) -> str:
    text = repr(obj)
    return text if len(text) <= 200 else text[:197] + "..."


def _exception(payload: memoryview) -> BaseException:
    """The exception of a FAILED message: the original if it unpickles here, else a RemoteTaskError."""
    pickled, type_name, message, traceback_text = protocol.loads(payload)
    exc: BaseException
    try:
        exc = (
            protocol.loads(pickled)
            if pickled is not None
            else RemoteTaskError(type_name, message, traceback_text)
        )
    except Exception:  # noqa: BLE001 - unpickling runs the exception's code: any error falls back to its text
        exc = RemoteTaskError(type_name, message, traceback_text)
    exc.__cause__ = RemoteTraceback(traceback_text)
    return exc
