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
1. Item ids are assigned here, in the parent: item i of batch M is H(f"{M}-{i}") (FACTS.md section 3),
   so they are the same whatever executor runs the item.
2. Items start in index order while fewer than `max_concurrency` are in flight (a suspended item keeps
   its slot) and the executor has capacity. An item recorded as finished in an earlier invocation is
   resolved at once from its checkpoint, without running anything.
3. Each outcome is fed to the CompletionPolicy. Once it says complete, items still running are stopped
   (worker processes are killed and replaced; threads are orphaned and cannot checkpoint) and reported
   STARTED; items never started are left out.
4. When every in-flight item is suspended (a wait, a retry, a callback) and no more can start, the
   batch suspends: the invocation returns PENDING and a later one resumes it.
5. A worker that dies mid-item: the item runs again on a fresh worker, replaying what it checkpointed;
   after `max_crashes` deaths the item FAILS with WorkerCrashed. Other items are unaffected. Each death
   is recorded durably (an internal STEP "durable-mp:interrupted" under the item, failed with the
   reason), so the count survives invocations; so is each deadline kill of an item that made no
   progress, so that an item that can never fit in an invocation fails instead of looping forever.
6. The TerminationManager: no item starts that could not finish before the yield point (judged by the
   longest item seen so far); at the yield point running items are stopped and the invocation yields
   (see durable_mp.termination).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

from durable_mp.concurrency.batch import BatchItem, BatchResult
from durable_mp.concurrency.branch import (
    CRASH,
    DEADLINE,
    INTERRUPT_NAME,
    MAX_INTERRUPTS,
    SUSPENDED,
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

ProgressHook = Callable[[dict[str, Any]], None]
_progress_hooks: list[ProgressHook] = []


def add_progress_hook(hook: ProgressHook) -> None:
    """Call `hook({"batch_id", "name", "started", "succeeded", "failed", "total"})` as items progress."""
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
) -> BatchResult[Any]:
    n = len(specs)
    limit = max_concurrency or n
    outcomes: dict[int, Outcome] = {}
    in_flight: set[int] = set()
    suspended: dict[int, float | None] = {}
    waiting_on: dict[int, str] = {}
    started_at: dict[int, float] = {}
    next_i = 0
    termination = state.termination
    progress = _Progress(specs[0].batch_id if specs else "", name, n)

    def finish(outcome: Outcome) -> None:
        outcomes[outcome.index] = outcome
        policy.record(outcome.index, outcome.status == SUCCEEDED)
        progress.finished(outcome.status == SUCCEEDED)

    try:
        while policy.check() is None:
            out_of_time = False
            while next_i < n and len(in_flight) + len(suspended) < limit:
                spec = specs[next_i]
                done = recorded_outcome(state, spec)
                if done is None and executor.capacity() <= 0:
                    break
                if done is None and termination is not None and not termination.can_start():
                    out_of_time = True  # let what runs finish until the yield point; start nothing more
                    break
                next_i += 1
                policy.mark_started(spec.index)
                progress.started()
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
                if out_of_time:
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
                    error = _interrupt(
                        state, spec, CRASH, lambda n, s=spec, c=r: _crash_error(s, c, n), max_crashes
                    )
                    if error is not None:
                        finish(_give_up(state, spec, error))
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
    except TerminationYield:
        for i in in_flight:  # killed at the yield: a run that made no progress counts as an interruption
            if i in executor.progressed:
                continue
            spec = specs[i]
            error = _interrupt(
                state,
                spec,
                DEADLINE,
                lambda n, s=spec: StepInterruptedError(
                    f"item {s.index} ({s.name or s.op_id}) was stopped at the invocation deadline {n} times without "
                    f"checkpointing any progress: each step must fit in one invocation, less its safety margin"
                ),
                max_crashes,
            )
            if error is not None:
                _give_up(state, spec, error)
        raise
    finally:
        _record_raced(executor, outcomes)
        executor.close()
    return _result(state, policy, outcomes, specs, item_serdes)


def _record_raced(executor: Any, outcomes: dict[int, Outcome]) -> None:
    """Outcomes that ended before the batch completed but were not yet taken keep their true status."""
    drain = getattr(executor, "drain", None)
    if drain is None:
        return
    for r in drain():
        if isinstance(r, Outcome) and r.status in (SUCCEEDED, FAILED) and r.index not in outcomes:
            outcomes[r.index] = r


def _unblocked(state: ExecutionState, waiting_on: dict[int, str]) -> list[int]:
    """Suspended items whose awaited operation has ended since they suspended (rare: e.g. cancel_wait)."""
    ready = []
    for i, op_id in waiting_on.items():
        op = state.replay.get(op_id)
        if op is not None and op.is_terminal:
            ready.append(i)
    return ready


def _suspend(suspended: dict[int, float | None]) -> None:
    times = list(suspended.values())
    if all(t is not None for t in times):
        raise TimedSuspendExecution("every running item of the batch is suspended", min(times))  # type: ignore[type-var]
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
    state: ExecutionState, spec: BranchSpec, kind: str, error: Callable[[int], Exception], limit: int
) -> dict[str, Any] | None:
    """Record the n-th interruption of `kind` of a branch durably (an internal STEP, started and failed
    with the reason), so that counting survives invocations. Return the error object once `limit` is reached."""
    state.checkpointer.flush()
    n = interruptions(state, spec.op_id, kind) + 1
    parent = spec.batch_id if spec.flat else spec.op_id
    if not spec.flat and state.replay.get(spec.op_id) is None:  # its START died with the worker
        state.checkpointer.submit(spec.ref.update(START))
    ref = OpRef(interrupt_id(spec.op_id, kind, n), STEP, "Step", INTERRUPT_NAME, parent)
    error_object = error_object_from_exception(error(n))
    state.checkpointer.submit(ref.update(START))
    state.checkpointer.submit(ref.update(FAIL, error=error_object), sync=True)
    return error_object if n >= limit else None


def _give_up(state: ExecutionState, spec: BranchSpec, error_object: dict[str, Any]) -> Outcome:
    if not spec.flat:
        state.checkpointer.submit(spec.ref.update(FAIL, error=error_object), sync=True)
    return Outcome(spec.index, FAILED, error=error_object)


def _result(
    state: ExecutionState,
    policy: CompletionPolicy,
    outcomes: dict[int, Outcome],
    specs: list[BranchSpec],
    item_serdes: Any,
) -> BatchResult[Any]:
    items: list[BatchItem[Any]] = []
    arn = state.execution_arn
    for i in range(len(specs)):
        status = policy.status_of(i)
        if status is None:
            continue
        o = outcomes.get(i)
        if o is None:
            items.append(BatchItem(i, BatchItemStatus.STARTED))
        elif o.status == SUCCEEDED:
            value = None if o.payload is None else deserialize(item_serdes, o.payload, specs[i].op_id, arn)
            items.append(BatchItem(i, BatchItemStatus.SUCCEEDED, value))
        else:
            items.append(
                BatchItem(
                    i, BatchItemStatus.FAILED, None, ErrorObject.from_dict(o.error) if o.error else None
                )
            )
    reason = policy.completion_reason
    assert reason is not None
    return BatchResult(items, reason)


class _Progress:
    __slots__ = ("batch_id", "failed", "n_started", "name", "succeeded", "total")

    def __init__(self, batch_id: str, name: str | None, total: int) -> None:
        self.batch_id, self.name, self.total = batch_id, name, total
        self.n_started = self.succeeded = self.failed = 0

    def started(self) -> None:
        self.n_started += 1
        self._emit()

    def finished(self, ok: bool) -> None:
        if ok:
            self.succeeded += 1
        else:
            self.failed += 1
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
            "time": time.time(),
        }
        for hook in _progress_hooks:
            hook(event)
