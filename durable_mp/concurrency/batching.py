"""Item batching: several map items in one durable child context (one operation, one executor task).

A batch b of map M is a CONTEXT (MapIteration, named "map-batch-{b}") with id H(f"{M}-{b}"), whatever
the map's nesting type. Inside it each item i (its index in the whole map) runs as a FLAT item of the
batch: no operation of its own, its operations numbered in the virtual context H(f"{B}-{i}"), that is
H(f"{H(f'{B}-{i}')}-{n}") for its n-th operation, all with ParentId B. The batch context itself
allocates nothing, so these ids cannot collide, and they are the same on every run.

The batch's SUCCEED payload is the envelope, a JSON list with one entry per item in index order:
`["S", <result serialized with the item serdes>]` or `["F", <ErrorObject>]`. An item's failure is
recorded there; the batch context still succeeds. A batch interrupted (worker crash, deadline,
suspension inside an item) runs again as a whole: the items re-run, replaying the operations they
checkpointed (at least once per batch). A whole-batch failure (e.g. the worker died too often) fails
each of its items with that error. Over 256 KB the envelope is replaced by an empty summary with
ReplayChildren, and the batch re-runs over its checkpoints on replay.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from durable_mp import ids
from durable_mp.exceptions import (
    ExecutionError,
    InvocationError,
    SuspendExecution,
    error_object_from_exception,
)
from durable_mp.serdes import JsonSerDes, serialize
from durable_mp.state.checkpoint import TokenRevoked
from durable_mp.termination import TerminationYield
from durable_mp.wire import FAILED, SUCCEEDED

if TYPE_CHECKING:
    from durable_mp.concurrency.branch import BranchSpec, Outcome
    from durable_mp.context import DurableContext

ENVELOPE_SERDES: JsonSerDes[Any] = JsonSerDes()
OK, FAIL = "S", "F"


def batch_name(b: int) -> str:
    return f"map-batch-{b}"


def run_items(
    func: Callable[..., Any], items: Sequence[Any], group: range, value_serdes: Any, ctx: DurableContext
) -> list[list[Any]]:
    """Run the items of one batch in index order inside the batch context `ctx`; return the envelope."""
    batch_id = ctx._prefix
    assert batch_id is not None
    arn = ctx.state.execution_arn
    entries: list[list[Any]] = []
    for i in group:
        item_ctx = ctx._child(ids.item_id(batch_id, i), parent_id=batch_id)
        try:
            raw = func(item_ctx, items[i], i, items)
            entries.append([OK, serialize(value_serdes, raw, item_ctx._prefix or batch_id, arn)])
        except (TerminationYield, TokenRevoked, ExecutionError, SuspendExecution):
            raise
        except Exception as exc:
            if isinstance(exc, InvocationError) and exc.retriable:
                raise
            entries.append([FAIL, error_object_from_exception(exc)])
    return entries


@dataclass
class BatchedMapWork:
    """What every batch of a batched map runs (pickled once per map for workers)."""

    func: Callable[..., Any]
    items: Sequence[Any]
    groups: list[range]
    value_serdes: Any = None
    item_serdes: Any = ENVELOPE_SERDES  # what run_branch serializes a batch's result with

    def func_for(self, b: int) -> Callable[[Any], Any]:
        return functools.partial(run_items, self.func, self.items, self.groups[b], self.value_serdes)


ItemResult = tuple[int, str, Any]  # (item index, SUCCEEDED | FAILED, payload | error object)


def all_succeeded(spec: BranchSpec, outcome: Outcome) -> bool:
    """Whether a batch's envelope holds successes only, without parsing it: the marker '"F"' cannot
    occur inside the escaped result strings, only as the tag of a failed entry."""
    return spec.items is not None and outcome.status == SUCCEEDED and '"F"' not in (outcome.payload or "")


def item_results(spec: BranchSpec, outcome: Outcome) -> list[ItemResult]:
    """The per-item results of a unit's outcome: itself for an item, the envelope's entries for a batch."""
    if spec.items is None:
        body = outcome.payload if outcome.status == SUCCEEDED else outcome.error
        return [(outcome.index, outcome.status, body)]
    if outcome.status == FAILED:
        return [(i, FAILED, outcome.error) for i in spec.items]
    entries = json.loads(outcome.payload or "[]")
    if len(entries) != len(spec.items):
        raise ExecutionError(
            f"batch {spec.index} ({spec.op_id}) recorded {len(entries)} item results for "
            f"{len(spec.items)} items: the items or the ItemBatcher changed since it ran"
        )
    return [(i, SUCCEEDED if e[0] == OK else FAILED, e[1]) for i, e in zip(spec.items, entries, strict=True)]
