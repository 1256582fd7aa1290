"""Fan-out across executions: `MapConfig(executor="invoke", item_batcher=...)`.

Parent side: batch b of map M is a CHAINED_INVOKE operation (SubType ChainedInvoke, named
"map-batch-{b}", ParentId M) with id H(f"{M}-{b}"), whose payload is a batch event:

    {"__durable_mp_batch__": {"v": 1, "function": "package.module:qualname", "offset": <first index>,
                              "items": [...], "nesting": "NESTED" | "FLAT", "name": <map name>,
                              "batch_input": <ItemBatcher.batch_input>}}

`InvokeExecutor` starts these under the coordinator's `max_concurrency` (children in flight) and
reports each as suspended on its operation; the parent invocation returns PENDING and the service
re-invokes it as children end, when the map replays: finished children are read from their operations,
the completion policy sees their items in index order, and more children start.

Child side: the handler made by `@durable_execution` recognises the batch event (`is_batch_event`) and
runs `run_batch_event` instead of the user's handler: an ordinary map over the batch's items on its own
executor, with every item run to its end (`CompletionConfig.all_completed()`: the parent applies the
real policy), returning the envelope of `durable_mp.concurrency.batching` (one entry per item). The
map function is called with the item's index in the whole map and, as `items`, the batch's own items.

The item function travels by reference (module and qualified name) and must be importable where the
child runs; items and results travel as JSON (results with the default serdes). A child's envelope
over 256 KB fails that child's items with a clear error (use smaller batches).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from durable_mp.concurrency.batching import FAIL, OK
from durable_mp.concurrency.branch import SUSPENDED, BranchSpec, Outcome, recorded_outcome
from durable_mp.exceptions import NonDeterministicExecutionError, ValidationError
from durable_mp.references import reference_of, resolve_reference
from durable_mp.serdes import serialize
from durable_mp.state import ExecutionState
from durable_mp.wire import MAX_PAYLOAD_BYTES, START

if TYPE_CHECKING:
    from durable_mp.context import DurableContext

BATCH_KEY = "__durable_mp_batch__"
VERSION = 1


def function_reference(func: Callable[..., Any]) -> str:
    """`module:qualname` of a module-level function, checked to import back to the same object."""
    reference, problem = reference_of(func)
    if reference is not None:
        try:
            if resolve_reference(reference) is not func:
                problem = f"{reference} names another object (was it rebound or decorated?)"
        except Exception as exc:  # noqa: BLE001 - any import failure means it cannot travel
            problem = f"{reference} does not import ({type(exc).__name__}: {exc})"
    if problem or reference is None:
        raise ValidationError(
            f'executor="invoke" sends the map function to child executions by reference, but '
            f"{getattr(func, '__qualname__', func)!r} cannot be referenced: {problem}. Define it at module "
            f"level in an importable module. Nothing was checkpointed."
        )
    return reference


class BatchEvents:
    """The JSON input of each child. `check_all()` (before the map starts) refuses items that are not
    JSON or a batch over 256 KB before anything is checkpointed; on replay events are built on demand."""

    def __init__(
        self,
        ref: str,
        items: Sequence[Any],
        groups: list[range],
        nesting: str,
        name: str | None,
        batch_input: Any,
    ) -> None:
        self.ref, self.items, self.groups = ref, items, groups
        self.nesting, self.name, self.batch_input = nesting, name, batch_input
        self._built: dict[int, str] = {}

    def check_all(self) -> None:
        for b in range(len(self.groups)):
            self._built[b] = self._build(b)

    def payload(self, b: int) -> str:
        built = self._built.pop(b, None)
        return built if built is not None else self._build(b)

    def _build(self, b: int) -> str:
        group = self.groups[b]
        body = {
            "v": VERSION,
            "function": self.ref,
            "offset": group.start,
            "items": [self.items[i] for i in group],
            "nesting": self.nesting,
            "name": self.name,
            "batch_input": self.batch_input,
        }
        try:
            payload = json.dumps({BATCH_KEY: body}, separators=(",", ":"))
        except (TypeError, ValueError) as exc:
            raise ValidationError(
                f'executor="invoke" sends items as JSON, but batch {b} (items {group.start}-{group.stop - 1}) '
                f"is not JSON: {exc}. Nothing was checkpointed."
            ) from exc
        size = len(payload.encode("utf-8"))
        if size > MAX_PAYLOAD_BYTES:
            raise ValidationError(
                f"batch {b} (items {group.start}-{group.stop - 1}) is {size:,} bytes of JSON, over the "
                f"{MAX_PAYLOAD_BYTES:,}-byte limit of one operation payload. Remedy: "
                f"ItemBatcher(max_item_bytes_per_batch=200_000) or fewer items per batch. Nothing was checkpointed."
            )
        return payload


def default_function_name(state: ExecutionState) -> str:
    """The function this execution runs, for children of the same function."""
    import os

    context = state.lambda_context
    for value in (
        getattr(context, "invoked_function_arn", None),
        getattr(context, "function_name", None),
        os.environ.get("AWS_LAMBDA_FUNCTION_NAME"),
    ):
        if isinstance(value, str) and value:
            return value
    raise ValidationError(
        'executor="invoke" could not tell which function this is (no Lambda context): '
        "set MapConfig(function_name=...). Nothing was checkpointed."
    )


class InvokeExecutor:
    """Starts each batch as a chained invoke and reports it suspended until its child execution ends."""

    def __init__(self, state: ExecutionState, function_name: str, events: BatchEvents) -> None:
        self.state, self.function_name, self.events = state, function_name, events
        self._ready: list[Outcome] = []
        self.progressed: set[int] = set()

    def capacity(self) -> int:
        return 1 << 30  # children are bounded by max_concurrency only

    def start(self, spec: BranchSpec) -> None:
        self.progressed.add(spec.index)  # a chained invoke START is progress: never an interruption
        op = self.state.replay.get(spec.op_id)
        if op is None:
            update = spec.ref.update(
                START,
                payload=self.events.payload(spec.index),
                ChainedInvokeOptions={"FunctionName": self.function_name},
            )
            self.state.checkpointer.submit(update)
        else:
            diff = spec.ref.mismatch(op)
            if diff is not None:
                raise NonDeterministicExecutionError(
                    f"Non-deterministic operation identity at id={spec.op_id!r}: {diff}", step_id=spec.op_id
                )
            done = recorded_outcome(self.state, spec)
            if done is not None:
                self._ready.append(done)
                return
        self._ready.append(Outcome(spec.index, SUSPENDED, waiting_on=spec.op_id))

    def wait(self, timeout: float | None) -> list[Any]:
        out, self._ready = self._ready, []
        return out

    def cancel(self, index: int) -> None:
        """A child execution cannot be stopped from here: it runs on, and its result is ignored."""

    def close(self) -> None:
        self._ready.clear()


def is_batch_event(event: Any) -> bool:
    return isinstance(event, dict) and isinstance(event.get(BATCH_KEY), dict)


class _Shifted:
    """The map function of a child: called with the item's index in the whole map."""

    def __init__(self, func: Callable[..., Any], offset: int) -> None:
        self.func, self.offset = func, offset

    def __call__(self, ctx: Any, item: Any, index: int, items: Sequence[Any]) -> Any:
        return self.func(ctx, item, self.offset + index, items)


def run_batch_event(event: dict[str, Any], context: DurableContext) -> list[list[Any]]:
    """The handler of a child execution: run its batch as an ordinary map, return the envelope."""
    from durable_mp.config import CompletionConfig, MapConfig, NestingType

    body = event[BATCH_KEY]
    if body.get("v") != VERSION:
        raise ValidationError(f"unsupported batch event version {body.get('v')!r} (expected {VERSION})")
    func = resolve_reference(body["function"])
    config: MapConfig[Any] = MapConfig(
        nesting_type=NestingType(body.get("nesting") or "NESTED"),
        completion_config=CompletionConfig.all_completed(),
    )
    result = context.map(
        body["items"], _Shifted(func, int(body["offset"])), name=body.get("name"), config=config
    )
    arn = context.state.execution_arn
    entries: list[list[Any]] = []
    for item in result.all:
        if item.status.value == "SUCCEEDED":
            entries.append([OK, serialize(None, item.result, arn, arn)])
        else:
            error = item.error.to_dict() if item.error else {"ErrorMessage": f"item {item.status.value}"}
            entries.append([FAIL, error])
    size = len(json.dumps(entries).encode("utf-8"))
    if size > MAX_PAYLOAD_BYTES:
        raise ValidationError(
            f"the results of this batch are {size:,} bytes, over the {MAX_PAYLOAD_BYTES:,}-byte limit of "
            f"a chained invoke result: use fewer items per batch (ItemBatcher.max_items_per_batch)"
        )
    return entries
