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
- `fork` is unsafe once the parent runs threads, and the parent does: not offered.
- cold start of a 2-worker pool, until both workers answered a trivial task: subprocess (`python -P -m
  workers`, this pool) 44 ms; multiprocessing spawn 149 ms; forkserver 113 ms. Under heavy load from other
  work: 87 / 409 / 317 ms (the target is 300 ms).
- then one more worker: subprocess 43-44 ms; spawn 99-146 ms; forkserver 62-124 ms.
- spawn and forkserver start a resource-tracker process (forkserver also a server process) and re-import
  the parent's `__main__` in every worker; a subprocess is exactly one interpreter per worker that imports
  only what the worker needs. Of its 40 ms, 30 ms is `site` (a .pth file of this sandbox imports certifi;
  `python -S -c pass` takes 8 ms): `-S` is not used, because it would skip the .pth hooks that editable
  installs need. So: subprocess, the only `start_method` (None means it).
- idle worker RSS: 14.2 MiB.

Event loop, measured the same way: round trip of a trivial task with this selector loop 67-175 us,
asyncio 104-193 us, uvloop 116-296 us (the selector was fastest in each of five sessions). The coordinator
calls `poll()` synchronously, so an event loop would only add a layer. Throughput: 13,700-16,600 trivial
tasks/s on 2 workers. 32 tasks x 0.25 s of pure-Python CPU: WorkerPool(2) within 1.01x of a bare
ProcessPoolExecutor(2) in CPU seconds used by the workers, 1.02-1.09x in wall time (pool start included;
best of 3, interleaved).
"""

from __future__ import annotations

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
from .process import WorkerProcess, reap_soon, start_workers

_READ = selectors.EVENT_READ
_READ_WRITE = selectors.EVENT_READ | selectors.EVENT_WRITE
_START_METHODS = ("subprocess",)
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
    ) -> None:
        self._size = _check_size(size)
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
        self._max_tasks = max_tasks_per_worker
        self._max_rss = None if max_memory_mb is None else int(max_memory_mb * 1024 * 1024)
        self._selector = selectors.DefaultSelector()
        self._workers: dict[int, WorkerProcess] = {}  # fd -> every live worker
        self._idle: list[WorkerProcess] = []
        self._running: dict[int, WorkerProcess] = {}  # task id -> its worker
        self._queue: deque[tuple[int, bytes]] = deque()  # tasks waiting for a worker: (id, pickle)
        self._awaiting_reply: set[int] = set()
        self._events: list[Event] = []  # found outside poll() (e.g. a worker lost during submit)
        self._exiting: list[WorkerProcess] = []  # closed or killed, not reaped yet
        self._next_id = 1
        self._closed = False
        # A pool dropped or alive at interpreter exit without shutdown() still kills and reaps its workers.
        self._finalizer = weakref.finalize(self, _kill_all, self._workers, self._exiting)

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

    def idle_count(self) -> int:
        """How many more tasks would start at once (free workers, counting workers yet to be started)."""
        return max(0, self._size - len(self._running) - len(self._queue))

    @property
    def closed(self) -> bool:
        return self._closed

    def pids(self) -> list[int]:
        """The process ids of the live workers."""
        return [worker.pid for worker in self._workers.values()]

    # -- the coordinator's calls -----------------------------------------------------------------------------

    def start(self) -> None:
        """Start all `size` workers now (they boot in the background; this does not wait for them)."""
        self._check_open()
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
        if self._events:
            timeout = 0
        elif not self._running and not self._queue:
            return []
        deadline = None if timeout is None or timeout <= 0 else time.monotonic() + timeout
        while True:
            for key, mask in self._selector.select(timeout):
                self._on_ready(key.data, mask)
            self._reap()
            if self._events or timeout is not None and timeout <= 0:
                break
            if deadline is not None:  # only part of a frame arrived: wait for the rest, or for the deadline
                timeout = deadline - time.monotonic()
        events, self._events = self._events, []
        return events

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
        if not self._send(worker, protocol.head(protocol.REPLY, task_id), data):
            self._lost(worker)

    def cancel(self, task_id: int) -> None:
        """Stop task `task_id` now: drop it if queued, SIGKILL its worker (replaced at once) if running.
        No event about the task follows. A task that already ended is left alone."""
        self._check_open()
        self._check_known(task_id)
        self._events = [event for event in self._events if event.task_id != task_id]
        worker = self._running.pop(task_id, None)
        if worker is None:
            for i, (queued_id, _) in enumerate(self._queue):
                if queued_id == task_id:
                    del self._queue[i]
                    break
            return
        self._awaiting_reply.discard(task_id)
        self._let_go(worker, kill=True)
        self._grow()
        self._dispatch()

    def shutdown(self, wait: bool = True) -> None:
        """Stop the pool; queued tasks are dropped and no event follows.

        wait=True: idle workers exit at once and running tasks finish (their results are discarded); returns
        when every worker process has exited. wait=False: SIGKILL every worker. Either way every worker
        process is reaped before this returns: no orphans, no zombies.
        """
        if self._closed:
            return
        self._closed = True
        self._finalizer.detach()
        self._queue.clear()
        self._awaiting_reply.clear()
        self._running.clear()
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
        missing = self._size - len(self._workers)
        if missing > 0:
            for worker in start_workers(missing):
                self._workers[worker.fd] = worker
                self._selector.register(worker.fd, _READ_WRITE if worker.outbox else _READ, worker)
                if worker.pidfd is not None:
                    self._selector.register(worker.pidfd, _READ, _Exited(worker))
                self._idle.append(worker)

    def _dispatch(self) -> None:
        """Send queued tasks to idle workers, starting workers up to `size` if none is idle."""
        while self._queue:
            if not self._idle:
                if len(self._workers) >= self._size:
                    return
                before = len(self._workers)
                self._grow()
                if len(self._workers) == before:
                    return
            worker = self._idle.pop()
            task_id, payload = self._queue.popleft()
            if self._send(worker, protocol.head(protocol.TASK, task_id), payload):
                worker.task_id = task_id
                self._running[task_id] = worker
            else:  # the worker died before it got the task: the task never started, it goes back first
                self._queue.appendleft((task_id, payload))
                self._lost(worker)

    def _send(self, worker: WorkerProcess, head: bytes, payload: bytes) -> bool:
        """Queue a frame for the worker; False if the worker is gone."""
        try:
            worker.outbox.send(head, payload)
        except OSError:
            return False
        if worker.outbox:
            self._selector.modify(worker.fd, _READ_WRITE, worker)
        return True

    def _check_idle_workers(self) -> None:
        """Before a batch: notice the workers that died while idle (e.g. killed between invocations)."""
        for key, mask in self._selector.select(0):
            self._on_ready(key.data, mask)

    def _on_ready(self, data: WorkerProcess | _Exited, mask: int) -> None:
        if isinstance(data, _Exited):  # the process itself has ended: read what it sent, then it is lost
            worker = data.worker
            if self._workers.get(worker.fd) is worker:
                self._serve(worker, selectors.EVENT_READ)
            if self._workers.get(worker.fd) is worker:
                self._lost(worker)
        elif self._workers.get(data.fd) is data:
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
        if task_id != worker.task_id:
            return  # sent by a thread the task left behind after it ended
        payload = memoryview(body)[protocol.HEAD :]
        if kind == protocol.MESSAGE or kind == protocol.REQUEST:
            wants_reply = kind == protocol.REQUEST
            if wants_reply:
                self._awaiting_reply.add(task_id)
            self._events.append(TaskMessage(task_id, protocol.loads(payload), wants_reply))
            return
        if kind == protocol.DONE:
            try:
                event: Event = TaskDone(task_id, protocol.loads(payload))
            except Exception as exc:  # noqa: BLE001 - unpickling runs user code: any error fails the task
                event = TaskFailed(task_id, exc)
        else:
            event = TaskFailed(task_id, _exception(payload))
        self._events.append(event)
        self._task_ended(worker, task_id)

    def _task_ended(self, worker: WorkerProcess, task_id: int) -> None:
        del self._running[task_id]
        self._awaiting_reply.discard(task_id)
        worker.task_id = 0
        worker.tasks_run += 1
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
        if task_id:
            del self._running[task_id]
            self._awaiting_reply.discard(task_id)
            self._events.append(TaskCrashed(task_id, code, signal.Signals(-code).name if code < 0 else None))
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


class _Exited:
    """Selector data of a worker's pidfd: readable means the worker process has exited."""

    __slots__ = ("worker",)

    def __init__(self, worker: WorkerProcess) -> None:
        self.worker = worker


def _kill_all(workers: dict[int, WorkerProcess], exiting: list[WorkerProcess]) -> None:
    for worker in workers.values():
        worker.kill()
    for worker in [*workers.values(), *exiting]:
        worker.proc.wait()


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
