"""DurableFunctionTestRunner: run durable handlers in-process on the local durable execution service.

Mirrors `aws_durable_execution_sdk_python_testing.DurableFunctionTestRunner` (1.4.0):

    with DurableFunctionTestRunner(handler) as runner:
        result = runner.run(input={"name": "World"}, timeout=10)
        assert result.status is InvocationStatus.SUCCEEDED
        assert result.get_step("greet").result == '"Hello World"'

Time is skipped by default (waits and retry delays end at once; callback deadlines stay real, since a
test may still send the callback). Beyond the official runner: `get_execution(arn)` and
`get_execution_history(arn)` return boto3-shaped dicts, and `lambda_client()` returns an object with the
boto3 `lambda` client's methods and exceptions, so code written against boto3 runs unchanged.
"""

from __future__ import annotations

import datetime
import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self, cast

import botocore.session
from botocore.errorfactory import ClientExceptionsFactory
from botocore.response import StreamingBody

from durable_mp.lambda_service import (
    _STATUSES,
    _TYPES,
    ErrorObject,
    InvocationStatus,
    OperationPayload,
    OperationStatus,
    OperationSubType,
    OperationType,
    _error,
    _timestamp,
    record,
)
from durable_mp.lambda_service import Operation as SvcOperation
from durable_mp.local import LocalDurableService, ServiceLimits
from durable_mp.local.latency import Latency
from durable_mp.local.stores import ExecutionStore
from durable_mp.service.client import ServiceError
from durable_mp.testing.exceptions import (
    DurableFunctionsTestError,
    InvalidParameterValueException,
    ResourceNotFoundException,
    ServiceException,
)
from durable_mp.testing.history import operations_from_events

if TYPE_CHECKING:
    from durable_mp.context import DurableContext


class ExecutionStatus(Enum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    STOPPED = "STOPPED"
    TIMED_OUT = "TIMED_OUT"


# Defaults of a chained (child) durable execution registered with register_durable_function
DEFAULT_CHILD_EXECUTION_TIMEOUT_SECONDS = 120
DEFAULT_CHILD_RETENTION_PERIOD_DAYS = 1

# ---------------------------------------------------------------------------------------- operations


@dataclass(frozen=True)
class Operation:
    operation_id: str
    operation_type: OperationType
    status: OperationStatus
    parent_id: str | None = field(default=None, kw_only=True)
    name: str | None = field(default=None, kw_only=True)
    sub_type: str | None = field(default=None, kw_only=True)
    start_timestamp: datetime.datetime | None = field(default=None, kw_only=True)
    end_timestamp: datetime.datetime | None = field(default=None, kw_only=True)


def _find(operations: list[Operation], name: str, where: str) -> Operation:
    for op in operations:
        if op.name == name:
            return op
    raise DurableFunctionsTestError(f"{where} with name '{name}' not found")


class _Children:
    """Lookups by name among the operations directly below (an operation's children, or the root's)."""

    child_operations: list[Operation]
    _what = "Child Operation"

    def _below(self) -> list[Operation]:
        return self.child_operations

    def get_operation_by_name(self, name: str) -> Operation:
        return _find(self._below(), name, self._what)

    def get_step(self, name: str) -> StepOperation:
        return cast(StepOperation, self.get_operation_by_name(name))

    def get_wait(self, name: str) -> WaitOperation:
        return cast(WaitOperation, self.get_operation_by_name(name))

    def get_context(self, name: str) -> ContextOperation:
        return cast(ContextOperation, self.get_operation_by_name(name))

    def get_callback(self, name: str) -> CallbackOperation:
        return cast(CallbackOperation, self.get_operation_by_name(name))

    def get_invoke(self, name: str) -> InvokeOperation:
        return cast(InvokeOperation, self.get_operation_by_name(name))

    def get_execution(self, name: str) -> ExecutionOperation:
        return cast(ExecutionOperation, self.get_operation_by_name(name))


class OperationFactory(Protocol):
    """What builds a test operation from a service operation (the OPERATION_FACTORIES values)."""

    @staticmethod
    def from_svc_operation(
        operation: SvcOperation, all_operations: list[SvcOperation] | None = None
    ) -> Operation: ...


# Test operations are built from the service's operation dicts (boto3 shape; timestamps as datetimes or epoch
# milliseconds), with no typed service operation in between and without their generated __init__ (see
# `record`): a big execution has thousands of them. `from_svc_operation` goes through the same code.
_Tree = dict[str | None, list[Mapping[str, Any]]]


def _tree(all_operations: Sequence[Mapping[str, Any]]) -> _Tree:
    children: _Tree = {}
    for op in all_operations:
        if op["Type"] != "EXECUTION":
            children.setdefault(op.get("ParentId"), []).append(op)
    return children


def _svc_tree(all_operations: list[SvcOperation] | None) -> _Tree:
    return _tree([op.to_dict() for op in all_operations or ()])


_SUB_TYPES = {member.value: member for member in OperationSubType}


def _common(op: Mapping[str, Any], expected: OperationType) -> dict[str, Any]:
    kind = _TYPES.get(op["Type"]) or OperationType(op["Type"])
    if kind is not expected:
        raise InvalidParameterValueException(f"Expected {expected.value} operation, got {kind}")
    sub_type = op.get("SubType") or None
    return {
        "operation_id": op["Id"],
        "operation_type": kind,
        "status": _STATUSES.get(op["Status"]) or OperationStatus(op["Status"]),
        "parent_id": op.get("ParentId"),
        "name": op.get("Name"),
        "sub_type": _SUB_TYPES.get(sub_type, sub_type),  # type: ignore[arg-type]
        "start_timestamp": _timestamp(op.get("StartTimestamp")),
        "end_timestamp": _timestamp(op.get("EndTimestamp")),
    }


def _nested(op: Mapping[str, Any], tree: _Tree) -> list[Operation]:
    return [_build(child, tree) for child in tree.get(op["Id"], [])]


@dataclass(frozen=True)
class ExecutionOperation(Operation):
    input_payload: str | None = None

    @staticmethod
    def from_svc_operation(
        operation: SvcOperation, all_operations: list[SvcOperation] | None = None
    ) -> ExecutionOperation:
        return _execution(operation.to_dict(), {})


@dataclass(frozen=True)
class ContextOperation(Operation, _Children):
    child_operations: list[Operation] = field(default_factory=list)
    result: OperationPayload | None = None
    error: ErrorObject | None = None

    @staticmethod
    def from_svc_operation(
        operation: SvcOperation, all_operations: list[SvcOperation] | None = None
    ) -> ContextOperation:
        return _context(operation.to_dict(), _svc_tree(all_operations))


@dataclass(frozen=True)
class StepOperation(ContextOperation):
    attempt: int = 0
    next_attempt_timestamp: datetime.datetime | None = None

    @staticmethod
    def from_svc_operation(
        operation: SvcOperation, all_operations: list[SvcOperation] | None = None
    ) -> StepOperation:
        return _step(operation.to_dict(), _svc_tree(all_operations))


@dataclass(frozen=True)
class WaitOperation(Operation):
    scheduled_end_timestamp: datetime.datetime | None = None

    @staticmethod
    def from_svc_operation(
        operation: SvcOperation, all_operations: list[SvcOperation] | None = None
    ) -> WaitOperation:
        return _wait(operation.to_dict(), {})


@dataclass(frozen=True)
class CallbackOperation(ContextOperation):
    callback_id: str | None = None

    @staticmethod
    def from_svc_operation(
        operation: SvcOperation, all_operations: list[SvcOperation] | None = None
    ) -> CallbackOperation:
        return _callback(operation.to_dict(), _svc_tree(all_operations))


@dataclass(frozen=True)
class InvokeOperation(Operation):
    result: OperationPayload | None = None
    error: ErrorObject | None = None

    @staticmethod
    def from_svc_operation(
        operation: SvcOperation, all_operations: list[SvcOperation] | None = None
    ) -> InvokeOperation:
        return _invoke(operation.to_dict(), {})


def _execution(op: Mapping[str, Any], tree: _Tree) -> ExecutionOperation:
    details = op.get("ExecutionDetails") or {}
    return record(
        ExecutionOperation,
        **_common(op, OperationType.EXECUTION),
        input_payload=details.get("InputPayload"),
    )


def _context(op: Mapping[str, Any], tree: _Tree) -> ContextOperation:
    details = op.get("ContextDetails") or {}
    return record(
        ContextOperation,
        **_common(op, OperationType.CONTEXT),
        child_operations=_nested(op, tree),
        result=details.get("Result"),
        error=_error(details),
    )


def _step(op: Mapping[str, Any], tree: _Tree) -> StepOperation:
    details = op.get("StepDetails") or {}
    return record(
        StepOperation,
        **_common(op, OperationType.STEP),
        child_operations=_nested(op, tree),
        result=details.get("Result"),
        error=_error(details),
        attempt=details.get("Attempt") or 0,
        next_attempt_timestamp=_timestamp(details.get("NextAttemptTimestamp")),
    )


def _wait(op: Mapping[str, Any], tree: _Tree) -> WaitOperation:
    details = op.get("WaitDetails") or {}
    return record(
        WaitOperation,
        **_common(op, OperationType.WAIT),
        scheduled_end_timestamp=_timestamp(details.get("ScheduledEndTimestamp")),
    )


def _callback(op: Mapping[str, Any], tree: _Tree) -> CallbackOperation:
    details = op.get("CallbackDetails") or {}
    return record(
        CallbackOperation,
        **_common(op, OperationType.CALLBACK),
        child_operations=_nested(op, tree),
        result=details.get("Result") or None,  # an empty result (sent without one) reads as None
        error=_error(details),
        callback_id=details.get("CallbackId"),
    )


def _invoke(op: Mapping[str, Any], tree: _Tree) -> InvokeOperation:
    details = op.get("ChainedInvokeDetails") or {}
    return record(
        InvokeOperation,
        **_common(op, OperationType.CHAINED_INVOKE),
        result=details.get("Result"),
        error=_error(details),
    )


_BUILDERS: dict[str, Callable[[Mapping[str, Any], _Tree], Operation]] = {
    "EXECUTION": _execution,
    "CONTEXT": _context,
    "STEP": _step,
    "WAIT": _wait,
    "CALLBACK": _callback,
    "CHAINED_INVOKE": _invoke,
}


def _build(op: Mapping[str, Any], tree: _Tree) -> Operation:
    return _BUILDERS[op["Type"]](op, tree)


OPERATION_FACTORIES: dict[OperationType, type[OperationFactory]] = {
    OperationType.EXECUTION: ExecutionOperation,
    OperationType.CONTEXT: ContextOperation,
    OperationType.STEP: StepOperation,
    OperationType.WAIT: WaitOperation,
    OperationType.CHAINED_INVOKE: InvokeOperation,
    OperationType.CALLBACK: CallbackOperation,
}


def create_operation(
    svc_operation: SvcOperation, all_operations: list[SvcOperation] | None = None
) -> Operation:
    """The test view of a service operation, with its children found among `all_operations`."""
    return _build(svc_operation.to_dict(), _svc_tree(all_operations))


# ---------------------------------------------------------------------------------------- result


@dataclass(frozen=True)
class DurableFunctionTestResult(_Children):
    status: InvocationStatus
    operations: list[Operation]
    result: OperationPayload | None = None
    error: ErrorObject | None = None
    execution_status: ExecutionStatus | None = None
    execution_arn: str | None = None

    @classmethod
    def create(
        cls, execution: dict[str, Any], ops: list[dict[str, Any]], arn: str | None = None
    ) -> DurableFunctionTestResult:
        """From a GetDurableExecution response and the execution's operations (boto3-shaped dicts)."""
        status = ExecutionStatus(execution["Status"])
        tree = _tree(ops)
        error = execution.get("Error")
        return cls(
            status=InvocationStatus.SUCCEEDED
            if status is ExecutionStatus.SUCCEEDED
            else InvocationStatus.FAILED,
            operations=[_build(op, tree) for op in tree.get(None, [])],
            result=execution.get("Result"),
            error=None if error is None else ErrorObject.from_dict(error),
            execution_status=status,
            execution_arn=arn or execution.get("DurableExecutionArn"),
        )

    @classmethod
    def from_execution_history(
        cls, execution_response: dict[str, Any], history_response: dict[str, Any]
    ) -> DurableFunctionTestResult:
        """From GetDurableExecution and GetDurableExecutionHistory responses (what a cloud runner sees)."""
        ops = operations_from_events(history_response.get("Events", []))
        return cls.create(execution_response, ops)

    _what = "Operation"

    def _below(self) -> list[Operation]:
        return self.operations

    def get_all_operations(self) -> list[Operation]:
        """Every operation, nested ones included (depth first)."""
        out: list[Operation] = []
        stack = list(reversed(self.operations))
        while stack:
            op = stack.pop()
            out.append(op)
            stack.extend(reversed(getattr(op, "child_operations", [])))
        return out

    @property
    def result_value(self) -> Any:
        """The result JSON-decoded (None when there is none)."""
        return None if not self.result else json.loads(self.result)


# ---------------------------------------------------------------------------------------- boto3-like client


_EXCEPTIONS = None


def _client_exceptions() -> Any:
    global _EXCEPTIONS
    if _EXCEPTIONS is None:
        model = botocore.session.get_session().get_service_model("lambda")
        _EXCEPTIONS = ClientExceptionsFactory().create_client_exceptions(model)
    return _EXCEPTIONS


class LocalLambdaClient:
    """The boto3 `lambda` client's durable-execution methods, served by a local service.

    Errors are raised as botocore `ClientError` subclasses (`client.exceptions.ResourceNotFoundException`,
    ...) with the service's Code and Message; timestamps are datetimes; `invoke` returns a streaming Payload.
    """

    _METHODS: ClassVar[dict[str, str]] = {
        "get_durable_execution": "GetDurableExecution",
        "get_durable_execution_history": "GetDurableExecutionHistory",
        "get_durable_execution_state": "GetDurableExecutionState",
        "checkpoint_durable_execution": "CheckpointDurableExecution",
        "list_durable_executions_by_function": "ListDurableExecutionsByFunction",
        "stop_durable_execution": "StopDurableExecution",
        "send_durable_execution_callback_success": "SendDurableExecutionCallbackSuccess",
        "send_durable_execution_callback_failure": "SendDurableExecutionCallbackFailure",
        "send_durable_execution_callback_heartbeat": "SendDurableExecutionCallbackHeartbeat",
        "invoke": "Invoke",
    }

    def __init__(self, service: LocalDurableService) -> None:
        self._service = service
        self.exceptions = _client_exceptions()

    def __getattr__(self, name: str) -> Callable[..., dict[str, Any]]:
        operation = self._METHODS.get(name)
        if operation is None:
            raise AttributeError(f"the local lambda client has no method {name!r}")
        target = getattr(self._service, name)

        def call(**kwargs: Any) -> dict[str, Any]:
            try:
                response = target(**kwargs)
            except ServiceError as exc:
                error_cls = self.exceptions.from_code(exc.code)
                raise error_cls(
                    {
                        "Error": {"Code": exc.code, "Message": exc.message},
                        "ResponseMetadata": {"HTTPStatusCode": exc.status},
                    },
                    operation,
                ) from None
            except TypeError as exc:
                raise TypeError(f"{name}: {exc}") from None
            response = dict(response)
            response["ResponseMetadata"] = {"HTTPStatusCode": response.get("StatusCode", 200)}
            if operation == "Invoke" and "Payload" in response:
                body = response["Payload"]
                response["Payload"] = StreamingBody(io.BytesIO(body), len(body))
            return response

        call.__name__ = name
        return call


# ---------------------------------------------------------------------------------------- runner


def _payload(value: Any) -> str | None:
    """Input as the execution's JSON payload: a JSON string is taken as is, anything else is encoded."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            json.loads(value)
            return value
        except ValueError:
            return json.dumps(value)
    return json.dumps(value)


class DurableFunctionTestRunner:
    def __init__(
        self,
        handler: Any,
        *,
        skip_time: bool = True,
        store: ExecutionStore | None = None,
        invocation_timeout: float | None = None,
        execution_timeout: int = 300,
        function_name: str = "test-function",
        poll_interval: float | None = None,
        region: str = "us-east-1",
        max_invocation_retries: int = 6,
        retry_backoff: float | Sequence[float] = 1.0,
        limits: ServiceLimits | None = None,
        latency: Latency | float | tuple[float, float] | str | None = None,
        max_invocation_page_bytes: int | None = None,  # accepted as officially; pages hold 1,000 operations
        isolation: str = "thread",
    ) -> None:
        """`limits`: the service quotas to enforce (default: Lambda's, see `ServiceLimits`); `latency`: a
        delay in seconds (or a (low, high) range, or "10-30ms") on each checkpoint and state call;
        `retry_backoff`: the real-time delays between crashed invocations (a doubling base or a list);
        `isolation="process"`: each invocation in its own OS process (the handler must be importable by
        reference, see `durable_mp.local.isolation`)."""
        if not callable(getattr(handler, "durable_invoke", None)):
            raise TypeError("handler must be decorated with @durable_execution (it has no durable_invoke)")
        self._execution_timeout = execution_timeout
        self._function_name = function_name
        self.service = LocalDurableService(
            store=store,
            skip_time=skip_time,
            invocation_timeout=invocation_timeout,
            region=region,
            max_invocation_retries=max_invocation_retries,
            retry_backoff=retry_backoff,
            limits=limits,
            latency=latency,
            isolation=isolation,
        )
        self.service.register_durable_function(function_name, handler)
        self._last_arn: str | None = None
        self.poll_interval = poll_interval

    # lifecycle
    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.service.close()

    # targets
    def register_durable_function(
        self,
        function_name: str,
        handler: Any,
        execution_timeout: int = DEFAULT_CHILD_EXECUTION_TIMEOUT_SECONDS,
        retention_period_days: int = DEFAULT_CHILD_RETENTION_PERIOD_DAYS,
    ) -> DurableFunctionTestRunner:
        """Register a durable function as a chained-invoke target (the local service gives a chained
        execution the parent's remaining time; `execution_timeout` and `retention_period_days` are
        accepted for compatibility)."""
        self.service.register_durable_function(function_name, handler)
        return self

    def register_function(self, function_name: str, handler: Callable[..., Any]) -> DurableFunctionTestRunner:
        self.service.register_function(function_name, handler)
        return self

    # running
    def run(
        self,
        input: Any = None,
        execution_timeout: int | None = None,
        timeout: float | None = None,
        function_name: str | None = None,
        execution_name: str | None = None,
        account_id: str | None = None,
        tenant_id: str | None = None,
        **_ignored: Any,
    ) -> DurableFunctionTestResult:
        """Start an execution and wait for its end (`timeout` real seconds, default 60); TimeoutError
        ("Execution did not complete within timeout") when it has not ended by then, as officially."""
        arn = self.run_async(
            input,
            execution_timeout=execution_timeout,
            function_name=function_name,
            execution_name=execution_name,
            tenant_id=tenant_id,
        )
        return self.wait_for_result(arn, timeout=60 if timeout is None else timeout)

    def run_async(
        self,
        input: Any = None,
        execution_timeout: int | None = None,
        timeout: int | None = None,
        function_name: str | None = None,
        execution_name: str | None = None,
        account_id: str | None = None,
        tenant_id: str | None = None,
        **_ignored: Any,
    ) -> str:
        """Start an execution; returns its ARN (`timeout` is the execution timeout when that is not given)."""
        limit = execution_timeout if execution_timeout is not None else (timeout or self._execution_timeout)
        arn = self.service.start_execution(
            function_name or self._function_name,
            _payload(input),
            name=execution_name,
            execution_timeout=int(limit),
            tenant_id=tenant_id,
        )
        self._last_arn = arn
        return arn

    def wait_for_result(self, execution_arn: str, timeout: float = 60) -> DurableFunctionTestResult:
        try:
            execution = self.service.wait_for_execution(execution_arn, timeout=timeout)
        except TimeoutError:
            raise TimeoutError("Execution did not complete within timeout") from None
        return self._result(execution_arn, execution)

    def _result(self, arn: str, execution: dict[str, Any]) -> DurableFunctionTestResult:
        return DurableFunctionTestResult.create(execution, self.service.operations(arn), arn)

    def wait_for_callback(self, execution_arn: str, name: str | None = None, timeout: float = 60) -> str:
        """The CallbackId of an open callback (by name, else the latest) once its invocation has ended."""
        found: list[str] = []

        def ready() -> bool:
            events = self.service.events(execution_arn)
            open_ids = _open_callbacks(events, name)
            if open_ids:
                found.append(open_ids[-1])
                return True
            status = self.service.status(execution_arn)
            if status != "RUNNING":
                raise DurableFunctionsTestError(
                    f"execution ended ({status}) without an open callback"
                    + (f" named {name!r}" if name else "")
                )
            return False

        if not self.service.wait_until(ready, timeout):
            raise TimeoutError(f"Callback did not become available within {timeout}s")
        return found[-1]

    # pausing (experimental, as officially)
    def pause_execution(self, execution_arn: str, timeout: float = 60) -> None:
        """Pause an execution and wait until its running invocation, if any, has stopped.

        The running invocation's next checkpoint is saved and answered without a token, so it ends with
        PENDING; no invocation starts until `resume_execution`. A running step is not interrupted; a
        completed execution is unchanged. Raises InvalidParameterValueException (blank ARN),
        ResourceNotFoundException, ValueError (timeout not finite and positive), TimeoutError."""
        _api_call(self.service.pause_execution, execution_arn, timeout)

    def resume_execution(self, execution_arn: str) -> None:
        """Answer the execution's checkpoints with tokens again and start the invocation held back."""
        _api_call(self.service.resume_execution, execution_arn)

    # callbacks
    def send_callback_success(self, callback_id: str, result: bytes | str | None = None) -> None:
        self.service.send_durable_execution_callback_success(CallbackId=callback_id, Result=result)

    def send_callback_failure(
        self, callback_id: str, error: ErrorObject | dict[str, Any] | None = None
    ) -> None:
        if isinstance(error, ErrorObject):
            error = error.to_dict()
        self.service.send_durable_execution_callback_failure(CallbackId=callback_id, Error=error)

    def send_callback_heartbeat(self, callback_id: str) -> None:
        self.service.send_durable_execution_callback_heartbeat(CallbackId=callback_id)

    # inspection
    def get_execution(self, execution_arn: str) -> dict[str, Any]:
        return self.service.get_durable_execution(DurableExecutionArn=execution_arn)

    def get_execution_history(
        self, execution_arn: str, include_execution_data: bool = True
    ) -> dict[str, Any]:
        """Every event of the execution (all pages), boto3 GetDurableExecutionHistory shape."""
        events: list[dict[str, Any]] = []
        marker: str | None = None
        while True:
            kwargs: dict[str, Any] = {
                "DurableExecutionArn": execution_arn,
                "IncludeExecutionData": include_execution_data,
                "MaxItems": 1000,
            }
            if marker:
                kwargs["Marker"] = marker
            page = self.service.get_durable_execution_history(**kwargs)
            events.extend(page["Events"])
            marker = page.get("NextMarker")
            if not marker:
                return {"Events": events}

    def lambda_client(self) -> LocalLambdaClient:
        return LocalLambdaClient(self.service)


class DurableChildContextTestRunner(DurableFunctionTestRunner):
    """Run one `@durable_with_child_context` function as a whole execution, to test it in isolation.

    `context_function(*args, **kwargs)` is called with the execution's root context.
    """

    def __init__(
        self,
        context_function: Callable[..., Callable[[DurableContext], Any]],
        *args: Any,
        skip_time: bool = True,
        **kwargs: Any,
    ) -> None:
        from durable_mp.execution import durable_execution

        @durable_execution
        def handler(event: Any, context: DurableContext) -> Any:
            return context_function(*args, **kwargs)(context)

        super().__init__(handler, skip_time=skip_time)


def _api_call(call: Callable[..., None], *args: Any) -> None:
    """A service call whose API errors are raised as the testing SDK's exceptions."""
    try:
        call(*args)
    except ServiceError as exc:
        error_cls = {
            "InvalidParameterValueException": InvalidParameterValueException,
            "ResourceNotFoundException": ResourceNotFoundException,
        }.get(exc.code, ServiceException)
        raise error_cls(exc.message) from None


def _open_callbacks(events: list[dict[str, Any]], name: str | None) -> list[str]:
    """Callback ids started, not yet completed, whose creating invocation has completed."""
    started: dict[str, tuple[int, str, str | None]] = {}
    closed: set[str] = set()
    last_invocation_end = 0
    for event in events:
        etype = event["EventType"]
        if etype == "CallbackStarted":
            started[event["Id"]] = (
                event["EventId"],
                event["CallbackStartedDetails"]["CallbackId"],
                event.get("Name"),
            )
        elif etype in ("CallbackSucceeded", "CallbackFailed", "CallbackTimedOut"):
            closed.add(event["Id"])
        elif etype == "InvocationCompleted":
            last_invocation_end = event["EventId"]
    if name is not None:
        for op_id, (_, _, cb_name) in started.items():
            if cb_name == name and op_id in closed:
                raise DurableFunctionsTestError(
                    f"Callback {name} has already completed (succeeded/failed/timed out)"
                )
    return [
        cid
        for op_id, (event_id, cid, cb_name) in started.items()
        if op_id not in closed and event_id < last_invocation_end and (name is None or cb_name == name)
    ]


def __getattr__(name: str) -> Any:
    # The cloud runner is public here too, as officially; it builds on this module, so it loads lazily
    if name == "DurableFunctionCloudTestRunner":
        from durable_mp.testing.cloud import DurableFunctionCloudTestRunner

        return DurableFunctionCloudTestRunner
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "OPERATION_FACTORIES",
    "CallbackOperation",
    "ContextOperation",
    "DurableChildContextTestRunner",
    "DurableFunctionTestResult",
    "DurableFunctionTestRunner",
    "DurableFunctionsTestError",
    "ExecutionOperation",
    "ExecutionStatus",
    "InvocationStatus",
    "InvokeOperation",
    "Latency",
    "LocalLambdaClient",
    "Operation",
    "ServiceLimits",
    "StepOperation",
    "WaitOperation",
    "create_operation",
]
