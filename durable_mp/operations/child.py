"""run_in_child_context: a function with its own operation-id namespace, checkpointed as one CONTEXT.

START is sent without waiting; SUCCEED carries the serialized result. A result over 256 KB is replaced
by a summary with ReplayChildren=true, and on replay the body runs again over its recorded children.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from durable_mp.config import ChildConfig
from durable_mp.exceptions import (
    ChildContextError,
    ExecutionError,
    InvocationError,
    NonDeterministicExecutionError,
    SerDesError,
    SuspendExecution,
    error_object_from_exception,
    operation_error_from_error_object,
)
from durable_mp.operations.serdes_errors import naming_operation
from durable_mp.plugins.calls import call_user_function, context_ended
from durable_mp.serdes import deserialize, serialize
from durable_mp.wire import (
    CONTEXT,
    FAIL,
    FAILED,
    MAX_PAYLOAD_BYTES,
    START,
    SUCCEED,
    SUCCEEDED,
    Operation,
    OpRef,
)

if TYPE_CHECKING:
    from durable_mp.context import DurableContext


def run_child(
    ctx: DurableContext, func: Callable[[DurableContext], Any], name: str | None, config: ChildConfig[Any]
) -> Any:
    ref = ctx._allocate(CONTEXT, config.sub_type or "RunInChildContext", name)
    if config.is_virtual:
        return _run_virtual(ctx, ref, func, config.serdes)
    op = ctx._begin(ref)
    try:
        return run_context_body(ctx, ref, op, func, config.serdes, config.summary_generator)
    finally:
        ctx._finish(op)


def _run_virtual(ctx: DurableContext, ref: OpRef, func: Callable[[DurableContext], Any], serdes: Any) -> Any:
    """`ChildConfig(is_virtual=True)`: no checkpoint of its own (no START, SUCCEED or FAIL), its operations
    keep the caller's ParentId (ids still prefixed by its own id), and the body runs again on every replay
    over its recorded operations. A checkpoint found at its id was written by a non-virtual child: the code
    changed, which is a non-determinism error."""
    if ctx.state.replay.get(ref.id) is not None:
        raise NonDeterministicExecutionError(
            f"Non-deterministic child context at id={ref.id!r}: checkpoint contains a non-virtual child "
            "context but current child context is virtual",
            step_id=ref.id,
        )
    arn = ctx.state.execution_arn
    child = ctx._child(ref.id, virtual=True)
    _, payload, failure = _run_body(ref, lambda: func(child), serdes, arn)
    if failure is not None:
        error_object = error_object_from_exception(failure)
        context_ended(ctx.state, ref, error_object)
        raise operation_error_from_error_object(error_object, ChildContextError) from failure
    context_ended(ctx.state, ref)
    return None if payload is None else deserialize(serdes, payload, ref.id, arn)


def _run_body(
    ref: OpRef, run: Callable[[], Any], serdes: Any, arn: str
) -> tuple[Any, str | None, Exception | None]:
    """Run a context's body and serialize its result: (raw, payload, None), or (None, None, the error) for
    an error of the user's. Suspensions, execution errors and retriable invocation errors propagate."""
    try:
        raw = run()
        try:
            payload = serialize(serdes, raw, ref.id, arn)
        except SerDesError as exc:
            raise naming_operation(exc, "child context", ref.name, ref.id, raw) from exc
    except (SuspendExecution, ExecutionError):
        raise
    except Exception as exc:
        if isinstance(exc, InvocationError) and exc.retriable:
            raise
        return None, None, exc
    return raw, payload, None


def run_context_body(
    ctx: DurableContext,
    ref: OpRef,
    op: Operation | None,
    func: Callable[[DurableContext], Any],
    serdes: Any,
    summary_generator: Callable[[Any], str] | None,
    error_cls: type = ChildContextError,
) -> Any:
    """The CONTEXT protocol shared by child contexts, wait_for_callback, map and parallel."""
    arn = ctx.state.execution_arn
    if op is not None:
        if op.status == SUCCEEDED and not op.replay_children:
            return None if op.result is None else deserialize(serdes, op.result, ref.id, arn)
        if op.status == FAILED:
            raise operation_error_from_error_object(op.error or {}, error_cls)
    else:
        ctx.state.checkpointer.submit(ref.update(START))
    child = ctx._child(ref.id)
    rerun = op is not None and op.replay_children  # a ReplayChildren body run again over its children
    raw, payload, failure = _run_body(
        ref,
        lambda: call_user_function(ctx.state, ref, func, child, is_replay_children=rerun),
        serdes,
        arn,
    )
    if failure is not None:
        error_object = error_object_from_exception(failure)
        ctx.state.checkpointer.submit(ref.update(FAIL, error=error_object), sync=True)
        raise operation_error_from_error_object(error_object, error_cls) from failure
    result = None if payload is None else deserialize(serdes, payload, ref.id, arn)
    if rerun:
        context_ended(ctx.state, ref, is_replayed=True)
        return result
    replay_children = payload is not None and len(payload) > MAX_PAYLOAD_BYTES
    if replay_children:
        payload = summary_generator(raw) if summary_generator else ""
    ctx.state.checkpointer.submit(
        ref.update(SUCCEED, payload=payload, ContextOptions={"ReplayChildren": replay_children}), sync=True
    )
    return result
