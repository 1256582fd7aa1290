"""The exceptions of durable-mp: the official SDK's hierarchy, plus a `retriable` verdict on every error.

Three families:

- Errors the user sees from a durable operation (`DurableOperationError` and its per-operation
  subclasses `StepError`, `InvokeError`, `ChildContextError`, `WaitForConditionError`, `CallbackError`...).
  Each carries the checkpointed error fields (`error_type`, `message`, `data`, `stack_trace`) and is
  rebuilt from them on replay, so a first run and a replay raise the same thing.
- Errors that end an invocation (`UnrecoverableError`): `ExecutionError` fails the execution for good,
  `InvocationError` makes Lambda retry the invocation. `CheckpointError` and `GetExecutionStateError`
  wrap a `durable_mp.service.client.ServiceError` (no botocore needed).
- Control flow that user code must not swallow: `SuspendExecution`, `TimedSuspendExecution` and
  `OrphanedChildException` derive from `BaseException`, so `except Exception:` lets them through.

`DurableExecutionsError.retriable` says whether the same thing may succeed if tried again later:
throttling and 5xx from the service are retriable; validation errors, non-determinism and a payload
over the 262,144-byte limit are not.

`ErrorObject` is a checkpointed error; `error_object_from_exception` writes the wire ErrorObject for an
exception exactly like the official SDK; `DurableOperationError.from_error_object` reads one back.

This module sits at the bottom of the import graph: it imports only the standard library, the
tiny `durable_mp.service.client` and `durable_mp.errors_classify` (where errors are classified).
"""

from __future__ import annotations

import builtins
import json
import time
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, NoReturn, Self, TypedDict

from durable_mp.errors_classify import NON_RETRYABLE_CUSTOMER_ERROR_CODES, api_error_category  # noqa: F401
from durable_mp.service.client import ServiceError
from durable_mp.stack_trace import stack_trace_of

if TYPE_CHECKING:
    import datetime

BAD_REQUEST_ERROR: int = 400
TOO_MANY_REQUESTS_ERROR: int = 429
SERVICE_ERROR: int = 500
INVALID_PARAMETER_VALUE_EXCEPTION: str = "InvalidParameterValueException"
INVALID_CHECKPOINT_TOKEN_PREFIX: str = "Invalid checkpoint token"
PAYLOAD_SIZE_LIMIT_BYTES: int = 262_144


# Where the official SDK defines its operation errors: ErrorType strings it wrote read back as our classes.
_OFFICIAL_MODULE = "aws_durable_execution_sdk_python.exceptions"
_OFFICIAL_OPERATION_ERRORS: dict[str, str] = {
    name: _OFFICIAL_MODULE
    for name in (
        "StepError",
        "InvokeError",
        "ChildContextError",
        "WaitForConditionError",
        "CallbackError",
        "CallbackExternalError",
        "CallbackTimeoutError",
        "CallbackSubmitterError",
    )
} | {"BatchCompletionError": "aws_durable_execution_sdk_python.concurrency.models"}
# Every exception class of the official `exceptions` module (3.0.0): ours of the same name are written
# with the official spelling.
_OFFICIAL_EXCEPTIONS: frozenset[str] = frozenset(
    {
        "DurableExecutionsError",
        "PluginLoadError",
        "UnrecoverableError",
        "ExecutionError",
        "InvocationError",
        "BotoClientError",
        "NonDeterministicExecutionError",
        "CheckpointError",
        "ValidationError",
        "GetExecutionStateError",
        "InvalidStateError",
        "DurableOperationError",
        "StepError",
        "InvokeError",
        "ChildContextError",
        "WaitForConditionError",
        "SerDesError",
        "CallbackError",
        "CallbackExternalError",
        "CallbackTimeoutError",
        "CallbackSubmitterError",
        "StepInterruptedError",
        "RetryableSerDesError",
        "BackgroundThreadError",
        "SuspendExecution",
        "TimedSuspendExecution",
        "OrderedLockError",
        "OrphanedChildException",
    }
)


class AwsErrorObj(TypedDict):
    """The `Error` member of an AWS error response."""

    Code: str | None
    Message: str | None


class AwsErrorMetadata(TypedDict):
    """The `ResponseMetadata` member of an AWS error response."""

    RequestId: str | None
    HostId: str | None
    HTTPStatusCode: int | None
    HTTPHeaders: str | None
    RetryAttempts: str | None


class TerminationReason(Enum):
    """Why a durable execution (or invocation) terminated."""

    UNHANDLED_ERROR = "UNHANDLED_ERROR"
    INVOCATION_ERROR = "INVOCATION_ERROR"
    EXECUTION_ERROR = "EXECUTION_ERROR"
    CHECKPOINT_FAILED = "CHECKPOINT_FAILED"
    NON_DETERMINISTIC_EXECUTION = "NON_DETERMINISTIC_EXECUTION"
    STEP_INTERRUPTED = "STEP_INTERRUPTED"
    SERIALIZATION_ERROR = "SERIALIZATION_ERROR"


class DurableExecutionsError(Exception):
    """Base class of durable-mp's errors.

    `retriable` is False here and in every subclass unless documented otherwise.
    """

    @property
    def retriable(self) -> bool:
        """Whether trying the same thing again later may succeed (False for this class)."""
        return False


class PluginLoadError(DurableExecutionsError):
    """A dynamically configured instrumentation plugin could not be loaded. Not retriable."""


class UnrecoverableError(DurableExecutionsError):
    """An error that ends the invocation; `termination_reason` says why."""

    def __init__(self, message: str, termination_reason: TerminationReason) -> None:
        super().__init__(message)
        self.termination_reason = termination_reason


class ExecutionError(UnrecoverableError):
    """Fails the execution (status FAILED) without a retry. Not retriable."""

    def __init__(
        self, message: str, termination_reason: TerminationReason = TerminationReason.EXECUTION_ERROR
    ) -> None:
        super().__init__(message, termination_reason)


class InvocationError(UnrecoverableError):
    """Raised out of the handler so that Lambda retries the invocation.

    Retriable unless a subclass says not.
    """

    def __init__(
        self, message: str, termination_reason: TerminationReason = TerminationReason.INVOCATION_ERROR
    ) -> None:
        super().__init__(message, termination_reason)

    def is_retryable(self) -> bool:
        """Whether Lambda should retry the invocation (True here)."""
        return True

    @property
    def retriable(self) -> bool:
        """Same as `is_retryable()`."""
        return self.is_retryable()


class DurableApiErrorCategory(Enum):
    """INVOCATION: retry the invocation; EXECUTION: fail the execution."""

    INVOCATION = "INVOCATION"
    EXECUTION = "EXECUTION"


CheckpointErrorCategory = DurableApiErrorCategory


def classify_api_error(code: str | None, message: str | None, status: int | None) -> DurableApiErrorCategory:
    """Classify a service API error the way the official SDK does (see `durable_mp.errors_classify`)."""
    return DurableApiErrorCategory(api_error_category(code, message, status))


class BotoClientError(InvocationError):
    """A failed call to the durable execution API (checkpoint, get state).

    Retriable when `error_category` is INVOCATION (throttling, 5xx, stale token); not retriable for
    other 4xx errors (validation, payload too large, not found) and KMS misconfiguration.
    """

    def __init__(
        self,
        message: str,
        error_category: DurableApiErrorCategory = DurableApiErrorCategory.INVOCATION,
        error: AwsErrorObj | None = None,
        response_metadata: AwsErrorMetadata | None = None,
        termination_reason: TerminationReason = TerminationReason.INVOCATION_ERROR,
    ) -> None:
        super().__init__(message, termination_reason)
        self.error: AwsErrorObj | None = error
        self.response_metadata: AwsErrorMetadata | None = response_metadata
        self.error_category: DurableApiErrorCategory = error_category

    @classmethod
    def from_exception(cls, exception: BaseException) -> Self:
        """Wrap a `ServiceError`, or any exception with a boto-style `response` dict."""
        if isinstance(exception, ServiceError):
            error: Any = {"Code": exception.code, "Message": exception.message}
            metadata: Any = {"HTTPStatusCode": exception.status}
            category = classify_api_error(exception.code, exception.message, exception.status)
        else:
            response = getattr(exception, "response", None) or {}
            error = response.get("Error")
            metadata = response.get("ResponseMetadata")
            category = classify_api_error(
                (error or {}).get("Code"),
                (error or {}).get("Message"),
                (metadata or {}).get("HTTPStatusCode"),
            )
        wrapped = cls(str(exception), category, error, metadata)
        wrapped.__cause__ = exception
        return wrapped

    @classmethod
    def from_service_error(cls, error: ServiceError) -> Self:
        """Wrap a `ServiceError` (same as `from_exception`)."""
        return cls.from_exception(error)

    def is_retryable(self) -> bool:
        """True when the invocation should be retried (category INVOCATION)."""
        return self.error_category == DurableApiErrorCategory.INVOCATION

    is_retriable = is_retryable

    def build_logger_extras(self) -> dict[str, Any]:
        """The AWS error and response metadata, PascalCase, for a log record."""
        extras: dict[str, Any] = {}
        if self.error:
            extras["Error"] = self.error
        if self.response_metadata:
            extras["ResponseMetadata"] = self.response_metadata
        return extras


class NonDeterministicExecutionError(ExecutionError):
    """The code asked for a different operation than the one recorded at this id. Not retriable."""

    def __init__(self, message: str, step_id: str | None = None) -> None:
        super().__init__(message, TerminationReason.NON_DETERMINISTIC_EXECUTION)
        self.step_id = step_id


class CheckpointError(BotoClientError):
    """A checkpoint call failed; ends the invocation. Retriable as classified (see `BotoClientError`)."""

    def __init__(
        self,
        message: str,
        error_category: DurableApiErrorCategory = DurableApiErrorCategory.INVOCATION,
        error: AwsErrorObj | None = None,
        response_metadata: AwsErrorMetadata | None = None,
    ) -> None:
        super().__init__(
            message,
            error_category,
            error,
            response_metadata,
            termination_reason=TerminationReason.CHECKPOINT_FAILED,
        )


class GetExecutionStateError(BotoClientError):
    """Fetching a page of execution state failed. Retriable as classified (see `BotoClientError`)."""

    def __init__(
        self,
        message: str,
        error_category: DurableApiErrorCategory = DurableApiErrorCategory.INVOCATION,
        error: AwsErrorObj | None = None,
        response_metadata: AwsErrorMetadata | None = None,
    ) -> None:
        super().__init__(
            message,
            error_category,
            error,
            response_metadata,
            termination_reason=TerminationReason.INVOCATION_ERROR,
        )


class ValidationError(DurableExecutionsError):
    """Bad arguments to a durable operation or config. Not retriable."""


class InvalidConfigError(ValidationError, ValueError):
    """A config field holds a value durable-mp does not accept; the message names the field.

    Also a `ValueError`, for code that checks arguments that way. Not retriable.
    """


class PayloadTooLargeError(ValidationError):
    """A payload over the service's 262,144-byte limit per operation.

    Not retriable: the same payload can only fail again.
    """

    def __init__(self, size: int, limit: int = PAYLOAD_SIZE_LIMIT_BYTES, what: str = "payload") -> None:
        super().__init__(f"{what} is {size} bytes, over the limit of {limit:,} bytes")
        self.size = size
        self.limit = limit


class InvalidStateError(DurableExecutionsError):
    """An operation was attempted on an object in a state that does not allow it. Not retriable."""


class DurableOperationError(DurableExecutionsError):
    """Base class of the typed failures of a durable operation. Not retriable: the operation failed for good.

    `error_type` is the type name of the error that escaped the operation (e.g. "ValueError"), not the
    operation's class; it defaults to this class's qualified name. `data` and `stack_trace` are the
    checkpointed error fields. On first run and replay alike, `__cause__` is a stand-in rebuilt from the
    checkpointed fields, never the original exception object.
    """

    def __init__(
        self,
        message: str | None = None,
        error_type: str | None = None,
        data: str | None = None,
        stack_trace: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message: str | None = message
        self.error_type: str = error_type or wire_type_name(type(self))
        self.data: str | None = data
        self.stack_trace: list[str] | None = stack_trace

    @classmethod
    def from_error_fields(
        cls,
        error_type: str | None,
        message: str | None,
        data: str | None,
        stack_trace: list[str] | None,
    ) -> DurableOperationError:
        """Rebuild an error from checkpointed fields.

        The class is looked up by `error_type` among the SDK's registered operation errors (whichever
        class this is called on); an unknown type gives a plain `DurableOperationError`.
        """
        target = _OPERATION_ERRORS.get(error_type or "", DurableOperationError)
        return target(message=message, error_type=error_type, data=data, stack_trace=stack_trace)

    @classmethod
    def from_error_object(cls, obj: dict[str, Any]) -> DurableOperationError:
        """Rebuild an error from a wire ErrorObject dict (same lookup as `from_error_fields`)."""
        return cls.from_error_fields(
            obj.get("ErrorType"), obj.get("ErrorMessage"), obj.get("ErrorData"), obj.get("StackTrace")
        )


class StepError(DurableOperationError):
    """A step failed (its retry strategy gave up)."""


class InvokeError(DurableOperationError):
    """A chained invoke failed."""


class ChildContextError(DurableOperationError):
    """A child context (run_in_child_context, map, parallel item) failed."""


class WaitForConditionError(DurableOperationError):
    """A wait_for_condition failed."""


class SerDesError(DurableExecutionsError):
    """Serializing or deserializing a value failed for good. Not retriable (see `RetryableSerDesError`).

    Its wire ErrorType is always this base class, so replay rebuilds any subclass as `SerDesError`.
    """

    def __init__(
        self,
        message: str | None = None,
        error_type: str | None = None,
        data: str | None = None,
        stack_trace: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message: str | None = message
        self.error_type: str = error_type or wire_type_name(type(self))
        self.data: str | None = data
        self.stack_trace: list[str] | None = stack_trace


class CallbackError(DurableOperationError):
    """A callback failed; base of the graded callback errors below."""


class CallbackExternalError(CallbackError):
    """The external system reported failure (SendDurableExecutionCallbackFailure)."""


class CallbackTimeoutError(CallbackError):
    """The callback timed out (overall timeout or heartbeat expiry)."""


class CallbackSubmitterError(CallbackError):
    """The submitter step of a wait_for_callback failed."""


class WorkerCrashed(DurableOperationError):
    """A map/parallel item whose worker process died (a signal, `os._exit`, out of memory).

    `index` is the item's index and `signal_name` the signal that killed the worker ("SIGKILL"), or
    None when it exited with a code (`exitcode`). Both travel in `data` as JSON, so a replayed failure
    still carries them. Not retriable: a crash that is deterministic would repeat forever, so the item
    is recorded as failed and the batch's completion policy decides what happens next.
    """

    def __init__(
        self,
        message: str | None = None,
        error_type: str | None = None,
        data: str | None = None,
        stack_trace: list[str] | None = None,
        *,
        index: int | None = None,
        signal_name: str | None = None,
        exitcode: int | None = None,
    ) -> None:
        if data is None and index is not None:
            data = json.dumps({"index": index, "signal": signal_name, "exitcode": exitcode})
        elif data is not None and index is None:
            index, signal_name, exitcode = _crash_fields(data)
        if message is None:
            cause = f"signal {signal_name}" if signal_name else f"exit code {exitcode}"
            message = f"worker process running item {index} died ({cause})"
        super().__init__(message, error_type, data, stack_trace)
        self.index = index
        self.signal_name = signal_name
        self.exitcode = exitcode


class StepTimeoutError(DurableOperationError, TimeoutError):
    """A step attempt ran longer than its `StepConfig.timeout` (durable-mp).

    It fails the attempt, and the step's retry strategy decides what follows like for any other error.
    Retriable (another attempt may be quicker); it is also a `TimeoutError`, so
    `retryable_error_types=[TimeoutError]` and `retry_if=lambda e: isinstance(e, TimeoutError)` match it.
    """

    @property
    def retriable(self) -> bool:
        return True


class _CompensationOutcomeError(DurableOperationError):
    """An error that carries a saga's `CompensationOutcome`, as JSON in `data` (so it survives replay)."""

    def __init__(
        self,
        message: str | None = None,
        error_type: str | None = None,
        data: str | None = None,
        stack_trace: list[str] | None = None,
        *,
        outcome: Any = None,
    ) -> None:
        if data is None and outcome is not None:
            data = json.dumps(outcome.to_dict())
        super().__init__(message, error_type, data, stack_trace)

    @property
    def outcome(self) -> Any:
        """The `CompensationOutcome` (which compensations succeeded, which failed), read from `data`."""
        from durable_mp.operations.saga import CompensationOutcome

        return CompensationOutcome.from_dict(json.loads(self.data or "{}"))


class CompensationError(_CompensationOutcomeError):
    """Some compensations of a saga failed (durable-mp); `outcome` says which succeeded and which failed.

    Raised by `DurableContext.compensate(raise_on_failure=True)`.
    """


class SagaError(_CompensationOutcomeError):
    """The block of a `saga()` raised, and its compensations ran (durable-mp).

    `__cause__` is the error of the block; `outcome` is the `CompensationOutcome` (which compensations
    succeeded, which failed).
    """


def _crash_fields(data: str) -> tuple[int | None, str | None, int | None]:
    """Read (index, signal, exitcode) back from a WorkerCrashed `data` string; Nones if it is not ours."""
    try:
        fields = json.loads(data)
    except ValueError:
        return None, None, None
    if not isinstance(fields, dict):
        return None, None, None
    return fields.get("index"), fields.get("signal"), fields.get("exitcode")


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


# Wire compatibility: a class that stands for one the official SDK defines is written with the official
# spelling of its ErrorType (so an official SDK replays what durable-mp wrote, and histories match);
# durable-mp's own classes keep their module path. Both spellings are read back (see below).
_OFFICIAL_WIRE_NAMES: dict[type, str] = {}


def register_official_wire_name(cls: type, official_module: str) -> None:
    """Write `cls` as `official_module.QualName` in ErrorObject.ErrorType (a class the official SDK defines)."""
    _OFFICIAL_WIRE_NAMES[cls] = f"{official_module}.{cls.__qualname__}"


def wire_type_name(cls: type) -> str:
    """The ErrorType written for an exception class: builtins bare, official ones officially spelled."""
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return _OFFICIAL_WIRE_NAMES.get(cls) or _qualname(cls)


# Replay reconstruction: only the SDK's own operation-error classes, by qualified name (ours and the
# official SDK's spelling, so executions checkpointed by either are read back the same).
_OPERATION_ERRORS: dict[str, type[DurableOperationError]] = {}


def register_operation_error(error_cls: type[DurableOperationError]) -> None:
    """Register an operation-error class for replay reconstruction by `from_error_fields`.

    The class must accept the keywords message, error_type, data and stack_trace.
    """
    _OPERATION_ERRORS[_qualname(error_cls)] = error_cls
    official_module = _OFFICIAL_OPERATION_ERRORS.get(error_cls.__qualname__)
    if official_module is not None and error_cls.__module__.startswith("durable_mp."):
        _OPERATION_ERRORS[f"{official_module}.{error_cls.__qualname__}"] = error_cls
        register_official_wire_name(error_cls, official_module)


for _cls in (
    StepError,
    InvokeError,
    ChildContextError,
    WaitForConditionError,
    CallbackError,
    CallbackExternalError,
    CallbackTimeoutError,
    CallbackSubmitterError,
    WorkerCrashed,
    StepTimeoutError,
    CompensationError,
    SagaError,
):
    register_operation_error(_cls)

_SERDES_ERROR_TYPES: frozenset[str] = frozenset({_qualname(SerDesError), f"{_OFFICIAL_MODULE}.SerDesError"})


class StepInterruptedError(InvocationError):
    """An AT_MOST_ONCE step was interrupted before it checkpointed its end.

    Retriable (an invocation error).
    """

    def __init__(self, message: str, step_id: str | None = None) -> None:
        super().__init__(message, TerminationReason.STEP_INTERRUPTED)
        self.step_id = step_id


class RetryableSerDesError(InvocationError):
    """A transient serdes failure (e.g. a network timeout of an offloading serdes). Retriable: the
    invocation fails and the service retries it; in a map/parallel item it escapes the batch."""

    def __init__(
        self, message: str, termination_reason: TerminationReason = TerminationReason.SERIALIZATION_ERROR
    ) -> None:
        super().__init__(message, termination_reason)


class BackgroundThreadError(BaseException):
    """A fatal error of a background (checkpoint) thread, raised in the user's thread.

    A BaseException, so it bypasses ordinary handlers; `source_exception` is the original error.
    """

    def __init__(self, message: str, source_exception: BaseException) -> None:
        super().__init__(message)
        self.source_exception = source_exception


class SuspendExecution(BaseException):
    """Suspend the execution: the invocation returns PENDING and the service re-invokes later.

    A BaseException (like SystemExit), so `except Exception:` in user code does not swallow it.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)


class TimedSuspendExecution(SuspendExecution):
    """Suspend until `scheduled_timestamp` (Unix seconds)."""

    def __init__(self, message: str, scheduled_timestamp: float) -> None:
        super().__init__(message)
        self.scheduled_timestamp = scheduled_timestamp

    @classmethod
    def from_delay(cls, message: str, delay_seconds: int) -> TimedSuspendExecution:
        """Suspend for `delay_seconds` from now."""
        return cls(message, scheduled_timestamp=time.time() + delay_seconds)

    @classmethod
    def from_datetime(cls, message: str, datetime_timestamp: datetime.datetime) -> TimedSuspendExecution:
        """Suspend until the given datetime."""
        return cls(message, scheduled_timestamp=datetime_timestamp.timestamp())


class OrderedLockError(DurableExecutionsError):
    """An earlier holder in an ordered chain of lock requests failed, so this request cannot proceed."""

    def __init__(self, message: str, source_exception: BaseException | None = None) -> None:
        if source_exception is not None:
            message = f"{message} {type(source_exception).__name__}: {source_exception}"
        super().__init__(message)
        self.source_exception = source_exception


class OrphanedChildException(BaseException):
    """A map item or parallel branch tried to checkpoint after its batch had already completed.

    A BaseException so user code's `except Exception:` does not catch it; it ends the orphaned
    branch at its next checkpoint. `operation_id` is the orphan's id.
    """

    def __init__(self, message: str, operation_id: str) -> None:
        super().__init__(message)
        self.operation_id = operation_id


def error_type_name(exception: BaseException) -> str:
    """The wire ErrorType of an exception: built-ins unqualified ("ValueError"), the classes the official
    SDK defines as it spells them ("aws_durable_execution_sdk_python.exceptions.StepError"), others
    "module.QualName"."""
    return wire_type_name(type(exception))


for _cls in list(globals().values()):
    if isinstance(_cls, type) and _cls.__module__ == __name__ and _cls.__qualname__ in _OFFICIAL_EXCEPTIONS:
        register_official_wire_name(_cls, _OFFICIAL_MODULE)


@dataclass(frozen=True)
class ErrorObject:
    """A checkpointed error: the wire ErrorObject {"ErrorMessage", "ErrorType", "ErrorData", "StackTrace"}.

    This is what `BatchResult.get_errors()` returns and what `BatchItem.error` holds.
    """

    message: str | None
    type: str | None
    data: str | None
    stack_trace: list[str] | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ErrorObject:
        """Read a wire dict; absent keys become None."""
        return cls(
            data.get("ErrorMessage"), data.get("ErrorType"), data.get("ErrorData"), data.get("StackTrace")
        )

    @classmethod
    def from_exception(cls, exception: BaseException) -> ErrorObject:
        """The error as the official SDK checkpoints it (see `error_object_from_exception`)."""
        if isinstance(exception, SerDesError):
            return cls(exception.message, wire_type_name(SerDesError), exception.data, exception.stack_trace)
        if isinstance(exception, DurableOperationError):
            trace = exception.stack_trace if exception.stack_trace is not None else stack_trace_of(exception)
            return cls(exception.message, error_type_name(exception), exception.data, trace)
        return cls(str(exception), error_type_name(exception), None, stack_trace_of(exception))

    @classmethod
    def from_message(cls, message: str) -> ErrorObject:
        """An error with only a message."""
        return cls(message, None, None, None)

    def to_dict(self) -> dict[str, Any]:
        """The wire dict, with only the keys that are set."""
        obj: dict[str, Any] = {}
        if self.message is not None:
            obj["ErrorMessage"] = self.message
        if self.type is not None:
            obj["ErrorType"] = self.type
        if self.data is not None:
            obj["ErrorData"] = self.data
        if self.stack_trace is not None:
            obj["StackTrace"] = self.stack_trace
        return obj

    def to_durable_operation_error(self) -> DurableOperationError:
        """The error rebuilt through the operation-error registry."""
        return DurableOperationError.from_error_fields(self.type, self.message, self.data, self.stack_trace)

    def raise_as_operation_error(self, operation_error_cls: builtins.type[DurableOperationError]) -> NoReturn:
        """Raise what an operation raises for this failure (see `operation_error_from_error_object`)."""
        raise operation_error_from_error_object(self.to_dict(), operation_error_cls)


def error_object_from_exception(exc: BaseException) -> dict[str, Any]:
    """The wire ErrorObject dict for an exception, exactly as the official SDK writes it.

    A plain exception gives {"ErrorMessage": str(exc), "ErrorType": <type name>, "StackTrace": [...]}
    (the frames of the user's code, bounded: see `durable_mp.stack_trace`; the official SDK writes none),
    no ErrorData. A `DurableOperationError` keeps its own message, data and stack trace (its own frames
    when it has none) under its class's type name. A `SerDesError` is always written as the base SerDesError type. Keys appear only when set.
    """
    return ErrorObject.from_exception(exc).to_dict()


def operation_error_from_error_object(
    obj: dict[str, Any], operation_error_cls: type[DurableOperationError]
) -> DurableExecutionsError:
    """The error an operation raises for a checkpointed failure (first run and replay alike).

    Returns `operation_error_cls` carrying the object's fields, with `__cause__` set to the error
    rebuilt by `from_error_object`; a serdes failure comes back as `SerDesError` whatever the operation.
    """
    cause = DurableOperationError.from_error_object(obj)
    fields = {
        "message": obj.get("ErrorMessage"),
        "error_type": obj.get("ErrorType"),
        "data": obj.get("ErrorData"),
        "stack_trace": obj.get("StackTrace"),
    }
    error: DurableExecutionsError
    if fields["error_type"] in _SERDES_ERROR_TYPES:
        error = SerDesError(**fields)
    else:
        error = operation_error_cls(**fields)
    error.__cause__ = cause
    return error
