"""The call sites' side of the hooks: cheap no-ops when the invocation has no plugins."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from durable_mp.exceptions import ErrorObject
from durable_mp.plugins.dispatch import op_identity
from durable_mp.plugins.info import PropagationInput
from durable_mp.state import ExecutionState
from durable_mp.wire import Operation, OperationStatus, OpRef

T = TypeVar("T")


def ref_identity(ref: OpRef) -> dict[str, Any]:
    """The OperationInfo identity fields of `ref`."""
    return op_identity(ref.update("START"))


def call_user_function(
    state: ExecutionState,
    ref: OpRef,
    func: Callable[[Any], T],
    arg: Any,
    *,
    attempt: int | None = None,
    is_replay_children: bool = False,
) -> T:
    """`func(arg)`, between the user-function start and end hooks when plugins are registered."""
    hooks = state.plugins
    if hooks is None:
        return func(arg)
    with hooks.user_function(ref_identity(ref), attempt, is_replay_children):
        return func(arg)


def context_ended(
    state: ExecutionState, ref: OpRef, error: dict[str, Any] | None = None, *, is_replayed: bool = False
) -> None:
    """The end hook of a child context that writes no terminal checkpoint: a FLAT map item or parallel
    branch (`is_replayed` False: there is no checkpoint to tell), a ReplayChildren body run again (True).
    `error`: the ErrorObject dict of a failed body."""
    hooks = state.plugins
    if hooks is None:
        return
    status = OperationStatus.SUCCEEDED if error is None else OperationStatus.FAILED
    hooks.context_ended(
        ref_identity(ref), status, None if error is None else ErrorObject.from_dict(error), is_replayed
    )


def operation_replayed(state: ExecutionState, op: Operation) -> None:
    """A recorded operation met again by the code (see `PluginExecutor.operation_replayed`)."""
    hooks = state.plugins
    if hooks is not None:
        hooks.operation_replayed(op)


def propagation_trace_id(state: ExecutionState, ref: OpRef, function_name: str) -> str | None:
    """The trace header the plugins give a new chained invoke (ChainedInvokeOptions.XAmznTraceId)."""
    hooks = state.plugins
    if hooks is None:
        return None
    info = PropagationInput(
        execution_arn=state.execution_arn,
        operation_id=ref.id,
        target_function_name=function_name,
        parent_operation_id=ref.parent_id,
    )
    trace_id: str | None = hooks.propagation_metadata(info).x_amzn_trace_id
    return trace_id
