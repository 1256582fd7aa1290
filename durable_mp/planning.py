"""Plan before spending: the operations and bytes a map needs, against what an execution may hold.

The service caps one durable execution at 3,000 operations (operation ids in its state) and 100 MB of
payload written; neither can be raised. A map or parallel that cannot fit is refused here, before its
CONTEXT is checkpointed, with an `OperationBudgetError` that gives the numbers and the remedies. The
same arithmetic is public: `plan_map(...)` returns a `MapPlan`, `DurableContext.operations_used()`
counts what the execution holds. docs/scaling.md explains each shape.

Operation arithmetic (k = durable operations each item runs itself, N items, B batches):
- NESTED, unbatched: 1 (Map) + N (item contexts) + N*k
- FLAT, unbatched:   1 + N*k (items write no context)
- batched:           1 + B (one context per batch, whatever the nesting) + N*k
- executor="invoke": parent 1 + B (one CHAINED_INVOKE per batch); each child 1 (its EXECUTION) + an
  ordinary map of its items: 1 + n + n*k NESTED, 1 + n*k FLAT, n items in that child.

The runtime check counts only what is certain (k = 0): the batch's own context and one per item or
batch. The items' own operations are checked by the service when they are written.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from durable_mp.config import ItemBatcher, NestingType
from durable_mp.exceptions import InvalidConfigError, ValidationError
from durable_mp.wire import MAX_PAYLOAD_BYTES

if TYPE_CHECKING:
    from durable_mp.state import ExecutionState

DEFAULT_MAX_OPERATIONS = 3_000
MAX_EXECUTION_BYTES = 100 * 1024 * 1024
MAX_OPERATIONS_ENV = "DURABLE_MP_MAX_OPERATIONS"
RESULT_ENTRY_BYTES = (
    64  # one item's entry in a BatchResult ({"index", "status", "result", "error"}), beyond its result
)
ENVELOPE_ENTRY_BYTES = 12  # one item's entry in a batch envelope (["S", "..."]), beyond its result
BATCH_EVENT_BYTES = 200  # the framing of one child's batch event, beyond its items


class OperationBudgetError(ValidationError):
    """A map or parallel cannot fit in what the execution has left. Raised before anything is
    checkpointed; never retried. `needed`, `available`, `used` and `limit` give the numbers."""

    def __init__(self, message: str, *, needed: int = 0, available: int = 0, used: int = 0, limit: int = 0):
        super().__init__(message)
        self.needed, self.available, self.used, self.limit = needed, available, used, limit


def max_operations(configured: int | None = None) -> int:
    """The per-execution operation limit: `@durable_execution(max_operations=...)`, else
    DURABLE_MP_MAX_OPERATIONS, else 3,000 (the service's)."""
    if configured is not None:
        return configured
    raw = os.environ.get(MAX_OPERATIONS_ENV)
    if raw:
        try:
            value = int(raw)
        except ValueError:
            raise InvalidConfigError(
                f"{MAX_OPERATIONS_ENV} must be a positive integer, got {raw!r}"
            ) from None
        if value >= 1:
            return value
        raise InvalidConfigError(f"{MAX_OPERATIONS_ENV} must be a positive integer, got {raw!r}")
    return DEFAULT_MAX_OPERATIONS


def operations_used(state: ExecutionState) -> int:
    """Operation ids this execution holds, the EXECUTION operation included (pending updates flushed)."""
    from durable_mp_workers.channel import in_worker

    if not in_worker() and not state.checkpointer.revoked:
        state.checkpointer.flush()
    return len(state.replay.ops)


def item_size(item: Any) -> int:
    """An item's size in bytes: its compact JSON (its repr when it is not JSON)."""
    try:
        return len(json.dumps(item, separators=(",", ":")).encode("utf-8"))
    except (TypeError, ValueError):
        return len(repr(item).encode("utf-8"))


def partition(n: int, batcher: ItemBatcher[Any], sizes: Sequence[int] | None = None) -> list[range]:
    """Cut items 0..n-1 into batches in index order: a batch closes when it holds max_items_per_batch
    items or the next item would take it past max_item_bytes_per_batch (an item alone always fits)."""
    count = batcher.max_items_per_batch or n or 1
    if not batcher.max_item_bytes_per_batch:
        return [range(s, min(s + count, n)) for s in range(0, n, count)]
    if sizes is None or len(sizes) != n:
        raise ValidationError("a byte-limited ItemBatcher needs the size of every item")
    limit = batcher.max_item_bytes_per_batch
    groups: list[range] = []
    start, held = 0, 0
    for i in range(n):
        size = sizes[i]
        if i > start and (i - start >= count or held + size > limit):
            groups.append(range(start, i))
            start, held = i, 0
        held += size
    if n > start:
        groups.append(range(start, n))
    return groups


@dataclass(frozen=True)
class MapPlan:
    """What a map of `items` items costs in this shape (see the module docstring for the formulas).

    `operations_per_execution` is the parent's total (what it already used included); children are
    child executions (executor="invoke"), each holding up to `items_per_child` items and
    `operations_per_child` operations. Bytes are estimates of payload written per execution from the
    given item and result sizes. `fits` says whether every execution stays within the limits.
    """

    items: int
    shape: str  # NESTED | FLAT | BATCHED | INVOKE
    batches: int
    items_per_batch: int
    operations_per_execution: int
    children: int
    items_per_child: int
    operations_per_child: int
    bytes_per_execution: int
    bytes_per_child: int
    max_operations: int
    fits: bool


def _stored(payload: int) -> int:
    """Bytes a context result costs: over 256 KB it is replaced by an empty summary."""
    return payload if payload <= MAX_PAYLOAD_BYTES else 0


def plan_map(
    items: int | Sequence[Any],
    *,
    item_batcher: ItemBatcher[Any] | None = None,
    nesting_type: NestingType = NestingType.NESTED,
    executor: str | None = None,
    operations_per_item: int = 1,
    item_bytes: int | None = None,
    result_bytes: int = 100,
    operations_used: int = 1,
    max_operations: int = DEFAULT_MAX_OPERATIONS,
) -> MapPlan:
    """The plan of a map: `items` (a count, or the items themselves to measure their sizes), its
    shape (`item_batcher`, `nesting_type`, `executor="invoke"`), `operations_per_item` durable
    operations each item runs itself (steps, waits...), sizes in bytes, and the execution's state."""
    n = items if isinstance(items, int) else len(items)
    sizes = None if isinstance(items, int) else [item_size(x) for x in items]
    avg_item = item_bytes if item_bytes is not None else (sum(sizes) // max(1, n) if sizes else 100)
    if sizes is None and item_batcher is not None and item_batcher.max_item_bytes_per_batch:
        sizes = [avg_item] * n
    k = operations_per_item
    flat = nesting_type == NestingType.FLAT
    invoke = executor == "invoke"
    if invoke and item_batcher is None:
        raise ValidationError('executor="invoke" needs an item_batcher: each batch is one child execution')
    groups = partition(n, item_batcher, sizes) if item_batcher is not None else None
    batches = len(groups) if groups is not None else n
    per_batch = max((len(g) for g in groups), default=0) if groups is not None else (1 if n else 0)
    rb = result_bytes
    map_result = _stored(n * (rb + RESULT_ENTRY_BYTES))
    children = per_child = child_ops = child_bytes = 0
    if invoke:
        shape = "INVOKE"
        ops = operations_used + 1 + batches
        children, per_child = batches, per_batch
        envelope = per_child * (rb + ENVELOPE_ENTRY_BYTES)
        child_ops = 1 + 1 + per_child * ((0 if flat else 1) + k)
        child_bytes = (
            per_child * avg_item  # its input
            + per_child * k * rb  # the items' steps
            + (0 if flat else per_child * rb)  # item contexts
            + _stored(per_child * (rb + RESULT_ENTRY_BYTES))  # its map's result
            + envelope  # its own result
        )
        # the children's inputs, their results, the map's result
        written = n * avg_item + batches * BATCH_EVENT_BYTES + n * (rb + ENVELOPE_ENTRY_BYTES) + map_result
    elif groups is not None:
        shape = "BATCHED"
        ops = operations_used + 1 + batches + n * k
        envelopes = sum(_stored(len(g) * (rb + ENVELOPE_ENTRY_BYTES)) for g in groups)
        written = n * k * rb + envelopes + map_result
    else:
        shape = "FLAT" if flat else "NESTED"
        ops = operations_used + 1 + n * ((0 if flat else 1) + k)
        written = n * k * rb + (0 if flat else n * rb) + map_result
    fits = ops <= max_operations and written <= MAX_EXECUTION_BYTES
    if invoke:
        fits = fits and child_ops <= max_operations and child_bytes <= MAX_EXECUTION_BYTES
        fits = fits and per_child * avg_item + BATCH_EVENT_BYTES <= MAX_PAYLOAD_BYTES
        fits = fits and per_child * (rb + ENVELOPE_ENTRY_BYTES) <= MAX_PAYLOAD_BYTES
    return MapPlan(
        items=n,
        shape=shape,
        batches=batches,
        items_per_batch=per_batch,
        operations_per_execution=ops,
        children=children,
        items_per_child=per_child,
        operations_per_child=child_ops,
        bytes_per_execution=written,
        bytes_per_child=child_bytes,
        max_operations=max_operations,
        fits=fits,
    )


def check_batch(
    state: ExecutionState,
    *,
    kind: str,
    name: str | None,
    items: int,
    units: int,
    unit_contexts: bool,
    invoke_items_per_child: int = 0,
    child_contexts: bool = True,
) -> None:
    """Refuse a map/parallel that cannot fit in the operations the execution has left (see module doc).

    `units` are items or batches; `unit_contexts` whether each writes an operation in this execution.
    With executor="invoke", each child must also fit its own items: 2 + n (NESTED) or 2 (FLAT).
    """
    limit = max_operations(state.extras.get("max_operations"))
    needed = 1 + (units if unit_contexts else 0)
    used = operations_used(state)
    available = limit - used
    label = f"{kind} {name!r}" if name else kind
    if needed > available:
        per_batch = max(1, math.ceil(items / 100), math.ceil(items / max(1, available - 1)))
        per_child = max(1, min(1_000, (limit - 2) // 2))  # room for one step per item, NESTED
        raise OperationBudgetError(
            f"{label} needs at least {needed:,} operations (1 for itself + {needed - 1:,} for its "
            f"{'batches' if units != items else 'items'}) but this execution has {max(0, available):,} left "
            f"({used:,} of {limit:,} used). Nothing was checkpointed. Remedies: batch the items, "
            f"item_batcher=ItemBatcher(max_items_per_batch={per_batch}) (one operation per batch; the items' "
            f'own steps, if any, still cost one operation each); fan out, executor="invoke" with '
            f"item_batcher=ItemBatcher(max_items_per_batch={per_child}) (each batch runs in a child execution "
            f"with its own {limit:,} operations); or nesting_type=NestingType.FLAT (no context per item). "
            f"See docs/scaling.md.",
            needed=needed,
            available=available,
            used=used,
            limit=limit,
        )
    if invoke_items_per_child:
        child_needed = 2 + (invoke_items_per_child if child_contexts else 0)
        if child_needed > limit:
            raise OperationBudgetError(
                f"{label}: a child execution of {invoke_items_per_child:,} items needs at least "
                f"{child_needed:,} operations (its EXECUTION, its map, one context per item) but an "
                f"execution holds {limit:,}. Nothing was checkpointed. Remedy: a smaller "
                f"ItemBatcher(max_items_per_batch=...) (at most {limit - 2:,}, fewer if items run steps) "
                f"or nesting_type=NestingType.FLAT. See docs/scaling.md.",
                needed=child_needed,
                available=limit,
                used=0,
                limit=limit,
            )
