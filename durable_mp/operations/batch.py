"""map and parallel: a CONTEXT (Map / Parallel) whose branches run on an executor.

Everything that can be refused is checked before the operation starts (so nothing is checkpointed and
no counter slot is consumed): the completion config against the number of items, the executor name,
and, for the process executor, that the function and items can be pickled. The batch's SUCCEED payload
is the whole BatchResult (serialized with `config.serdes`); over 256 KB it is replaced by a summary and
the branches are replayed from their own checkpoints.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from durable_mp import ids
from durable_mp.concurrency.branch import BranchSpec, MapWork, ParallelWork
from durable_mp.concurrency.coordinator import run_batch
from durable_mp.concurrency.executors import (
    InlineExecutor,
    ProcessExecutor,
    ThreadExecutor,
    executor_was_chosen,
    resolve_executor,
)
from durable_mp.concurrency.policy import CompletionPolicy
from durable_mp.config import MapConfig, NestingType, ParallelBranch, ParallelConfig
from durable_mp.exceptions import ValidationError
from durable_mp.operations.child import run_context_body
from durable_mp.wire import CONTEXT

if TYPE_CHECKING:
    from durable_mp.context import DurableContext

logger = logging.getLogger("durable_mp")


def run_map(
    ctx: DurableContext, inputs: Sequence[Any], func: Callable[..., Any], name: str | None, config: MapConfig
) -> Any:
    if not callable(func):
        raise ValidationError(f"map needs a callable func(context, item, index, items), got {func!r}")
    if not isinstance(inputs, Sequence) or isinstance(inputs, (str, bytes)):
        raise ValidationError(f"map inputs must be a sequence (list or tuple), got {type(inputs).__name__}")
    name = name or getattr(func, "_original_name", None)
    namer = config.item_namer
    names = [namer(item, i) if namer else f"map-item-{i}" for i, item in enumerate(inputs)]
    work = MapWork(func, inputs, config.item_serdes or config.serdes)
    return _run(ctx, "Map", "MapIteration", name, names, work, config)


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
    return _run(
        ctx,
        "Parallel",
        "ParallelBranch",
        name,
        names,
        ParallelWork(funcs, config.item_serdes or config.serdes),
        config,
    )


def _run(
    ctx: DurableContext,
    sub_type: str,
    item_sub_type: str,
    name: str | None,
    names: list[str | None],
    work: MapWork | ParallelWork,
    config: MapConfig | ParallelConfig,
) -> Any:
    n = len(names)
    if config.max_concurrency is not None and config.max_concurrency < 1:
        raise ValidationError(f"max_concurrency must be at least 1, got {config.max_concurrency}")
    config.completion_config._validate_for_total(n)
    executor_name, blob = _executor_and_blob(config, ctx.state, work, n, sub_type, name)

    ref = ctx._allocate(CONTEXT, sub_type, name)
    op = ctx._begin(ref)
    flat = config.nesting_type == NestingType.FLAT

    def body(child: DurableContext) -> Any:
        state = ctx.state
        specs = [
            BranchSpec(i, ids.item_id(ref.id, i), names[i], item_sub_type, ref.id, flat, child.is_replaying())
            for i in range(n)
        ]
        policy = CompletionPolicy(n, config.completion_config, names)
        limit = config.max_concurrency or n
        executor: Any
        if executor_name == "inline" or n == 0:
            executor = InlineExecutor(state, work.func_for, work.item_serdes)
        elif executor_name == "threads":
            executor = ThreadExecutor(
                state, work.func_for, work.item_serdes, max_threads=max(1, min(limit, 64))
            )
        else:
            from durable_mp_workers.sizing import resolve_workers

            assert blob is not None
            executor = ProcessExecutor(state, blob, resolve_workers(config.workers or state.workers))
        return run_batch(state, specs, policy, executor, config.max_concurrency, work.item_serdes, name=name)

    try:
        return run_context_body(ctx, ref, op, body, config.serdes, config.summary_generator)
    finally:
        ctx._finish(op)


def _executor_and_blob(
    config: MapConfig | ParallelConfig,
    state: Any,
    work: MapWork | ParallelWork,
    n: int,
    what: str,
    name: str | None,
) -> tuple[str, bytes | None]:
    """The batch's executor, and for processes the pickled work.

    A chosen `executor="processes"` that cannot pickle its work is refused (TaskPicklingError). The
    default falls back to threads for this batch, with one warning naming what could not be pickled.
    """
    executor_name = resolve_executor(config.executor, state)
    if executor_name != "processes" or not n:
        return executor_name, None
    if executor_was_chosen(config.executor, state):
        return executor_name, _pickle_work(work)
    from durable_mp_workers.errors import TaskPicklingError

    try:
        return executor_name, _pickle_work(work)
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
        return "threads", None


def _pickle_work(work: MapWork | ParallelWork) -> bytes:
    """Pickle what the workers need once, or say precisely what cannot cross to a worker process."""
    import cloudpickle

    try:
        return cloudpickle.dumps(work)
    except Exception as exc:
        culprit = _find_unpicklable(work)
        from durable_mp_workers.errors import TaskPicklingError

        raise TaskPicklingError(
            f"cannot send {culprit} to a worker process ({type(exc).__name__}: {exc}). Define it at module "
            f'level (or make it picklable), or run this batch on threads: executor="threads".'
        ) from exc


def _find_unpicklable(work: MapWork | ParallelWork) -> str:
    import cloudpickle

    candidates: list[tuple[str, Any]]
    if isinstance(work, MapWork):
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
        except Exception:  # noqa: BLE001
            return label
    return "the batch"
