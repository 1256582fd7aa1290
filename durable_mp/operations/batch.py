"""map and parallel: a CONTEXT (Map / Parallel) whose branches run on an executor.

Everything that can be refused is checked before the operation starts (so nothing is checkpointed and
no counter slot is consumed): the completion config against the number of items, the executor name,
the operations the batch needs against what the execution has left (`durable_mp.planning`), and, for
the process executor, that the function and items can be pickled (for executor="invoke": that the
function can be referenced and the items are JSON). With `item_batcher` the units the coordinator
runs are batches of items (`concurrency/batching.py`; on executor="invoke", child executions:
`concurrency/fanout.py`), while the completion policy and the BatchResult still count items. The batch's SUCCEED payload
is the whole BatchResult (serialized with `config.serdes`); over 256 KB it is replaced by a summary and
the branches are replayed from their own checkpoints.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from durable_mp import ids
from durable_mp.concurrency.batching import BatchedMapWork, batch_name
from durable_mp.concurrency.branch import BranchSpec, MapWork, ParallelWork
from durable_mp.concurrency.coordinator import run_batch
from durable_mp.concurrency.executors import (
    DEFAULT_MAX_THREADS,
    InlineExecutor,
    ProcessExecutor,
    ThreadExecutor,
    executor_was_chosen,
    resolve_executor,
)
from durable_mp.concurrency.fanout import (
    BatchEvents,
    InvokeExecutor,
    default_function_name,
    function_reference,
)
from durable_mp.concurrency.policy import CompletionPolicy
from durable_mp.config import MapConfig, NestingType, ParallelBranch, ParallelConfig
from durable_mp.exceptions import ValidationError
from durable_mp.names import validate_operation_name
from durable_mp.operations.child import run_context_body
from durable_mp.planning import check_batch, item_size, partition
from durable_mp.wire import CHAINED_INVOKE, CONTEXT

if TYPE_CHECKING:
    from durable_mp.context import DurableContext

logger = logging.getLogger("durable_mp")


def run_map(
    ctx: DurableContext,
    inputs: Sequence[Any],
    func: Callable[..., Any],
    name: str | None,
    config: MapConfig[Any],
) -> Any:
    if not callable(func):
        raise ValidationError(f"map needs a callable func(context, item, index, items), got {func!r}")
    if not isinstance(inputs, Sequence) or isinstance(inputs, (str, bytes)):
        raise ValidationError(f"map inputs must be a sequence (list or tuple), got {type(inputs).__name__}")
    name = name or getattr(func, "_original_name", None)
    namer = config.item_namer
    value_serdes = config.item_serdes or config.serdes
    batcher = config.item_batcher
    names: Sequence[str | None] = (
        _DefaultNames(len(inputs))
        if namer is None and batcher is not None  # read only by a should_complete predicate
        else [namer(item, i) if namer else f"map-item-{i}" for i, item in enumerate(inputs)]
    )
    if namer is not None:
        for i, item_name in enumerate(names):
            validate_operation_name(item_name, f"map item {i} (from item_namer)")
    if batcher is None:
        return _run(ctx, "Map", "MapIteration", name, names, MapWork(func, inputs, value_serdes), config)
    invoke = config.executor == "invoke"
    sizes = [item_size(x) for x in inputs] if batcher.max_item_bytes_per_batch else None
    groups = partition(len(inputs), batcher, sizes)
    if not invoke:
        work = BatchedMapWork(func, inputs, groups, value_serdes)
        return _run(ctx, "Map", "MapIteration", name, names, work, config, groups)
    fanout = _Fanout(
        config.function_name or default_function_name(ctx.state),
        BatchEvents(
            function_reference(func), inputs, groups, config.nesting_type.value, name, batcher.batch_input
        ),
    )
    return _run(ctx, "Map", "ChainedInvoke", name, names, fanout, config, groups)


def run_parallel(
    ctx: DurableContext, functions: Sequence[Any], name: str | None, config: ParallelConfig
) -> Any:
    if not isinstance(functions, Sequence):
        raise ValidationError(f"parallel needs a list of functions, got {type(functions).__name__}")
    funcs: list[Callable[[Any], Any]] = []
    names: list[str | None] = []
    for i, f in enumerate(functions):
        if isinstance(f, ParallelBranch):
            funcs.append(f.func)
            names.append(f.name or f"parallel-branch-{i}")
        elif callable(f):
            funcs.append(f)
            names.append(f"parallel-branch-{i}")
        else:
            raise ValidationError(f"parallel branch {i} is not callable: {f!r}")
    for i, branch_name in enumerate(names):
        validate_operation_name(branch_name, f"parallel branch {i}")
    return _run(
        ctx,
        "Parallel",
        "ParallelBranch",
        name,
        names,
        ParallelWork(funcs, config.item_serdes or config.serdes),
        config,
    )


class _Fanout:
    """The work of a map on executor="invoke": where its children go and what each receives."""

    item_serdes = None  # results come back with the default serdes

    def __init__(self, function_name: str, events: BatchEvents) -> None:
        self.function_name, self.events = function_name, events


class _DefaultNames(Sequence[str | None]):
    """The default item names, "map-item-{i}", without building a list of them."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [f"map-item-{k}" for k in range(*i.indices(self.n))]
        if not -self.n <= i < self.n:
            raise IndexError(i)
        return f"map-item-{i % self.n}"


def _run(
    ctx: DurableContext,
    sub_type: str,
    item_sub_type: str,
    name: str | None,
    names: Sequence[str | None],
    work: MapWork | ParallelWork | BatchedMapWork | _Fanout,
    config: MapConfig[Any] | ParallelConfig,
    groups: list[range] | None = None,
) -> Any:
    """Run a batch of units: one per item or branch, or (`groups`) one per batch of items."""
    n = len(names)
    units = n if groups is None else len(groups)
    if config.max_concurrency is not None and config.max_concurrency < 1:
        raise ValidationError(f"max_concurrency must be at least 1, got {config.max_concurrency}")
    config.completion_config._validate_for_total(n)
    invoke = isinstance(work, _Fanout)
    flat = config.nesting_type == NestingType.FLAT
    if ctx.state.replay.get(ctx._next_operation_id()) is None:  # not started yet: plan before spending
        check_batch(
            ctx.state,
            kind="map" if sub_type == "Map" else "parallel",
            name=name,
            items=n,
            units=units,
            unit_contexts=groups is not None or not flat,
            invoke_items_per_child=max((len(g) for g in groups), default=0) if invoke and groups else 0,
            child_contexts=not flat,
        )
        if isinstance(work, _Fanout):
            work.events.check_all()
    if invoke:
        executor_name, blob, reason = "invoke", None, "executor='invoke' in the batch's config"
    else:
        executor_name, blob, reason = _executor_and_blob(config, ctx.state, work, n, sub_type, name)  # type: ignore[arg-type]

    ref = ctx._allocate(CONTEXT, sub_type, name)
    op = ctx._begin(ref)
    unit_flat = flat and groups is None  # a batch always writes its own context

    def body(child: DurableContext) -> Any:
        state = ctx.state
        replaying = child.is_replaying()
        if groups is None:
            specs = [
                BranchSpec(i, ids.item_id(ref.id, i), names[i], item_sub_type, ref.id, unit_flat, replaying)
                for i in range(n)
            ]
        else:
            op_type = CHAINED_INVOKE if invoke else CONTEXT
            specs = [
                BranchSpec(
                    b,
                    ids.item_id(ref.id, b),
                    batch_name(b),
                    item_sub_type,
                    ref.id,
                    False,
                    replaying,
                    g,
                    op_type,
                )
                for b, g in enumerate(groups)
            ]
        policy = CompletionPolicy(n, config.completion_config, names)
        limit = config.max_concurrency or units
        threads = max(1, min(limit, DEFAULT_MAX_THREADS))
        executor: Any
        if isinstance(work, _Fanout):
            executor = InvokeExecutor(state, work.function_name, work.events)
        elif executor_name == "inline" or n == 0:
            executor = InlineExecutor(state, work.func_for, work.item_serdes)
        elif executor_name == "threads":
            executor = ThreadExecutor(state, work.func_for, work.item_serdes, max_threads=threads)
        else:
            from durable_mp.concurrency.choice import DEFAULT, automatic_workers
            from durable_mp_workers.sizing import resolve_workers

            assert blob is not None
            workers = config.workers or state.workers
            size = resolve_workers(workers)
            # Nobody asked for processes (nor a worker count): items may start on threads while workers boot.
            # Its items checkpoint as worker items do: no acknowledgement waited for but those the code must
            # see; the batch's own end, queued after theirs, waits for all of them.
            bridge = (
                ThreadExecutor(state, work.func_for, work.item_serdes, max_threads=threads, waits=False)
                if reason == DEFAULT and automatic_workers(workers)
                else None
            )
            executor = ProcessExecutor(state, blob, size, bridge)
        value_serdes = work.value_serdes if isinstance(work, BatchedMapWork) else work.item_serdes
        return run_batch(
            state, specs, policy, executor, config.max_concurrency, value_serdes, name=name, reason=reason
        )

    try:
        return run_context_body(ctx, ref, op, body, config.serdes, config.summary_generator)
    finally:
        ctx._finish(op)


def _executor_and_blob(
    config: MapConfig[Any] | ParallelConfig,
    state: Any,
    work: MapWork | ParallelWork | BatchedMapWork,
    n: int,
    what: str,
    name: str | None,
) -> tuple[str, bytes | None, str]:
    """The batch's executor, for processes the pickled work, and why it got that executor.

    A chosen `executor="processes"` that cannot pickle its work is refused (TaskPicklingError). The
    default falls back to threads for this batch, with one warning naming what could not be pickled.
    """
    executor_name, reason = resolve_executor(config.executor, state, config.workers or state.workers)
    if executor_name != "processes" or not n:
        return executor_name, None, reason
    if executor_was_chosen(config.executor, state):
        return executor_name, _pickle_work(work), reason
    from durable_mp_workers.errors import TaskPicklingError

    try:
        return executor_name, _pickle_work(work), reason
    except TaskPicklingError as exc:
        cause = exc.__cause__
        logger.warning(
            "%s %s runs on threads: %s cannot be sent to a worker process (%s: %s). Define it at module "
            'level (or make it picklable) to run it on processes, or set executor="threads".',
            what,
            repr(name) if name else "batch",
            _find_unpicklable(work),
            type(cause).__name__,
            cause,
        )
        return "threads", None, f"{_find_unpicklable(work)} cannot be pickled"


def _pickle_work(work: MapWork | ParallelWork | BatchedMapWork) -> bytes:
    """Pickle what the workers need once, or say precisely what cannot cross to a worker process."""
    import cloudpickle

    try:
        blob: bytes = cloudpickle.dumps(work)
        return blob
    except Exception as exc:
        culprit = _find_unpicklable(work)
        from durable_mp_workers.errors import TaskPicklingError

        raise TaskPicklingError(
            f"cannot send {culprit} to a worker process ({type(exc).__name__}: {exc}). Define it at module "
            f'level (or make it picklable), or run this batch on threads: executor="threads".'
        ) from exc


def _find_unpicklable(work: MapWork | ParallelWork | BatchedMapWork) -> str:
    import cloudpickle

    candidates: list[tuple[str, Any]]
    if isinstance(work, (MapWork, BatchedMapWork)):
        candidates = [(f"the map function {getattr(work.func, '__qualname__', work.func)!r}", work.func)]
        candidates += [(f"map item {i} ({item!r:.80})", item) for i, item in enumerate(work.items)]
    else:
        candidates = [
            (f"parallel branch {i} ({getattr(f, '__qualname__', f)!r})", f)
            for i, f in enumerate(work.functions)
        ]
    candidates.append(("the item serdes", work.item_serdes))
    for label, obj in candidates:
        try:
            cloudpickle.dumps(obj)
        except Exception:  # noqa: BLE001 - pickling runs user code: any error names this part
            return label
    return "the batch"
