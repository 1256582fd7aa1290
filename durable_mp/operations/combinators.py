"""Promise combinators over durable operations (a durable-mp addition; the Rust SDKs have them).

Each takes a list of functions `f(ctx) -> T`, runs each as a branch of ONE parallel operation (so it
consumes one counter slot and replays exactly), and differs only in when it is done and what it returns:

- `all`: every branch must succeed; returns the results in order, raises the first failure.
- `any`: returns the first successful result; raises only when every branch failed.
- `race`: the first branch to finish wins, success or failure (ties within one poll go to the lowest index).
- `all_settled`: runs every branch to the end and returns the BatchResult.

They default to the thread executor: they are for waiting on many durable things at once (callbacks,
invokes, waits), not for CPU work; pass functions that need no pickling.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from durable_mp.config import (
    BatchItemStatus,
    CompletionConfig,
    CompletionStatus,
    ParallelConfig,
    complete_batch,
    continue_batch,
)
from durable_mp.exceptions import DurableOperationError

if TYPE_CHECKING:
    from durable_mp.context import DurableContext

Branches = Sequence[Callable[["DurableContext"], Any]]


def _parallel(
    ctx: DurableContext, functions: Branches, name: str | None, completion: CompletionConfig
) -> Any:
    return ctx.parallel(
        list(functions), name=name, config=ParallelConfig(completion_config=completion, executor="threads")
    )


def _raise(item: Any) -> None:
    error = item.error
    if error is None:
        raise DurableOperationError(f"branch {item.index} failed")
    raise DurableOperationError.from_error_fields(error.type, error.message, error.data, error.stack_trace)


def all_of(ctx: DurableContext, functions: Branches, name: str | None) -> list[Any]:
    result = _parallel(ctx, functions, name, CompletionConfig.all_successful())
    for item in result.all:
        if item.status is BatchItemStatus.FAILED:
            _raise(item)
    results: list[Any] = result.get_results()
    return results


def any_of(ctx: DurableContext, functions: Branches, name: str | None) -> Any:
    result = _parallel(
        ctx, functions, name, CompletionConfig(min_successful=1, tolerated_failure_percentage=100)
    )
    for item in result.all:
        if item.status is BatchItemStatus.SUCCEEDED:
            return item.result
    failed = [item for item in result.all if item.status is BatchItemStatus.FAILED]
    if failed:
        _raise(failed[-1])
    raise DurableOperationError("any() needs at least one branch")


def _first_done(status: CompletionStatus) -> Any:
    return complete_batch() if status.completed_count >= 1 else continue_batch()


def race(ctx: DurableContext, functions: Branches, name: str | None) -> Any:
    result = _parallel(ctx, functions, name, CompletionConfig(should_complete=_first_done))
    for item in result.all:
        if item.status is BatchItemStatus.SUCCEEDED:
            return item.result
        if item.status is BatchItemStatus.FAILED:
            _raise(item)
    raise DurableOperationError("race() needs at least one branch")


def all_settled(ctx: DurableContext, functions: Branches, name: str | None) -> Any:
    return _parallel(ctx, functions, name, CompletionConfig.all_completed())
