"""step: run a function once per attempt and checkpoint its result (the official step semantics).

AT_LEAST_ONCE_PER_RETRY sends START without waiting and SUCCEED/FAIL after the function.
AT_MOST_ONCE_PER_RETRY waits for START to be acknowledged first; a STARTED step found on replay was
interrupted and goes through the retry strategy instead of running again. A failure asks the retry
strategy: RETRY (integer delay >= 1 s) and suspend, or FAIL and raise StepError. What can only fail again
is never retried (`durable_mp.errors_classify`): a non-callable func fails before any attempt, a result
that cannot be serialized (a generator, a set) or is over the payload limit fails the first attempt, and a
retry strategy (or its `retry_if` predicate) that raises fails the step with that exception, its message
also naming the step's own error. A step with `StepConfig.timeout` runs each attempt under it
(operations/step_timeout.py): an overrun fails the attempt with StepTimeoutError.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

from durable_mp.config import StepConfig, StepSemantics
from durable_mp.errors_classify import permanent_step_error
from durable_mp.exceptions import (
    ExecutionError,
    PayloadTooLargeError,
    SerDesError,
    StepError,
    StepInterruptedError,
    ValidationError,
    error_object_from_exception,
    operation_error_from_error_object,
)
from durable_mp.operations.serdes_errors import naming_operation
from durable_mp.operations.step_timeout import call_with_timeout, timeout_error
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
    if not callable(func):  # can never succeed: fail before any attempt, id or checkpoint
        what = f"step {name!r}" if name else "a step"
        raise ValidationError(
            f"{what} needs a callable func(step_context), got {type(func).__name__} {func!r}"
        )
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
        if config.timeout is None:
            termination.before_operation()
        else:
            termination.before_timed_step(config.timeout.seconds)
        started = time.monotonic()
    if op is None or op.status != STARTED:
        at_most_once = config.step_semantics is StepSemantics.AT_MOST_ONCE_PER_RETRY
        state.checkpointer.submit(ref.update(START), sync=at_most_once, required=at_most_once)
    attempt = (op.attempt if op is not None else 0) + 1
    step_context = StepContext(logger=ctx._op_logger(ref, attempt), attempt=attempt)
    body_returned = False
    try:
        try:
            raw = _attempt(
                ctx,
                ref,
                op,
                lambda sc: call_user_function(state, ref, func, sc, attempt=attempt),
                step_context,
                config,
            )
            body_returned = True
        finally:
            if termination is not None:
                termination.observe(time.monotonic() - started)
        try:
            payload = serialize(config.serdes, raw, ref.id, arn)
        except SerDesError as exc:
            raise naming_operation(exc, "step", ref.name, ref.id, raw) from exc
        update = ref.update(SUCCEED, payload=payload)
        check_payload(update)
    except ExecutionError:
        raise
    except PayloadTooLargeError as exc:  # can only fail again: no retry
        _fail(ctx, ref, exc)
    except Exception as exc:  # noqa: BLE001 - user code: every failure goes to the retry strategy
        if body_returned and permanent_step_error(exc):  # its result can never be checkpointed: no retry
            _fail(ctx, ref, exc)
        _retry_or_fail(ctx, ref, op, config, exc)
    state.checkpointer.submit(update, sync=True)
    return None if payload is None else deserialize(config.serdes, payload, ref.id, arn)


def _attempt(
    ctx: DurableContext,
    ref: OpRef,
    op: Operation | None,
    func: Callable[[StepContext], Any],
    step_context: StepContext,
    config: StepConfig,
) -> Any:
    """Run the step's body once, under `config.timeout` when it has one (see operations/step_timeout.py)."""
    if config.timeout is None:
        return func(step_context)
    seconds = config.timeout.seconds
    error = timeout_error(ref, step_context.attempt, seconds)
    return call_with_timeout(
        func,
        step_context,
        seconds,
        error,
        ctx.state.checkpointer,
        ref,
        lambda e: _failure_update(ref, op, config, e)[0],
    )


def _failure_update(
    ref: OpRef, op: Operation | None, config: StepConfig, error: Exception
) -> tuple[dict[str, Any], int | None, dict[str, Any]]:
    """What a failed attempt records: (RETRY update, delay, error object) or (FAIL update, None, error object).

    A retry strategy (or its `retry_if` predicate) that raises fails the step with that exception; its
    message also names the step's own error, which is chained, so neither is hidden."""
    strategy = config.retry_strategy or RetryPresets.default()
    attempts_made = (op.attempt if op is not None else 0) + 1
    try:
        decision = strategy(error, attempts_made)
        delay = max(1, int(decision.delay_seconds)) if decision.should_retry else None
    except Exception as strategy_error:  # noqa: BLE001 - user code: the step fails with its error
        strategy_error.__context__ = error
        failed = _strategy_failed(ref, error, strategy_error)
        return ref.update(FAIL, error=failed), None, failed
    error_object = error_object_from_exception(error)
    if delay is not None:
        update = ref.update(RETRY, error=error_object, StepOptions={"NextAttemptDelaySeconds": delay})
        return update, delay, error_object
    return ref.update(FAIL, error=error_object), None, error_object


def _retry_or_fail(
    ctx: DurableContext, ref: OpRef, op: Operation | None, config: StepConfig, error: Exception
) -> NoReturn:
    update, delay, error_object = _failure_update(ref, op, config, error)
    if delay is not None:
        ctx.state.checkpointer.submit(update, sync=True)
        suspend(f"retry of step {ref.name or ref.id} in {delay} s", delay, ref.id)
    _fail_with(ctx, ref, error_object)


def _strategy_failed(ref: OpRef, error: Exception, strategy_error: Exception) -> dict[str, Any]:
    """The error object of a step whose retry strategy raised: the strategy's exception, naming both."""
    failed = error_object_from_exception(strategy_error)
    failed["ErrorMessage"] = (
        f"{strategy_error} (raised by the retry strategy of step {ref.name or ref.id} while deciding on the "
        f"step's error {type(error).__name__}: {error})"
    )
    return failed


def _fail(ctx: DurableContext, ref: OpRef, error: Exception) -> NoReturn:
    _fail_with(ctx, ref, error_object_from_exception(error))


def _fail_with(ctx: DurableContext, ref: OpRef, error_object: dict[str, Any]) -> NoReturn:
    ctx.state.checkpointer.submit(ref.update(FAIL, error=error_object), sync=True)
    raise operation_error_from_error_object(error_object, StepError)
