"""One map item or parallel branch: the CONTEXT protocol around the user's function.

`run_branch` is the same code whichever executor runs it (inline, a thread, or a worker process); it
returns an `Outcome` (small and picklable: the result travels already serialized with the item serdes).
NESTED branches checkpoint a CONTEXT (MapIteration / ParallelBranch) of their own; FLAT branches write
none and their operations point at the batch as ParentId, with the same ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from durable_mp import ids
from durable_mp.exceptions import (
    ExecutionError,
    InvocationError,
    NonDeterministicExecutionError,
    SuspendExecution,
    TimedSuspendExecution,
    error_object_from_exception,
)
from durable_mp.plugins.calls import call_user_function, context_ended, operation_replayed
from durable_mp.serdes import serialize
from durable_mp.state import ExecutionState
from durable_mp.state.checkpoint import TokenRevoked
from durable_mp.termination import TerminationYield
from durable_mp.wire import (
    CHAINED_INVOKE,
    CONTEXT,
    FAIL,
    FAILED,
    MAX_PAYLOAD_BYTES,
    START,
    SUCCEED,
    SUCCEEDED,
    OpRef,
)

SUSPENDED = "SUSPENDED"
MAX_INTERRUPTS = (
    3  # a branch fails after this many worker deaths, or this many deadline kills without progress
)
INTERRUPT_NAME = "durable-mp:interrupted"


CRASH = "crash"  # the worker running the branch died
DEADLINE = "deadline"  # stopped at the yield point without progress, although it had a whole invocation
YIELDED = "yielded"  # stopped at the yield point without progress, having begun late (not its fault)
MAX_YIELD_STOPS = 2 * MAX_INTERRUPTS  # ... but an item that never gets to begin early must end too
LIMITS = {CRASH: MAX_INTERRUPTS, DEADLINE: MAX_INTERRUPTS, YIELDED: MAX_YIELD_STOPS}


def interrupt_id(op_id: str, kind: str, n: int) -> str:
    """Id of the record of the n-th interruption of `kind` of branch `op_id`: H(f"{op_id}-{kind}-{n}"),
    a string the operation-id formulas never hash (they append integers only), so it cannot collide."""
    return ids.hash_id(f"{op_id}-{kind}-{n}")


def interruptions(state: ExecutionState, op_id: str, kind: str) -> int:
    """How many interruptions of `kind` of branch `op_id` are recorded, in this or earlier invocations."""
    n = 0
    while state.replay.get(interrupt_id(op_id, kind, n + 1)) is not None:
        n += 1
    return n


@dataclass(slots=True)
class BranchSpec:
    index: int
    op_id: str
    name: str | None
    sub_type: str  # MapIteration | ParallelBranch
    batch_id: str
    flat: bool
    replaying: bool
    items: range | None = None  # a batch (ItemBatcher): the indexes of the map items it runs
    op_type: str = CONTEXT  # CHAINED_INVOKE for a batch sent to a child execution (executor="invoke")

    @property
    def ref(self) -> OpRef:
        return OpRef(self.op_id, self.op_type, self.sub_type, self.name, self.batch_id)


@dataclass(slots=True)
class Outcome:
    index: int
    status: str  # SUCCEEDED | FAILED | SUSPENDED
    payload: str | None = None
    error: dict[str, Any] | None = None
    resume_at: float | None = None  # epoch seconds, for a timed suspension
    waiting_on: str | None = None  # the operation whose completion would let a suspended branch go on


def recorded_outcome(state: ExecutionState, spec: BranchSpec) -> Outcome | None:
    """The outcome of a branch that already finished in an earlier invocation, without running it."""
    if spec.replaying:  # interruptions recorded in an earlier invocation (this one's are handled live)
        for kind, limit in LIMITS.items():
            given_up = state.replay.get(interrupt_id(spec.op_id, kind, limit))
            if given_up is not None:
                return Outcome(spec.index, FAILED, error=given_up.error)
    if spec.flat:
        return None
    op = state.replay.get(spec.op_id)
    if op is None:
        return None
    diff = spec.ref.mismatch(op)
    if diff is not None:
        raise NonDeterministicExecutionError(
            f"Non-deterministic operation identity at id={spec.op_id!r}: {diff}", step_id=spec.op_id
        )
    if op.status == SUCCEEDED and not op.replay_children:
        return Outcome(spec.index, SUCCEEDED, payload=op.result)
    if op.status == FAILED or (op.type == CHAINED_INVOKE and op.is_terminal):  # TIMED_OUT, STOPPED too
        return Outcome(spec.index, FAILED, error=op.error or {"ErrorMessage": f"child execution {op.status}"})
    return None


def run_branch(
    state: ExecutionState, spec: BranchSpec, func: Callable[[Any], Any], item_serdes: Any
) -> Outcome:
    """Run (or replay) one branch to an outcome. Invocation-ending signals propagate."""
    from durable_mp.context import DurableContext

    done = recorded_outcome(state, spec)
    if done is not None:
        return done
    ref = spec.ref
    op = None if spec.flat else state.replay.get(spec.op_id)
    if not spec.flat and op is None:
        state.checkpointer.submit(ref.update(START))
    elif op is not None:
        operation_replayed(state, op)  # a branch resumed: its replay start hook, as for any operation
    ctx = DurableContext(
        state,
        parent_id=spec.batch_id if spec.flat else spec.op_id,
        prefix=spec.op_id,
        replaying=spec.replaying,
    )
    try:
        raw = call_user_function(
            state, ref, func, ctx, is_replay_children=op is not None and op.replay_children
        )
        payload = serialize(item_serdes, raw, spec.op_id, state.execution_arn)
    except (TerminationYield, TokenRevoked, ExecutionError):
        raise
    except SuspendExecution as exc:
        resume_at = exc.scheduled_timestamp if isinstance(exc, TimedSuspendExecution) else None
        return Outcome(
            spec.index, SUSPENDED, resume_at=resume_at, waiting_on=getattr(exc, "operation_id", None)
        )
    except Exception as exc:
        if isinstance(exc, InvocationError) and exc.retriable:
            raise
        error = error_object_from_exception(exc)
        if spec.flat:
            context_ended(state, ref, error)
        else:
            state.checkpointer.submit(ref.update(FAIL, error=error), sync=True)
        return Outcome(spec.index, FAILED, error=error)
    if spec.flat or (op is not None and op.replay_children):
        context_ended(state, ref, is_replayed=not spec.flat)
    else:
        big = payload is not None and len(payload) > MAX_PAYLOAD_BYTES
        state.checkpointer.submit(
            ref.update(SUCCEED, payload="" if big else payload, ContextOptions={"ReplayChildren": big}),
            sync=True,
        )
    return Outcome(spec.index, SUCCEEDED, payload=payload)


@dataclass
class MapWork:
    """What every map item runs: `func(ctx, items[i], i, items)`. Pickled once per batch for workers."""

    func: Callable[..., Any]
    items: Any
    item_serdes: Any = None

    def func_for(self, index: int) -> Callable[[Any], Any]:
        func, items = self.func, self.items
        item = items[index]
        return lambda ctx: func(ctx, item, index, items)


@dataclass
class ParallelWork:
    """What every parallel branch runs: `functions[i](ctx)`."""

    functions: list[Callable[[Any], Any]]
    item_serdes: Any = None

    def func_for(self, index: int) -> Callable[[Any], Any]:
        return self.functions[index]
