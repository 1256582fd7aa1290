"""wait_for_callback: a CONTEXT (WaitForCallback) holding a callback and a submitter step.

Inside: create_callback named "{name} create callback id", then a step "{name} submitter" that hands the
callback id to the user's submitter, then the callback's result. Failures come out callback-typed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from durable_mp.config import StepConfig, WaitForCallbackConfig
from durable_mp.exceptions import CallbackError, CallbackSubmitterError, ChildContextError, StepError
from durable_mp.names import validate_operation_name
from durable_mp.operations.child import run_context_body
from durable_mp.types import StepContext, WaitForCallbackContext
from durable_mp.wire import CONTEXT

if TYPE_CHECKING:
    from durable_mp.context import DurableContext


def run_wait_for_callback(
    ctx: DurableContext,
    submitter: Callable[[str, WaitForCallbackContext], Any],
    name: str | None,
    config: WaitForCallbackConfig | None,
) -> Any:
    prefix = f"{name} " if name else ""
    validate_operation_name(name, "a wait_for_callback")
    validate_operation_name(
        f"{prefix}create callback id",
        "the callback of a wait_for_callback (its name + ' create callback id')",
    )

    def body(child: DurableContext) -> Any:
        callback = child.create_callback(name=f"{prefix}create callback id", config=config)

        def submit(step_context: StepContext) -> Any:
            return submitter(callback.callback_id, WaitForCallbackContext(logger=step_context.logger))

        step_config = (
            StepConfig(retry_strategy=config.retry_strategy, serdes=config.serdes) if config else None
        )
        child.step(submit, name=f"{prefix}submitter", config=step_config)
        return callback.result()

    ref = ctx._allocate(CONTEXT, "WaitForCallback", name)
    op = ctx._begin(ref)
    try:
        return run_context_body(ctx, ref, op, body, None, None)
    except ChildContextError as exc:
        inner = exc.__cause__
        if isinstance(inner, CallbackError):
            raise inner from None
        if isinstance(inner, StepError):
            raise CallbackSubmitterError(
                inner.message or "Callback submitter failed", data=inner.data, stack_trace=inner.stack_trace
            ) from inner
        raise
    finally:
        ctx._finish(op)
