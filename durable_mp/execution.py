"""@durable_execution and the Lambda glue (the invocation input and output of Lambda durable functions).

One invocation: parse the input (a clear error naming a missing key), page the rest of the execution
state, build the replay state and the checkpointer, run the handler, flush, and return SUCCEEDED /
FAILED / PENDING. Service errors are classified: retriable ones are re-raised so Lambda retries the
invocation, permanent ones fail the execution.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from durable_mp.concurrency.fanout import is_batch_event, run_batch_event
from durable_mp.context import DurableContext
from durable_mp.exceptions import (
    BackgroundThreadError,
    CheckpointError,
    ExecutionError,
    GetExecutionStateError,
    InvocationError,
    SuspendExecution,
    error_object_from_exception,
)
from durable_mp.invocation import (
    LAMBDA_RESPONSE_SIZE_LIMIT,
    DurableExecutionInvocationInput,
    DurableExecutionInvocationInputWithClient,
    InitialExecutionState,
    handle_checkpoint_error,
)
from durable_mp.plugins.discovery import load_configured_plugins
from durable_mp.plugins.dispatch import PluginExecutor
from durable_mp.plugins.info import DurableInstrumentationPluginFactory
from durable_mp.plugins.sink import PluginSink
from durable_mp.service.client import DurableServiceClient, as_service_error, call_with_backoff
from durable_mp.state import CheckpointSink, ExecutionState
from durable_mp.state.checkpoint import MODES, Checkpointer, TokenRevoked
from durable_mp.state.replay import ReplayState
from durable_mp.termination import YIELD_WAIT_SECONDS, TerminationManager, TerminationYield
from durable_mp.wire import (
    EXECUTION,
    FAIL,
    LAMBDA_RESPONSE_LIMIT,
    START,
    SUCCEED,
    WAIT,
    InvocationStatus,
    Operation,
    OpRef,
)

EXECUTORS = ("processes", "threads", "inline")
__all__ = [
    "LAMBDA_RESPONSE_SIZE_LIMIT",
    "DurableExecutionInvocationInput",
    "DurableExecutionInvocationInputWithClient",
    "InitialExecutionState",
    "InvocationStatus",
    "durable_execution",
    "handle_checkpoint_error",
    "run_invocation",
]


def _required(event: Any, key: str) -> Any:
    if not isinstance(event, dict):
        raise ExecutionError(
            f"Unexpected payload provided to start the durable execution: expected a JSON object with "
            f"DurableExecutionArn and CheckpointToken, got {type(event).__name__}. Check that durability is "
            f"enabled for this function."
        )
    if not event.get(key):
        raise ExecutionError(
            f"Unexpected payload provided to start the durable execution: missing {key!r}. Check that "
            f"durability is enabled for this function."
        )
    return event[key]


def _load_operations(
    client: DurableServiceClient,
    arn: str,
    token: str,
    initial: dict[str, Any],
    time_left: Callable[[], float],
) -> list[Operation]:
    ops = [Operation.from_dict(d) for d in initial.get("Operations") or ()]
    marker = initial.get("NextMarker")
    while marker:

        def get_page(m: str = marker) -> dict[str, Any]:
            return client.get_execution_state(arn, token, m, 1000)

        try:
            page = call_with_backoff(get_page, time_left)
        except Exception as exc:  # every failure is a classified ServiceError (durable_mp.errors_classify)
            raise GetExecutionStateError.from_service_error(as_service_error(exc)) from exc
        ops.extend(Operation.from_dict(d) for d in page.get("Operations") or ())
        marker = page.get("NextMarker")
    return ops


@dataclass(frozen=True)
class _Settings:
    """The options given to @durable_execution."""

    checkpoint_mode: str
    executor: str | None
    workers: int | str | None
    termination_margin: float | None
    log_during_replay: bool
    logger_factory: Callable[[Any], Any] | None
    max_operations: int | None = None
    plugins: tuple[DurableInstrumentationPluginFactory, ...] = ()


def run_invocation(
    func: Callable[[Any, DurableContext], Any],
    event: Any,
    lambda_context: Any,
    client: DurableServiceClient,
    settings: _Settings,
) -> dict[str, Any]:
    """Run one invocation of a durable handler; return the invocation output dict."""
    arn = _required(event, "DurableExecutionArn")
    token = _required(event, "CheckpointToken")
    termination = TerminationManager(lambda_context, settings.termination_margin)
    try:
        ops = _load_operations(
            client, arn, token, event.get("InitialExecutionState") or {}, termination.seconds_left
        )
    except GetExecutionStateError as exc:
        if exc.retriable:
            raise
        return {"Status": "FAILED", "Error": error_object_from_exception(exc)}
    replay = ReplayState(arn, ops)
    checkpointer = Checkpointer(
        client,
        replay,
        token,
        mode=settings.checkpoint_mode,
        time_left=termination.seconds_left,
        on_request=termination.observe_checkpoint,
    )
    plugins = PluginExecutor(settings.plugins) if settings.plugins else None
    state = ExecutionState(
        replay=replay,
        checkpointer=checkpointer
        if plugins is None
        else cast(CheckpointSink, PluginSink(checkpointer, replay, plugins)),
        plugins=plugins,
        lambda_context=lambda_context,
        termination=termination,
        executor=settings.executor,
        workers=settings.workers,
        log_during_replay=settings.log_during_replay,
        logger_factory=settings.logger_factory,
    )
    state.extras["max_operations"] = settings.max_operations
    raw_input = replay.input_payload
    input_event = json.loads(raw_input) if raw_input and raw_input.strip() else {}
    if is_batch_event(input_event):  # a child execution of a map on executor="invoke"
        func = run_batch_event
    ctx = DurableContext(state, replaying=replay.has_prior_operations)
    try:
        if plugins is None:
            return _run(func, input_event, ctx, state)
        return _run_with_plugins(func, input_event, ctx, state, plugins, event)
    finally:
        checkpointer.close()


def _run_with_plugins(
    func: Callable[[Any, DurableContext], Any],
    input_event: Any,
    ctx: DurableContext,
    state: ExecutionState,
    plugins: PluginExecutor,
    event: dict[str, Any],
) -> dict[str, Any]:
    """`_run` between the invocation start and end hooks (the end hook also when the invocation raises)."""
    replay = state.replay
    execution_op = replay.execution_op
    plugins.invocation_start(
        execution_arn=replay.execution_arn,
        is_first_invocation=not replay.has_prior_operations,
        execution_start_time=None
        if execution_op is None or execution_op.start_ms is None
        else datetime.fromtimestamp(execution_op.start_ms / 1000, UTC),
        lambda_context=state.lambda_context,
        execution_input=input_event,
        operations=lambda: dict(replay.ops),
        updated_operation_ids=list(event.get("UpdatedOperationIds") or ()),
    )
    replay.on_change = plugins.operations_changed
    try:
        output = _run(func, input_event, ctx, state)
    except BaseException as exc:
        try:
            plugins.invocation_end({"Status": "RETRY", "Error": error_object_from_exception(exc)})
        except BaseException:
            logging.getLogger("durable_mp.plugin").exception(
                "Plugin invocation-end hook failed while the invocation was already failing"
            )
        raise
    finally:
        replay.on_change = None
    plugins.invocation_end(output)
    return output


def _run(
    func: Callable[[Any, DurableContext], Any], input_event: Any, ctx: DurableContext, state: ExecutionState
) -> dict[str, Any]:
    checkpointer = state.checkpointer
    try:
        try:
            result = func(input_event, ctx)
        finally:
            if not checkpointer.revoked:
                checkpointer.flush()
        output = json.dumps(result)
        if len(output) > LAMBDA_RESPONSE_LIMIT:
            checkpointer.submit(_execution_result().update(SUCCEED, payload=output), sync=True, required=True)
            return {"Status": "SUCCEEDED", "Result": ""}
        return {"Status": "SUCCEEDED", "Result": output}
    except TerminationYield:
        try:
            return _yield(state)
        except CheckpointError as exc:
            return _classify(exc, checkpointer.revoked)
    except SuspendExecution:
        return {"Status": "PENDING"}
    except BackgroundThreadError as exc:
        return _classify(exc.source_exception, checkpointer.revoked)
    except (CheckpointError, InvocationError) as exc:
        return _classify(exc, checkpointer.revoked)
    except ExecutionError as exc:
        if checkpointer.revoked:
            return {"Status": "PENDING"}
        return {"Status": "FAILED", "Error": error_object_from_exception(exc)}
    except Exception as exc:  # noqa: BLE001 - the user's handler failed: the execution fails
        if checkpointer.revoked:
            return {"Status": "PENDING"}
        return _failed(exc, checkpointer)


def _classify(exc: BaseException, revoked: bool) -> dict[str, Any]:
    if revoked or isinstance(exc, TokenRevoked):
        return {"Status": "PENDING"}
    if getattr(exc, "retriable", False):
        raise exc
    return {"Status": "FAILED", "Error": error_object_from_exception(exc)}


def _failed(exc: Exception, checkpointer: CheckpointSink) -> dict[str, Any]:
    error = error_object_from_exception(exc)
    if len(json.dumps(error)) <= LAMBDA_RESPONSE_LIMIT:
        return {"Status": "FAILED", "Error": error}
    checkpointer.submit(_execution_result().update(FAIL, error=error), sync=True, required=True)
    return {"Status": "FAILED"}


def _execution_result() -> OpRef:
    """The EXECUTION update that carries an outcome too large for the Lambda response (over 6 MB)."""
    return OpRef(f"execution-result-{int(time.time() * 1000)}", EXECUTION, None, None, None)


def _yield(state: ExecutionState) -> dict[str, Any]:
    """Stop before the deadline: flush, record a 1 s wait the service will wake us from, return PENDING."""
    ref = OpRef(f"durable-mp-yield-{int(time.time() * 1000)}", WAIT, "Wait", "durable-mp:yield", None)
    try:
        state.checkpointer.submit(
            ref.update(START, WaitOptions={"WaitSeconds": YIELD_WAIT_SECONDS}), sync=True, required=True
        )
    except TokenRevoked:
        pass
    if state.termination is not None:
        state.termination.yield_done()
    return {"Status": "PENDING"}


def durable_execution(
    func: Callable[[Any, DurableContext], Any] | None = None,
    *,
    boto3_client: Any = None,
    checkpoint_mode: str = "batched",
    executor: str | None = None,
    workers: int | str | None = None,
    termination_margin: float | None = None,
    log_during_replay: bool = False,
    logger_factory: Callable[[Any], Any] | None = None,
    max_operations: int | None = None,
    plugins: list[DurableInstrumentationPluginFactory] | None = None,
) -> Any:
    """Turn `handler(event, context: DurableContext)` into a Lambda handler for durable functions.

    Bare (`@durable_execution`) or with options: `boto3_client` (a boto3 `lambda` client; default one
    shared client per process), `checkpoint_mode` ("batched" default, "eager", "optimistic"), `executor`
    and `workers` (process-wide defaults for map/parallel; the env vars DURABLE_MP_EXECUTOR and
    DURABLE_MP_WORKERS also set them), `termination_margin` (seconds before the deadline at which the
    invocation yields; see `durable_mp.termination`), `log_during_replay` (context.logger also logs
    while replaying), `logger_factory` (a callable (LogInfo) -> logger used by context.logger, e.g. for
    structured JSON logs: see `durable_mp.logger`), `max_operations` (the operation limit of one
    execution that map/parallel plan against; default DURABLE_MP_MAX_OPERATIONS, else 3,000: see
    `durable_mp.planning`), `plugins` (instrumentation plugin factories, each with `create_plugin(info)`
    called once per invocation; those named in DURABLE_EXECUTION_PLUGINS follow: see
    `durable_mp.plugin`).

    An input carrying the reserved key "__durable_mp_batch__" is a batch of a map on
    executor="invoke" sent by a parent execution: it runs that batch instead of `func`.
    """
    if checkpoint_mode not in MODES:
        raise ValueError(f"checkpoint_mode must be one of {MODES}, got {checkpoint_mode!r}")
    if executor is not None and executor not in EXECUTORS:
        raise ValueError(f"executor must be one of {EXECUTORS}, got {executor!r}")
    settings = _Settings(
        checkpoint_mode=checkpoint_mode,
        executor=executor,
        workers=workers,
        termination_margin=termination_margin,
        log_during_replay=log_during_replay,
        logger_factory=logger_factory,
        max_operations=max_operations,
        plugins=tuple(load_configured_plugins(plugins)),
    )
    if max_operations is not None and (
        isinstance(max_operations, bool) or not isinstance(max_operations, int) or max_operations < 1
    ):
        raise ValueError(f"max_operations must be a positive int, got {max_operations!r}")

    def decorate(f: Callable[[Any, DurableContext], Any]) -> Any:
        from durable_mp.concurrency.prestart import prestart

        prestart(executor, workers)  # workers boot in the background while the module loads (Lambda INIT)

        @functools.wraps(f)
        def handler(event: Any, context: Any) -> dict[str, Any]:
            from durable_mp.service.boto import BotoServiceClient

            if isinstance(event, DurableExecutionInvocationInputWithClient):  # a test injecting its client
                return run_invocation(f, event.to_json_dict(), context, event.service_client, settings)
            return run_invocation(f, event, context, BotoServiceClient(boto3_client), settings)

        def durable_invoke(
            event: dict[str, Any], lambda_context: Any, service_client: DurableServiceClient
        ) -> dict[str, Any]:
            return run_invocation(f, event, lambda_context, service_client, settings)

        handler.durable_invoke = durable_invoke  # type: ignore[attr-defined]
        handler.durable_settings = settings  # type: ignore[attr-defined]
        return handler

    return decorate(func) if func is not None else decorate
