"""create_callback: ask the service for a callback id that an external system completes later.

START is sent synchronously (the id is assigned by the service). Failures are deferred to
`Callback.result()`, so the code between creating a callback and reading it runs the same on replay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeVar, cast

from durable_mp.config import CallbackConfig
from durable_mp.exceptions import CallbackError, CallbackExternalError, CallbackTimeoutError
from durable_mp.operations.suspend import suspend
from durable_mp.serdes import PassThroughSerDes, SerDes, deserialize
from durable_mp.state import ExecutionState
from durable_mp.wire import CALLBACK, START, SUCCEEDED, TIMED_OUT

if TYPE_CHECKING:
    from durable_mp.context import DurableContext

T = TypeVar("T")
_PASS_THROUGH: PassThroughSerDes[Any] = PassThroughSerDes()


class Callback(Generic[T]):
    """A callback id and a way to wait for its result (suspends until an external system answers)."""

    def __init__(
        self, callback_id: str, operation_id: str, state: ExecutionState, serdes: SerDes[Any] | None = None
    ) -> None:
        self.callback_id = callback_id
        self.operation_id = operation_id
        self.state = state
        self.serdes = serdes

    def result(self) -> T | None:
        op = self.state.replay.get(self.operation_id)
        if op is None:
            raise CallbackError(message="Callback operation must exist")
        if op.status == SUCCEEDED:
            if op.result is None:
                return None
            value = deserialize(
                self.serdes or _PASS_THROUGH, op.result, self.operation_id, self.state.execution_arn
            )
            return cast(T, value)  # the callback's result type, as the caller declared it
        if op.is_terminal:
            _raise_terminal_failure(op.status, op.error)
        suspend(
            "Callback result not received yet. Suspending execution while waiting for result.",
            operation_id=self.operation_id,
        )


def _raise_terminal_failure(status: str, error: dict[str, Any] | None) -> NoReturn:
    is_timeout = status == TIMED_OUT
    cls = CallbackTimeoutError if is_timeout else CallbackExternalError
    error = error or {}
    raise cls(
        message=error.get("ErrorMessage") or ("Callback timed out" if is_timeout else "Callback failed"),
        data=error.get("ErrorData"),
        stack_trace=error.get("StackTrace"),
    )


def create_callback(ctx: DurableContext, name: str | None, config: CallbackConfig | None) -> Callback[Any]:
    ref = ctx._allocate(CALLBACK, (config.sub_type if config else None) or "Callback", name)
    op = ctx._begin(ref)
    try:
        if op is None:
            options = {
                "TimeoutSeconds": config.timeout_seconds if config else 0,
                "HeartbeatTimeoutSeconds": config.heartbeat_timeout_seconds if config else 0,
            }
            ctx.state.checkpointer.submit(
                ref.update(START, CallbackOptions=options), sync=True, required=True
            )
            op = ctx.state.replay.get(ref.id)
        if op is None or not op.callback_id:
            raise CallbackError(message=f"Missing callback details for operation: {ref.id}")
        return Callback(op.callback_id, ref.id, ctx.state, config.serdes if config else None)
    finally:
        ctx._finish(op)
