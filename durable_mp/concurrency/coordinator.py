"""The coordinator: runs the branches of one map/parallel and decides when the batch is complete.

Data flow (one batch, parent process):

    run_batch ──specs in index order──▶ executor.start(spec) ──▶ inline | threads | worker processes
        ▲                                                              │ checkpoints go to the parent's
        │                                                              │ Checkpointer (via the pipe for
        └──────────── executor.wait() ◀── Outcome / Crash / Failure ◀──┘ workers), batched with the rest
              │
              ▼
        CompletionPolicy.record(i, ok) ──▶ complete? ──▶ cancel what still runs ──▶ BatchResult

Step by step:
1. Item ids are assigned here, in the parent: item i of batch M is H(f"{M}-{i}") (the official id scheme),
   so they are the same whatever executor runs the item.
2. Items start in index order while fewer than `max_concurrency` are in flight (a suspended item keeps
   its slot) and the executor has capacity. An item recorded as finished in an earlier invocation is
   resolved at once from its checkpoint, without running anything and without taking a slot.
   With an ItemBatcher the units started are batches (`BranchSpec.items`: one context, or one child
   execution on executor="invoke"); the policy and the BatchResult still count items, a batch's
   items being recorded in index order when it reports (`batching.item_results`).
3. Each outcome is fed to the CompletionPolicy. Once it says complete, items still running are stopped
   (worker processes are killed and replaced; threads are orphaned and cannot checkpoint) and reported
   STARTED; items never started are left out, and so are items sent ahead to a busy worker that had not
   begun them (they are cancelled: the worker skips them).
4. When every in-flight item is suspended (a wait, a retry, a callback) and no more can start, the
   batch suspends: the invocation returns PENDING and a later one resumes it.
5. A worker that dies mid-item: the item runs again on a fresh worker, replaying what it checkpointed
   (in the next invocation if a rerun as long as the longest item seen could not end before the yield point);
   after `max_crashes` deaths the item FAILS with WorkerCrashed. Other items are unaffected. Each death
   is recorded durably (an internal STEP "durable-mp:interrupted" under the item, failed with the
   reason), so the count survives invocations; so is each deadline kill of an item that made no
   progress although it started with a whole invocation's budget (a yield the SDK chose is not the
   item's fault), so that an item that can never fit in an invocation fails, saying how long it ran.
6. The TerminationManager: no item starts that could not finish before the yield point (judged by the
   longest item seen so far); at the yield point running items are stopped and the invocation yields
   (see durable_mp.termination).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from durable_mp.concurrency.batch import BatchItem, BatchResult
from durable_mp.concurrency.batching import ItemResult, all_succeeded, item_results
from durable_mp.concurrency.branch import (
    CRASH,
    DEADLINE,
    INTERRUPT_NAME,
    MAX_INTERRUPTS,
    MAX_YIELD_STOPS,
    SUSPENDED,
    YIELDED,
    BranchSpec,
    Outcome,
    interrupt_id,
    interruptions,
    recorded_outcome,
)
from durable_mp.concurrency.executors import Crash, Failure
from durable_mp.concurrency.policy import CompletionPolicy
from durable_mp.config import BatchItemStatus
from durable_mp.exceptions import (
    ErrorObject,
    StepInterruptedError,
    SuspendExecution,
    TimedSuspendExecution,
    WorkerCrashed,
    error_object_from_exception,
)
from durable_mp.serdes import deserialize
from durable_mp.state import ExecutionState
from durable_mp.termination import TerminationYield
from durable_mp.wire import FAIL, FAILED, START, STEP, SUCCEEDED, OpRef

DEFAULT_MAX_CRASHES = MAX_INTERRUPTS
logger = logging.getLogger("durable_mp")

ProgressHook = Callable[[dict[str, Any]], None]
_progress_hooks: list[ProgressHook] = []


def add_progress_hook(hook: ProgressHook) -> None:
    """Call `hook({"batch_id", "name", "started", "succeeded", "failed", "total", "executor", "workers",
    "reason", "time"})` as items progress (`executor`: processes, threads or inline; `workers`: the pool
    size, or the thread cap, or 1; `reason`: why the batch got that executor)."""
    _progress_hooks.append(hook)


def remove_progress_hook(hook: ProgressHook) -> None:
    if hook in _progress_hooks:
        _progress_hooks.remove(hook)


def run_batch(
    state: ExecutionState,
    specs: list[BranchSpec],
    policy: CompletionPolicy,
    executor: Any,
    max_concurrency: int | None,
    item_serdes: Any,
    *,
    name: str | None = None,
    max_crashes: int = DEFAULT_MAX_CRASHES,
    reason: str = "",
) -> BatchResult[Any]:
    """Run the units `specs` on `executor` until `policy` says the batch is complete (see the module
    docstring). `reason`: why the batch got this executor (logged, and given to progress hooks)."""
    n = len(specs)
    limit = max_concurrency or n
    outcomes: dict[int, ItemResult] = {}
    in_flight: set[int] = set()
    suspended: dict[int, float | None] = {}
    waiting_on: dict[int, str] = {}
    started_at: dict[int, float] = {}
    next_i = 0
    held_back: set[int] = set()  # crashed items whose rerun could not end before the yield point
    termination = state.termination
    label = _executor_label(executor)
    progress = _Progress(specs[0].batch_id if specs else "", name, policy.total, label, reason)
    logger.info(
        "batch %s: %d items on %s x%d (%s)", name or "map", policy.total, label[0], label[1], reason or "-"
    )

    deferred: dict[int, Outcome] = {}  # batches that all succeeded: their envelopes are read at the end

    def finish(outcome: Outcome) -> None:
        spec = specs[outcome.index]
        if all_succeeded(spec, outcome) and policy.record_all_succeeded(spec.items):  # type: ignore[arg-type]
            deferred[outcome.index] = outcome  # O(1) now, whatever the batch size: replays stay cheap
            progress.finished_many(len(spec.items), len(spec.items))  # type: ignore[arg-type]
            return
        results = item_results(spec, outcome)  # a batch reports its items in order
        for r in results:
            outcomes[r[0]] = r
        policy.record_many([(r[0], r[1] == SUCCEEDED) for r in results])
        progress.finished_many(sum(1 for r in results if r[1] == SUCCEEDED), len(results))

    try:
        while policy.check() is None:
            out_of_time = False
            while next_i < n:
                spec = specs[next_i]
                done = recorded_outcome(state, spec)  # a unit that already finished needs no slot
                if done is None and (len(in_flight) + len(suspended) >= limit or executor.capacity() <= 0):
                    break
                if done is None and termination is not None and not termination.can_start():
                    out_of_time = True  # let what runs finish until the yield point; start nothing more
                    break
                next_i += 1
                policy.mark_started_many(unit_items(spec))
                progress.started(len(unit_items(spec)))
                if done is not None:
                    finish(done)
                    if policy.check() is not None:
                        break
                    continue
                executor.start(spec)
                started_at[spec.index] = time.monotonic()
                in_flight.add(spec.index)
            if policy.check() is not None:
                break
            if not in_flight:
                if out_of_time or held_back:
                    termination.begin_yield()
                    raise TerminationYield()
                ready = _unblocked(state, waiting_on)
                if ready:  # what a suspended item waited for completed during this invocation (cancel_wait)
                    for i in ready:
                        del suspended[i], waiting_on[i]
                        executor.start(dataclasses.replace(specs[i], replaying=True))
                        in_flight.add(i)
                    continue
                if suspended:
                    _suspend(suspended)
                break
            timeout = None if termination is None else max(0.0, termination.seconds_left())
            results = executor.wait(None if timeout == float("inf") else timeout)
            if termination is not None and termination.should_yield():
                raise TerminationYield()
            for r in results:
                in_flight.discard(r.index)
                if termination is not None and r.index in started_at:
                    termination.observe(time.monotonic() - started_at.pop(r.index))
                if isinstance(r, Failure):
                    raise r.error
                if isinstance(r, Crash):
                    spec = specs[r.index]
                    error = _interrupt(state, spec, CRASH, partial(_crash_error, spec, r), max_crashes)
                    if error is not None:
                        finish(_give_up(state, spec, error))
                    elif termination is not None and not termination.can_start():
                        held_back.add(r.index)  # reran by the next invocation, which replays the batch
                    else:
                        state.checkpointer.flush()  # the rerun must see what the dead worker checkpointed
                        executor.start(dataclasses.replace(spec, replaying=True))
                        started_at[r.index] = time.monotonic()
                        in_flight.add(r.index)
                elif r.status == SUSPENDED:
                    suspended[r.index] = r.resume_at
                    if r.waiting_on is not None:
                        waiting_on[r.index] = r.waiting_on
                else:
                    finish(r)
        _withdraw_not_begun(executor, specs, policy, in_flight)
    except TerminationYield:
        began = getattr(executor, "began", started_at)
        _count_deadline_stops(state, specs, in_flight, began, executor.progressed, max_crashes)
        raise
    finally:
        _record_raced(executor, specs, outcomes)
        executor.close()
    for index, outcome in deferred.items():
        for r in item_results(specs[index], outcome):
            outcomes[r[0]] = r
    return _result(state, policy, outcomes, specs, item_serdes)


def _withdraw_not_begun(
    executor: Any, specs: list[BranchSpec], policy: CompletionPolicy, in_flight: set[int]
) -> None:
    """The batch completed: units that had not begun (queued on a process executor's bridge, or sent
    ahead to a busy worker) count as never started (they are cancelled with the rest, and never run)."""
    withdraw = getattr(executor, "withdraw_not_begun", None)
    if withdraw is None or policy.check() is None:
        return
    for i in withdraw(in_flight):
        policy.withdraw(unit_items(specs[i]))


def unit_items(spec: BranchSpec) -> range:
    """The map items a unit stands for: its own index, or a batch's items."""
    return spec.items if spec.items is not None else range(spec.index, spec.index + 1)


def _count_deadline_stops(
    state: ExecutionState,
    specs: list[BranchSpec],
    in_flight: set[int],
    started_at: dict[int, float],
    progressed: set[int],
    limit: int,
) -> None:
    """Items stopped at the yield point without progress. One that began with a whole invocation's budget
    is to blame: after `limit` such stops it fails with how long it ran and what an invocation allows. One
    that began late is not (a yield the SDK chose is not the item's fault); its stops are only counted so
    that an item that never gets to begin early still ends, after MAX_YIELD_STOPS of them."""
    termination = state.termination
    now = time.monotonic()
    for i in sorted(in_flight):
        started = started_at.get(i)
        if i in progressed or started is None:
            continue
        spec, ran = specs[i], now - started
        if not termination.started_with_full_budget(started):
            late = started - termination.started

            def not_blamed(n: int, s: BranchSpec = spec, late: float = late) -> StepInterruptedError:
                return StepInterruptedError(
                    f"item {s.index} ({s.name or s.op_id}) was stopped at the invocation deadline {n} times "
                    f"without checkpointing any progress, each time having begun late (the last time "
                    f"{late:.2f} s into the invocation, e.g. while its worker process started): it never "
                    f"got a whole invocation of {termination.budget:.2f} s"
                )

            given_up = _interrupt(state, spec, YIELDED, not_blamed, MAX_YIELD_STOPS, sync=False)
            if given_up is not None:
                _give_up(state, spec, given_up)
            continue

        def error(n: int, s: BranchSpec = spec, ran: float = ran) -> StepInterruptedError:
            return StepInterruptedError(
                f"item {s.index} ({s.name or s.op_id}) cannot fit in one invocation: it was stopped at the "
                f"invocation deadline {n} times without checkpointing any progress, the last time after "
                f"running {ran:.2f} s from the start of the invocation, so it needs more than {ran:.2f} s; "
                f"an invocation allows {termination.budget:.2f} s ({termination.total:.2f} s less a "
                f"{termination.margin:.2f} s yield margin). Each step of an item must fit in one invocation"
            )

        given_up = _interrupt(state, spec, DEADLINE, error, limit)
        if given_up is not None:
            _give_up(state, spec, given_up)


def _record_raced(executor: Any, specs: list[BranchSpec], outcomes: dict[int, ItemResult]) -> None:
    """Outcomes that ended before the batch completed but were not yet taken keep their true status
    (per item: a batch unit reports each of its items)."""
    drain = getattr(executor, "drain", None)
    if drain is None:
        return
    for r in drain():
        if isinstance(r, Outcome) and r.status in (SUCCEEDED, FAILED):
            for item in item_results(specs[r.index], r):
                outcomes.setdefault(item[0], item)


def _unblocked(state: ExecutionState, waiting_on: dict[int, str]) -> list[int]:
    """Suspended items whose awaited operation has ended since they suspended (rare: e.g. cancel_wait)."""
    ready = []
    for i, op_id in waiting_on.items():
        op = state.replay.get(op_id)
        if op is not None and op.is_terminal:
            ready.append(i)
    return ready


def _suspend(suspended: dict[int, float | None]) -> None:
    times = [t for t in suspended.values() if t is not None]
    if len(times) == len(suspended):
        raise TimedSuspendExecution("every running item of the batch is suspended", min(times))
    raise SuspendExecution("every running item of the batch is suspended")


def _crash_error(spec: BranchSpec, crash: Crash, count: int) -> WorkerCrashed:
    signal = crash.signal_name or f"exit code {crash.exitcode}"
    return WorkerCrashed(
        f"the worker process running item {spec.index} ({spec.name or spec.op_id}) died {count} times "
        f"(last: {signal})",
        index=spec.index,
        signal_name=crash.signal_name,
        exitcode=crash.exitcode,
    )


def _interrupt(
    state: ExecutionState,
    spec: BranchSpec,
    kind: str,
    error: Callable[[int], Exception],
    limit: int,
    *,
    sync: bool = True,
) -> dict[str, Any] | None:
    """Record the n-th interruption of `kind` of a branch durably (an internal STEP, started and failed
    with the reason), so that counting survives invocations. Return the error object once `limit` is reached.
    sync=False: queue the record for the invocation's final flush (at the yield, where time is short)."""
    if sync:
        state.checkpointer.flush()
    n = interruptions(state, spec.op_id, kind) + 1
    parent = spec.batch_id if spec.flat else spec.op_id
    if not spec.flat and state.replay.get(spec.op_id) is None:  # its START died with the worker
        state.checkpointer.submit(spec.ref.update(START))
    ref = OpRef(interrupt_id(spec.op_id, kind, n), STEP, "Step", INTERRUPT_NAME, parent)
    error_object = error_object_from_exception(error(n))
    state.checkpointer.submit(ref.update(START))
    state.checkpointer.submit(ref.update(FAIL, error=error_object), sync=sync or n >= limit)
    return error_object if n >= limit else None


def _give_up(state: ExecutionState, spec: BranchSpec, error_object: dict[str, Any]) -> Outcome:
    if not spec.flat:
        state.checkpointer.submit(spec.ref.update(FAIL, error=error_object), sync=True)
    return Outcome(spec.index, FAILED, error=error_object)


def _result(
    state: ExecutionState,
    policy: CompletionPolicy,
    outcomes: dict[int, ItemResult],
    specs: list[BranchSpec],
    item_serdes: Any,
) -> BatchResult[Any]:
    items: list[BatchItem[Any]] = []
    arn = state.execution_arn
    for spec in specs:
        for i in unit_items(spec):
            status = policy.status_of(i)
            if status is None:
                continue
            o = outcomes.get(i)
            if o is None:
                items.append(BatchItem(i, BatchItemStatus.STARTED))
            elif o[1] == SUCCEEDED:
                value = None if o[2] is None else deserialize(item_serdes, o[2], spec.op_id, arn)
                items.append(BatchItem(i, BatchItemStatus.SUCCEEDED, value))
            else:
                error = ErrorObject.from_dict(o[2]) if o[2] else None
                items.append(BatchItem(i, BatchItemStatus.FAILED, None, error))
    reason = policy.completion_reason
    assert reason is not None
    return BatchResult(items, reason)


def _executor_label(executor: Any) -> tuple[str, int]:
    """(kind, workers) of an executor for progress hooks: processes and the pool size, threads, inline."""
    pool = getattr(executor, "pool", None)
    if pool is not None:
        return "processes", int(pool.size)
    threads = getattr(executor, "max_threads", None)
    if threads is not None:
        return "threads", int(threads)
    return "inline", 1


class _Progress:
    __slots__ = (
        "batch_id",
        "executor",
        "failed",
        "n_started",
        "name",
        "reason",
        "succeeded",
        "total",
        "workers",
    )

    def __init__(
        self, batch_id: str, name: str | None, total: int, label: tuple[str, int], reason: str
    ) -> None:
        self.batch_id, self.name, self.total, self.reason = batch_id, name, total, reason
        self.executor, self.workers = label
        self.n_started = self.succeeded = self.failed = 0

    def started(self, count: int = 1) -> None:
        self.n_started += count
        self._emit()

    def finished_many(self, succeeded: int, count: int) -> None:
        self.succeeded += succeeded
        self.failed += count - succeeded
        self._emit()

    def _emit(self) -> None:
        if not _progress_hooks:
            return
        event = {
            "batch_id": self.batch_id,
            "name": self.name,
            "started": self.n_started,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "total": self.total,
            "executor": self.executor,
            "workers": self.workers,
            "reason": self.reason,
            "time": time.time(),
        }
        for hook in _progress_hooks:
            hook(event)
