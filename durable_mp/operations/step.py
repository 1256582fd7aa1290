"""step: run a function once per attempt and checkpoint its result (FACTS.md section 4).

AT_LEAST_ONCE_PER_RETRY sends START without waiting and SUCCEED/FAIL after the function.
AT_MOST_ONCE_PER_RETRY waits for START to be acknowledged first; a STARTED step found on replay was
interrupted and goes through the retry strategy instead of running again. A failure asks the retry
strategy: RETRY (integer delay >= 1 s) and suspend, or FAIL and raise StepError.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

from durable_mp.config import StepConfig, StepSemantics
from durable_mp.exceptions import (
    ExecutionError,
    PayloadTooLargeError,
    StepError,
    StepInterruptedError,
    error_object_from_exception,
    operation_error_from_error_object,
)
from durable_mp.operations.suspend import suspend, suspend_until
from durable_mp.plugins.calls import call_user_function
from durable_mp.retries import RetryPresets
from durable_mp.serdes import deserialize, serialize
from durable_mp.state.checkpoint import check_payload
from durable_mp.types import StepContext
from durable_mp.wire import (
    FAIL,
    FAILED,
    PENDING,
    RETRY,
    START,
    STARTED,
    STEP,
    SUCCEED,
    SUCCEEDED,
    Operation,
    OpRef,
)

if TYPE_CHECKING:
    from durable_mp.context import DurableContext


def run_step(
    ctx: DurableContext, func: Callable[[StepContext], Any], name: str | None, config: StepConfig
) -> Any:
    ref = ctx._allocate(STEP, config.sub_type or "Step", name)
    op = ctx._begin(ref)
    try:
        return _process(ctx, ref, op, func, config)
    finally:
        ctx._finish(op)


def _process(
    ctx: DurableContext,
    ref: OpRef,
    op: Operation | None,
    func: Callable[[StepContext], Any],
    config: StepConfig,
) -> Any:
    state = ctx.state
    arn = state.execution_arn
    if op is not None:
        if op.status == SUCCEEDED:
            return None if op.result is None else deserialize(config.serdes, op.result, ref.id, arn)
        if op.status == FAILED:
            raise operation_error_from_error_object(op.error or {}, StepError)
        if op.status == PENDING:
            suspend_until(op.next_attempt_ms, f"retry of step {ref.name or ref.id} is scheduled", ref.id)
        if op.status == STARTED and config.step_semantics is StepSemantics.AT_MOST_ONCE_PER_RETRY:
            _retry_or_fail(
                ctx,
                ref,
                op,
                config,
                StepInterruptedError(
                    f"Step operation_id={ref.id} name={ref.name} was previously interrupted", step_id=ref.id
                ),
            )

    termination = state.termination
    if termination is not None:
        termination.before_operation()
        started = time.monotonic()
    if op is None or op.status != STARTED:
        at_most_once = config.step_semantics is StepSemantics.AT_MOST_ONCE_PER_RETRY
        state.checkpointer.submit(ref.update(START), sync=at_most_once, required=at_most_once)
    attempt = (op.attempt if op is not None else 0) + 1
    step_context = StepContext(logger=ctx._op_logger(ref, attempt), attempt=attempt)
    try:
        try:
            raw = call_user_function(state, ref, func, step_context, attempt=attempt)
        finally:
            if termination is not None:
                termination.observe(time.monotonic() - started)
        payload = serialize(config.serdes, raw, ref.id, arn)
        update = ref.update(SUCCEED, payload=payload)
        check_payload(update)
    except ExecutionError:
        raise
    except PayloadTooLargeError as exc:  # can only fail again: no retry
        _fail(ctx, ref, exc)
    except Exception as exc:  # noqa: BLE001 - user code: every failure goes to the retry strategy
        _retry_or_fail(ctx, ref, op, config, exc)
    state.checkpointer.submit(update, sync=True)
    return None if payload is None else deserialize(config.serdes, payload, ref.id, arn)


def _retry_or_fail(
    ctx: DurableContext, ref: OpRef, op: Operation | None, config: StepConfig, error: Exception
) -> NoReturn:
    strategy = config.retry_strategy or RetryPresets.default()
    attempts_made = (op.attempt if op is not None else 0) + 1
    decision = strategy(error, attempts_made)
    if decision.should_retry:
        delay = max(1, int(decision.delay_seconds))
        ctx.state.checkpointer.submit(
            ref.update(
                RETRY,
                error=error_object_from_exception(error),
                StepOptions={"NextAttemptDelaySeconds": delay},
            ),
            sync=True,
        )
        suspend(f"retry of step {ref.name or ref.id} in {delay} s", delay, ref.id)
    _fail(ctx, ref, error)


def _fail(ctx: DurableContext, ref: OpRef, error: Exception) -> NoReturn:
    error_object = error_object_from_exception(error)
    ctx.state.checkpointer.submit(ref.update(FAIL, error=error_object), sync=True)
    raise operation_error_from_error_object(error_object, StepError)
