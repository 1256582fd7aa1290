"""wait_for_condition: poll a check function, durably, until the wait strategy says stop.

A STEP with SubType WaitForCondition: each "continue" is a RETRY carrying the state as Payload and the
delay; the final state is a SUCCEED. A failing check FAILs the operation (WaitForConditionError).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from durable_mp.exceptions import (
    InvocationError,
    SuspendExecution,
    WaitForConditionError,
    error_object_from_exception,
    operation_error_from_error_object,
)
from durable_mp.operations.suspend import suspend, suspend_until
from durable_mp.plugins.calls import call_user_function
from durable_mp.serdes import deserialize, serialize
from durable_mp.types import WaitForConditionCheckContext
from durable_mp.waits import WaitForConditionConfig
from durable_mp.wire import FAIL, FAILED, PENDING, READY, RETRY, START, STARTED, STEP, SUCCEED, SUCCEEDED

if TYPE_CHECKING:
    from durable_mp.context import DurableContext


def run_wait_for_condition(
    ctx: DurableContext,
    check: Callable[[Any, WaitForConditionCheckContext], Any],
    config: WaitForConditionConfig[Any],
    name: str | None,
) -> Any:
    ref = ctx._allocate(STEP, "WaitForCondition", name)
    op = ctx._begin(ref)
    arn = ctx.state.execution_arn
    serdes = config.serdes

    def roundtrip(data: str | None) -> Any:
        return None if data is None else deserialize(serdes, data, ref.id, arn)

    try:
        if op is not None:
            if op.status == SUCCEEDED:
                return roundtrip(op.result)
            if op.status == FAILED:
                raise operation_error_from_error_object(op.error or {}, WaitForConditionError)
            if op.status == PENDING:
                suspend_until(
                    op.next_attempt_ms, f"wait_for_condition {name or ref.id} will check again later", ref.id
                )
        if op is None or op.status != STARTED:
            ctx.state.checkpointer.submit(ref.update(START))
        try:
            if op is not None and op.status in (STARTED, READY) and op.result:
                current = roundtrip(op.result)
            else:
                current = roundtrip(serialize(serdes, config.initial_state, ref.id, arn))
            attempt = (op.attempt if op is not None else 0) + 1
            check_context = WaitForConditionCheckContext(logger=ctx._op_logger(ref, attempt), attempt=attempt)
            new_state = call_user_function(
                ctx.state, ref, lambda c: check(current, c), check_context, attempt=attempt
            )
            payload = serialize(serdes, new_state, ref.id, arn)
            decision = config.wait_strategy(roundtrip(payload), attempt)
            if not decision.should_continue:
                ctx.state.checkpointer.submit(ref.update(SUCCEED, payload=payload), sync=True)
                return roundtrip(payload)
            delay = decision.delay_seconds
            delay = 1 if delay is None or delay < 1 else int(delay)
            ctx.state.checkpointer.submit(
                ref.update(RETRY, payload=payload, StepOptions={"NextAttemptDelaySeconds": delay}), sync=True
            )
        except SuspendExecution:
            raise
        except Exception as exc:
            if isinstance(exc, InvocationError) and exc.retriable:
                raise
            error_object = error_object_from_exception(exc)
            ctx.state.checkpointer.submit(ref.update(FAIL, error=error_object), sync=True)
            raise operation_error_from_error_object(error_object, WaitForConditionError)
        suspend(f"wait_for_condition {name or ref.id} will check again in {delay} s", delay, ref.id)
    finally:
        ctx._finish(op)
