"""Where branches run: inline (sequential), threads (the official model), or worker processes.

Every executor has the same small surface, used only by the coordinator's thread:

    start(spec)            begin running a branch (the coordinator respects capacity)
    wait(timeout) -> list  outcomes that arrived (Outcome, or Crash for a dead worker)
    cancel(index)          stop a running branch now; it reports nothing afterwards
    close()                stop everything still running
    progressed             indexes of the running branches that checkpointed progress in their current run
    began                  (processes) index -> when each running branch really began: a fresh worker
                           first boots, and a branch sent ahead waits for the one before it; a branch
                           absent from it has not begun
    withdraw_not_begun(indexes) -> list
                           (processes) the batch completed: cancel those of the running `indexes` that
                           have not begun (queued on the bridge, or sent ahead to a busy worker) and
                           return them; they never run, and are not reported STARTED

Threads cannot be killed: a cancelled thread branch is orphaned, and its next checkpoint raises
`OrphanedChildException` so it unwinds without writing anything. Processes are killed and replaced;
so is a worker whose step overran its `StepConfig.timeout` (the branch then runs again on a fresh one).
"""

from __future__ import annotations

import contextvars
import dataclasses
import os
import queue
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from durable_mp.concurrency.branch import BranchSpec, Outcome, run_branch
from durable_mp.concurrency.forwarding import deliver, forwarding_for
from durable_mp.exceptions import OrphanedChildException
from durable_mp.state import ExecutionState

if TYPE_CHECKING:
    from durable_mp_workers import WorkerPool

DEFAULT_MAX_THREADS = 64


def track_progress(progressed: set[int], index: int, update: dict[str, Any]) -> None:
    """Note that branch `index` made durable progress in its current run (something ended or was scheduled)."""
    if update["Action"] != "START" or update["Type"] == "WAIT":
        progressed.add(index)


@dataclass(slots=True)
class Crash:
    """A worker process died while running branch `index`."""

    index: int
    exitcode: int | None
    signal_name: str | None


@dataclass(slots=True)
class Failure:
    """Branch code raised something that must end the whole invocation (re-raised by the coordinator)."""

    index: int
    error: BaseException


class InlineExecutor:
    """Runs each branch to its outcome in the coordinator's own thread, in start order."""

    def __init__(
        self, state: ExecutionState, make_func: Callable[[int], Callable[[Any], Any]], item_serdes: Any
    ) -> None:
        self.state, self.make_func, self.item_serdes = state, make_func, item_serdes
        self._todo: list[BranchSpec] = []
        self.progressed: set[int] = set()  # inline branches are never interrupted

    def capacity(self) -> int:
        return 1 if not self._todo else 0

    def start(self, spec: BranchSpec) -> None:
        self._todo.append(spec)

    def wait(self, timeout: float | None) -> list[Outcome | Crash | Failure]:
        out: list[Outcome | Crash | Failure] = []
        while self._todo:
            spec = self._todo.pop(0)
            out.append(run_branch(self.state, spec, self.make_func(spec.index), self.item_serdes))
        return out

    def cancel(self, index: int) -> None:
        self._todo = [s for s in self._todo if s.index != index]

    def close(self) -> None:
        self._todo.clear()


class _GuardedSink:
    """The parent's checkpointer as seen by one thread branch: closed once the branch is cancelled. With
    `waits` False, the branch waits for no acknowledgement but those its code must see (`required`)."""

    def __init__(self, inner: Any, op_id: str, index: int, progressed: set[int], waits: bool = True) -> None:
        self.inner, self.op_id, self.cancelled, self.waits = inner, op_id, False, waits
        self.index, self.progressed = index, progressed

    @property
    def revoked(self) -> bool:
        return bool(self.inner.revoked)

    def submit(self, update: dict[str, Any], *, sync: bool = False, required: bool = False) -> None:
        if self.cancelled:
            raise OrphanedChildException("branch cancelled: the batch already completed", self.op_id)
        track_progress(self.progressed, self.index, update)
        self.inner.submit(update, sync=sync and (self.waits or required), required=required)

    def submit_many(self, updates: list[dict[str, Any]]) -> None:
        for update in updates:
            self.submit(update)

    def flush(self) -> None:
        if not self.cancelled:
            self.inner.flush()

    @property
    def arm_step_deadline(self) -> Callable[[str, int, dict[str, Any]], None] | None:
        """The inner sink's (a worker's channel sink, for a thread branch inside a worker), if any."""
        return getattr(self.inner, "arm_step_deadline", None)


class ThreadExecutor:
    """Branches on daemon threads (bounded by the coordinator's max_concurrency).

    Threads are kept for the batch: one that ended its branch takes the next one started, so a batch of
    short branches does not start (and wait for) a thread per branch. It runs at most `thread_cap` threads
    (by default `max_threads`, its capacity: every branch started has a thread at once); a bridge with a
    lower cap queues the branches started beyond it, each thread taking the next as it ends one. A queued
    branch that is cancelled never begins; `stop_queued` atomically withdraws those that have not.
    """

    def __init__(
        self,
        state: ExecutionState,
        make_func: Callable[[int], Callable[[Any], Any]],
        item_serdes: Any,
        max_threads: int = DEFAULT_MAX_THREADS,
        *,
        waits: bool = True,
    ) -> None:
        self.state, self.make_func, self.item_serdes = state, make_func, item_serdes
        self.max_threads = max_threads
        self.waits = waits  # False: branches checkpoint as worker items do (see _GuardedSink)
        self._done: queue.SimpleQueue[Outcome | Crash | Failure] = queue.SimpleQueue()
        self._running: dict[int, _GuardedSink] = {}
        self.progressed: set[int] = set()
        self.on_outcome: Callable[[], None] | None = None  # told (from the branch's thread) of each outcome
        self.cpu = _Recent()  # CPU seconds the branches that ended used in their threads
        self.wall = _Recent()  # and the seconds they took: more than their CPU when they wait (for I/O)
        self._cpu_lock = threading.Lock()
        self.thread_cap = max_threads
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()  # the counts below, and whether a queued branch begins
        self._threads = 0
        self._idle = 0  # threads waiting for a branch
        self._queued = 0  # branches not taken by a thread yet
        self._began: dict[int, float] = {}  # index -> when a thread began it (monotonic)

    def capacity(self) -> int:
        return self.max_threads - len(self._running)

    def start(self, spec: BranchSpec) -> None:
        self.progressed.discard(spec.index)
        sink = _GuardedSink(self.state.checkpointer, spec.op_id, spec.index, self.progressed, self.waits)
        self._running[spec.index] = sink
        branch_state = dataclasses.replace(self.state, checkpointer=sink)
        # With plugins, each branch runs in a copy of the coordinator's contextvars (as in the official SDK),
        # so what a hook binds there (a span, an MDC key) is seen by the branch and does not leak between them.
        context = None if self.state.plugins is None else contextvars.copy_context()
        with self._lock:
            self._queued += 1
            spawn = self._queued > self._idle and self._threads < self.thread_cap
            if spawn:
                self._threads += 1
        self._jobs.put(_Job(context, branch_state, spec, sink))
        if spawn:
            threading.Thread(target=self._serve, name=f"durable-mp-branch-{spec.index}", daemon=True).start()

    def _serve(self) -> None:
        """A branch thread: run the branches handed to it, one after another, until the executor closes."""
        thread = threading.current_thread()
        while True:
            with self._lock:
                self._idle += 1
            job = self._jobs.get()
            with self._lock:
                self._idle -= 1
                if job is None:
                    return
                self._queued -= 1
                if job.sink.cancelled:  # cancelled or withdrawn before it began: it never runs
                    continue
                self._began[job.spec.index] = time.monotonic()
            thread.name = f"durable-mp-branch-{job.spec.index}"
            if job.context is None:
                self._run(job.state, job.spec)
            else:
                job.context.run(self._run, job.state, job.spec)

    def began_at(self, index: int) -> float | None:
        """When a thread began branch `index` (None: it waits in the queue, or never ran)."""
        return self._began.get(index)

    def stop_queued(self, indexes: list[int]) -> list[int]:
        """Of `indexes`, the branches no thread has begun: each is cancelled now, and never begins."""
        stopped = []
        with self._lock:
            for index in indexes:
                sink = self._running.get(index)
                if sink is not None and index not in self._began:
                    sink.cancelled = True
                    stopped.append(index)
        for index in stopped:
            self._running.pop(index, None)
        return stopped

    def _run(self, state: ExecutionState, spec: BranchSpec) -> None:
        cpu, wall = time.thread_time(), time.monotonic()
        try:
            result: Outcome | Failure = run_branch(state, spec, self.make_func(spec.index), self.item_serdes)
        except OrphanedChildException:
            return
        except BaseException as exc:  # noqa: BLE001 - handed to the coordinator, which re-raises it
            result = Failure(spec.index, exc)
        with self._cpu_lock:
            self.cpu.add(time.thread_time() - cpu)
            self.wall.add(time.monotonic() - wall)
        self._done.put(result)
        if self.on_outcome is not None:
            self.on_outcome()

    def wait(self, timeout: float | None) -> list[Outcome | Crash | Failure]:
        """The next outcome, alone: the coordinator records it and refills before taking another, as the
        official SDK does (so a failure that arrives with a success still lets the next item start)."""
        try:
            first = (
                self._done.get(timeout=timeout) if timeout is None or timeout > 0 else self._done.get_nowait()
            )
        except queue.Empty:
            return []
        self._running.pop(first.index, None)
        return [first]

    def running(self) -> int:
        return len(self._running)

    def take(self) -> list[Outcome | Crash | Failure]:
        """Every outcome that arrived, without waiting."""
        out = self.drain()
        for r in out:
            self._running.pop(r.index, None)
        return out

    def drain(self) -> list[Outcome | Crash | Failure]:
        """Outcomes that arrived but were not taken (the batch completed first): reported as they ended."""
        out: list[Outcome | Crash | Failure] = []
        while True:
            try:
                out.append(self._done.get_nowait())
            except queue.Empty:
                return out

    def cancel(self, index: int) -> None:
        sink = self._running.pop(index, None)
        if sink is not None:
            sink.cancelled = True

    def close(self) -> None:
        """Cancel what runs, and end the threads once their branches have (a cancelled one unwinds at its
        next checkpoint)."""
        for index in list(self._running):
            self.cancel(index)
        with self._lock:
            threads, self._threads = self._threads, 0
        for _ in range(threads):
            self._jobs.put(None)


@dataclass(slots=True)
class _Job:
    """A branch handed to the thread executor's threads."""

    context: contextvars.Context | None
    state: ExecutionState
    spec: BranchSpec
    sink: _GuardedSink


class ProcessExecutor:
    """Branches on the process-wide warm worker pool (`workers/`), checkpointing through the parent.

    The map's function and items (or the parallel's branch functions) are pickled once into a blob;
    a worker fetches it on its first task of the batch and caches it. Each task carries only its
    BranchSpec and the slice of replay state the branch needs.

    Boot bridge (`bridge`, given when the executor was chosen automatically): while workers are still
    booting (a cold start), items start on the bridge's threads in the parent instead of waiting for
    them: one per worker not yet ready until items have ended there. Items that use little CPU (under
    SMALL_ITEM_SECONDS each) and mostly wait (for checkpoints sent over the network) then run up to the
    thread executor's thread cap at once; short items that do not wait (an in-process service) run on
    as many threads as workers, each holding a few more (BRIDGE_PIPELINE) that it begins as it ends one:
    more threads would only take turns on the GIL, and each would have to be started. Once workers are
    ready every new item goes to them. What an item records is the same on either side, so the history
    is too.

    Small items travel in groups: once the items seen so far are short (under SMALL_ITEM_SECONDS on
    average), each worker is sent several at once (the pool's pipeline, up to MAX_PIPELINE, sized to hold
    about PIPELINE_SECONDS of work), so it starts the next as soon as one ends instead of waiting a round
    trip for the parent; their checkpoints come back tagged with their own task ids. Long items go one per
    worker, so that none waits behind another on a busy worker while a worker is free.
    """

    def __init__(
        self, state: ExecutionState, blob: bytes, worker_count: int, bridge: ThreadExecutor | None = None
    ) -> None:
        self.state = state
        self.blob = blob
        self.key = uuid.uuid4().hex
        self.pool, self._private = _lease_pool(worker_count)
        self.pool.hold_writes = True  # tasks started in a row go in one write per worker, at the next wait
        self._task_of: dict[int, int] = {}  # branch index -> task id
        self._index_of: dict[int, int] = {}  # task id -> branch index
        self._spec_of: dict[int, BranchSpec] = {}  # branch index -> spec of its current run
        # branch index -> {step id: (monotonic deadline, update to record)}: steps with a timeout running
        self._deadlines: dict[int, dict[str, tuple[float, dict[str, Any]]]] = {}
        self.progressed: set[int] = set()
        self.forwarding = forwarding_for(state)
        self._seconds = _Recent()  # how long the items that ended took, from when they began
        self.pool.pipeline = 1
        self._bridge = bridge
        self._booted = False  # a worker has booted during this batch: the bridge takes nothing more
        self._bridged: set[int] = set()  # the items started on the bridge that have not ended
        if bridge is not None:
            bridge.progressed = self.progressed
            bridge.on_outcome = self.pool.wakeup

    @property
    def began(self) -> dict[int, float]:
        """index -> when it began, for the running branches that have (see the module docstring)."""
        out = {}
        if self._bridge is not None:
            for index in self._bridged:
                when = self._bridge.began_at(index)
                if when is not None:
                    out[index] = when
        for index, task_id in self._task_of.items():
            when = self.pool.began(task_id)
            if when is not None:
                out[index] = when
        return out

    def capacity(self) -> int:
        if self._bridging():  # workers boot: booted ones take what they can, the bridge the rest
            return self.pool.ready_room() + self._bridge_room()
        return self.pool.idle_count()

    def _bridging(self) -> bool:
        """Whether items may start on the bridge: it exists and no worker has booted yet (once one has,
        the batch stops asking)."""
        if self._bridge is None or self._booted:
            return False
        self._booted = self.pool.ready_count() > 0
        return not self._booted

    def _bridge_room(self) -> int:
        """How many more items may start on the bridge now (see the class docstring)."""
        bridge = self._bridge
        assert bridge is not None
        cpu, wall = bridge.cpu.median, bridge.wall.median
        if cpu is None or wall is None or cpu >= SMALL_ITEM_SECONDS:
            bridge.thread_cap, limit = self.pool.size, self.pool.size
        elif wall > 2 * cpu + sys.getswitchinterval():  # they wait (not only for the GIL): overlap the waits
            bridge.thread_cap = limit = bridge.max_threads
        else:
            bridge.thread_cap, limit = self.pool.size, self.pool.size * BRIDGE_PIPELINE
        return max(0, limit - bridge.running())

    def withdraw_not_begun(self, indexes: set[int]) -> list[int]:
        """The batch completed: of the running `indexes`, those that have not begun (queued on the bridge,
        or sent ahead to a busy worker) count as never started; they are cancelled, and never run."""
        on_bridge = [i for i in indexes if i in self._bridged]
        stopped = self._bridge.stop_queued(on_bridge) if self._bridge is not None and on_bridge else []
        self._bridged.difference_update(stopped)
        held = [i for i in indexes if i in self._task_of and self.pool.began(self._task_of[i]) is None]
        return sorted([*stopped, *held])

    def _observe(self, seconds: float | None) -> None:
        """An item ended after `seconds`: fold that in, and size the pipeline for items like it."""
        if seconds is not None:
            self._size_pipeline(self._seconds.add(seconds))  # the median: a worker's first item of a batch
            # also fetches the batch and imports what it needs, which says nothing of the items

    def _size_pipeline(self, mean: float) -> None:
        """Size the pipeline for items that take `mean` seconds."""
        depth = 1 if mean >= SMALL_ITEM_SECONDS else int(PIPELINE_SECONDS / max(mean, 1e-6))
        self.pool.pipeline = max(1, min(MAX_PIPELINE, depth))

    def start(self, spec: BranchSpec) -> None:
        from durable_mp.concurrency.worker_entry import run_job

        if self._bridge is not None and self._bridging() and self.pool.ready_room() <= 0:
            self._bridged.add(spec.index)
            self._bridge.start(spec)
            return
        self.progressed.discard(spec.index)
        flat_parent = spec.batch_id if spec.flat else None
        ops = self.state.replay.subtree(spec.op_id, flat_parent) if spec.replaying else []
        task_id = self.pool.submit(
            run_job,
            self.key,
            spec,
            ops,
            self.state.execution_arn,
            self.state.log_during_replay,
        )
        self._task_of[spec.index] = task_id
        self._index_of[task_id] = spec.index
        self._spec_of[spec.index] = spec

    def wait(self, timeout: float | None) -> list[Outcome | Crash | Failure]:
        from durable_mp_workers.events import TaskCrashed, TaskDone, TaskFailed, TaskMessage

        out: list[Outcome | Crash | Failure] = []
        deadline = None if timeout is None else time.monotonic() + timeout
        if self._bridged and not self._task_of:  # only bridge items run: nothing to poll the pool for
            return self._from_bridge(self._bridge.wait(timeout) if self._bridge is not None else [])
        while not out:
            out.extend(self._from_bridge(self._bridge.take() if self._bridged and self._bridge else []))
            if out:
                break
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            step_deadline = self._next_step_deadline()
            if step_deadline is not None:  # wake up in time to stop an overrunning step
                until_step = max(0.0, step_deadline - time.monotonic())
                left = until_step if left is None else min(left, until_step)
            events = self.pool.poll(left)
            for ev in events:
                index = self._index_of.get(ev.task_id)
                if index is None:
                    continue
                if isinstance(ev, TaskMessage):
                    self._on_message(ev, index)
                    continue
                self._forget(ev.task_id)
                if isinstance(ev, TaskDone):
                    self._observe(ev.seconds)
                    updates, outcome = ev.result
                    self._submit(index, updates)
                    out.append(outcome)
                elif isinstance(ev, TaskFailed):
                    out.append(Failure(index, ev.exception))
                elif isinstance(ev, TaskCrashed):
                    out.append(Crash(index, ev.exitcode, ev.signal_name))
            self._time_out_steps()
            if deadline is not None and time.monotonic() >= deadline:
                break
        return out

    def _from_bridge(self, outcomes: list[Outcome | Crash | Failure]) -> list[Outcome | Crash | Failure]:
        for r in outcomes:
            self._bridged.discard(r.index)
        cpu = None if self._bridge is None else self._bridge.cpu.median
        if outcomes and cpu is not None and self._seconds.median is None:
            # until items have ended on workers, the CPU the bridged ones used tells how long they take
            self._size_pipeline(cpu)
        return outcomes

    def drain(self) -> list[Outcome | Crash | Failure]:
        """Bridge outcomes that arrived but were not taken (the batch completed first)."""
        return self._bridge.drain() if self._bridge is not None else []

    def _on_message(self, ev: Any, index: int) -> None:
        kind, body = ev.payload
        if kind == "ckpt":
            self._submit(index, body)
        elif kind == "step_deadline":
            step_id, seconds, on_timeout = body
            self._deadlines.setdefault(index, {})[step_id] = (time.monotonic() + seconds, on_timeout)
        elif kind == "ckpt_sync":
            track_progress(self.progressed, index, body)
            self._disarm(index, body)
            self.state.checkpointer.submit(body, sync=True, required=True)
            self.pool.reply(ev.task_id, self.state.replay.get(body["Id"]))
        elif kind == "blob":  # a worker's first task of this batch
            self.pool.reply(ev.task_id, (self.blob, self.forwarding, sys.path))
        elif kind == "propagate":
            plugins = self.state.plugins
            self.pool.reply(ev.task_id, None if plugins is None else plugins.propagation_metadata(body))
        else:
            raise RuntimeError(f"unknown message from branch {index}: {kind!r}")

    def _submit(self, index: int, entries: list[Any]) -> None:
        """A worker's buffer: checkpoint updates, with plugin hooks and log records between them."""
        if not entries:
            return
        if all(type(entry) is dict for entry in entries):
            self._submit_updates(index, entries)
        else:
            deliver(self.state, entries, lambda updates: self._submit_updates(index, updates))

    def _submit_updates(self, index: int, updates: list[dict[str, Any]]) -> None:
        for update in updates:
            track_progress(self.progressed, index, update)
            self._disarm(index, update)
        self.state.checkpointer.submit_many(updates)

    def _disarm(self, index: int, update: dict[str, Any]) -> None:
        armed = self._deadlines.get(index)
        if armed and update["Action"] != "START":
            armed.pop(update["Id"], None)

    def _next_step_deadline(self) -> float | None:
        times = [t for armed in self._deadlines.values() for t, _ in armed.values()]
        return min(times) if times else None

    def _time_out_steps(self) -> None:
        """Kill each worker whose running step passed its timeout; record the step's failed attempt (the
        update the worker prepared) and run the branch again on a fresh worker (it replays to the step)."""
        now = time.monotonic()
        for index, armed in list(self._deadlines.items()):
            expired = [update for t, update in armed.values() if t <= now]
            if not expired:
                continue
            spec = self._spec_of[index]
            self.cancel(index)  # SIGKILL: no message of the killed task is read after this
            self._submit(index, expired)
            self.state.checkpointer.flush()
            self.start(dataclasses.replace(spec, replaying=True))
            self.progressed.add(index)  # the recorded attempt is durable progress of this run

    def _forget(self, task_id: int) -> None:
        index = self._index_of.pop(task_id)
        self._task_of.pop(index, None)
        self._spec_of.pop(index, None)
        self._deadlines.pop(index, None)

    def cancel(self, index: int) -> None:
        if index in self._bridged and self._bridge is not None:
            self._bridged.discard(index)
            self._bridge.cancel(index)
            return
        task_id = self._task_of.get(index)
        if task_id is not None:
            self.pool.cancel(task_id)
            self._forget(task_id)

    def close(self) -> None:
        for index in list(self._task_of):
            self.cancel(index)
        if self._bridge is not None:
            self._bridged.clear()
            self._bridge.close()  # cancels what it runs, and ends its threads
        self.pool.hold_writes = False
        if self._private:
            self.pool.shutdown(wait=False)
        else:
            _shared_lease.release()


SMALL_ITEM_SECONDS = 0.005  # items shorter than this on average travel in groups (see ProcessExecutor)
BRIDGE_PIPELINE = 8  # short items that do not wait: how many each bridge thread may hold
PIPELINE_SECONDS = 0.01  # a group holds about this much work per worker
MAX_PIPELINE = 16


class _Recent:
    """The median of the last 15 values added (None before the first)."""

    __slots__ = ("median", "values")

    def __init__(self) -> None:
        self.values: list[float] = []
        self.median: float | None = None

    def add(self, value: float) -> float:
        values = self.values
        values.append(value)
        if len(values) > 15:
            del values[0]
        self.median = sorted(values)[len(values) // 2]
        return self.median


# A pool serves one coordinator at a time. The first batch to come gets the process-wide warm pool; a
# batch running at the same time (another execution served by the same process, or a map inside a
# thread branch) gets a private pool for its duration.
_shared_lease = threading.Lock()


def _lease_pool(size: int) -> tuple[WorkerPool, bool]:
    import durable_mp_workers as workers
    from durable_mp.concurrency import prestart

    workers.preload(prestart.WORKER_MODULE)  # fresh workers are ready before their task
    prestart.wait()  # a start under way on another thread hands its workers to the shared pool first

    if _shared_lease.acquire(blocking=False):
        try:
            return workers.shared_pool(size), False
        except BaseException:
            _shared_lease.release()
            raise
    return workers.WorkerPool(size), True


def resolve_executor(
    configured: str | None, state: ExecutionState, workers: int | str | None = None
) -> tuple[str, str]:
    """`(executor, reason)` for one map/parallel: see `durable_mp.concurrency.choice` for the rules."""
    from durable_mp.concurrency.choice import choose_executor

    choice, reason = choose_executor(configured, state.executor, workers)
    if choice not in ("processes", "threads", "inline"):
        raise ValueError(f"executor must be 'processes', 'threads' or 'inline', got {choice!r}")
    return choice, reason


def executor_was_chosen(configured: str | None, state: ExecutionState) -> bool:
    """True when the batch's executor was set (its config, the execution's, DURABLE_MP_EXECUTOR), not defaulted."""
    return bool(configured or state.executor or os.environ.get("DURABLE_MP_EXECUTOR"))
