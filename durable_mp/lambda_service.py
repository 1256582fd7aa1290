"""The durable execution service's data model, under the official SDK's module path and names.

The enums are the ones the SDK uses internally (`durable_mp.wire`), and `ErrorObject` is the one every
operation error is read from and written with (`durable_mp.exceptions`). The dataclasses here are the
typed view of the boto3 dicts the SDK exchanges with the service (`Operation.from_dict(d)` and back with
`to_dict()`); the SDK itself keeps working on the dicts (`durable_mp.wire.Operation` is its flat parse).
`DurableServiceClient` is the client protocol of `durable_mp.service.client`, and `LambdaClient` the boto3
one of `durable_mp.service.boto`.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from durable_mp.__about__ import __version__
from durable_mp.exceptions import ErrorObject
from durable_mp.service.boto import BotoServiceClient
from durable_mp.service.client import DurableServiceClient
from durable_mp.wire import (
    InvocationStatus,
    OperationAction,
    OperationStatus,
    OperationSubType,
    OperationType,
)

if TYPE_CHECKING:
    from durable_mp.identifier import OperationIdentifier

ReplayChildren: TypeAlias = bool
OperationPayload: TypeAlias = str
TimeoutSeconds: TypeAlias = int


class CallbackTimeoutType(Enum):
    """The ErrorType of a callback that timed out, by which deadline passed."""

    TIMEOUT = "Callback.Timeout"
    HEARTBEAT = "Callback.Heartbeat"


def _error(data: Mapping[str, Any]) -> ErrorObject | None:
    raw = data.get("Error")
    return ErrorObject.from_dict(dict(raw)) if raw else None


_R = TypeVar("_R")


def record(cls: type[_R], **values: Any) -> _R:
    """An instance of the frozen dataclass `cls` with `values` and every other field at its default, built
    without its generated `__init__` (which sets each field through `object.__setattr__`: four times
    slower). For the shapes built by the thousand, such as the test view of a big execution's
    operations. `cls` must have no `__post_init__` or slots, and `values` must hold every field that has
    no plain default."""
    obj = object.__new__(cls)
    obj.__dict__.update(_defaults(cls), **values)  # type: ignore[arg-type]  # a class is hashable
    return obj


@functools.cache
def _defaults(cls: type) -> dict[str, Any]:
    return {f.name: f.default for f in fields(cls) if f.default is not MISSING}


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        out[key] = value


class TimestampConverter:
    """Datetime <-> Unix epoch milliseconds (the invocation event and the local service use ms)."""

    @staticmethod
    def to_unix_millis(dt: datetime.datetime | None) -> int | None:
        return None if dt is None else int(dt.timestamp() * 1000)

    @staticmethod
    def from_unix_millis(ms: int | None) -> datetime.datetime | None:
        return None if ms is None else datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.UTC)


def _timestamp(value: Any) -> datetime.datetime | None:
    """A timestamp as boto3 (datetime) or the invocation event (epoch ms) gives it, as a datetime."""
    if value is None or isinstance(value, datetime.datetime):
        return value
    return TimestampConverter.from_unix_millis(int(value))


# ---------------------------------------------------------------------------------------- invocation


@dataclass(frozen=True)
class DurableExecutionInvocationOutput:
    """What a durable handler returns: {"Status", "Result"?, "Error"?}."""

    status: InvocationStatus
    result: str | None = None
    error: ErrorObject | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DurableExecutionInvocationOutput:
        return cls(InvocationStatus(data.get("Status")), data.get("Result"), _error(data))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"Status": self.status.value}
        _put(out, "Result", self.result)
        if self.error:
            out["Error"] = self.error.to_dict()
        return out

    @classmethod
    def create_succeeded(cls, result: str) -> DurableExecutionInvocationOutput:
        return cls(InvocationStatus.SUCCEEDED, result=result)

    @classmethod
    def create_retry(cls, error: ErrorObject) -> DurableExecutionInvocationOutput:
        return cls(InvocationStatus.RETRY, error=error)

    @classmethod
    def create_pending(cls) -> DurableExecutionInvocationOutput:
        return cls(InvocationStatus.PENDING)


# ---------------------------------------------------------------------------------------- details


@dataclass(frozen=True)
class ExecutionDetails:
    input_payload: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExecutionDetails:
        return cls(data.get("InputPayload"))


@dataclass(frozen=True)
class ContextDetails:
    replay_children: ReplayChildren = False
    result: OperationPayload | None = None
    error: ErrorObject | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ContextDetails:
        return cls(bool(data.get("ReplayChildren", False)), data.get("Result"), _error(data))


@dataclass(frozen=True)
class StepDetails:
    attempt: int = 0
    next_attempt_timestamp: datetime.datetime | None = None
    result: OperationPayload | None = None
    error: ErrorObject | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StepDetails:
        return cls(
            data.get("Attempt", 0) or 0,
            _timestamp(data.get("NextAttemptTimestamp")),
            data.get("Result"),
            _error(data),
        )


@dataclass(frozen=True)
class WaitDetails:
    scheduled_end_timestamp: datetime.datetime | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WaitDetails:
        return cls(_timestamp(data.get("ScheduledEndTimestamp")))


@dataclass(frozen=True)
class CallbackDetails:
    callback_id: str
    result: str | None = None
    error: ErrorObject | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CallbackDetails:
        return cls(data["CallbackId"], data.get("Result"), _error(data))


@dataclass(frozen=True)
class ChainedInvokeDetails:
    result: str | None = None
    error: ErrorObject | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChainedInvokeDetails:
        return cls(data.get("Result"), _error(data))


# ---------------------------------------------------------------------------------------- options


@dataclass(frozen=True)
class StepOptions:
    next_attempt_delay_seconds: int = 0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StepOptions:
        return cls(data.get("NextAttemptDelaySeconds", 0))

    def to_dict(self) -> dict[str, Any]:
        return {"NextAttemptDelaySeconds": self.next_attempt_delay_seconds}


@dataclass(frozen=True)
class WaitOptions:
    """`wait_seconds` from 1 to 31,622,400; absent means 1."""

    wait_seconds: int = 1

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WaitOptions:
        return cls(data.get("WaitSeconds", 1))

    def to_dict(self) -> dict[str, Any]:
        return {"WaitSeconds": self.wait_seconds}


@dataclass(frozen=True)
class CallbackOptions:
    """0 (the default) means no timeout, for both deadlines."""

    timeout_seconds: TimeoutSeconds = 0
    heartbeat_timeout_seconds: int = 0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CallbackOptions:
        return cls(data.get("TimeoutSeconds", 0), data.get("HeartbeatTimeoutSeconds", 0))

    def to_dict(self) -> dict[str, Any]:
        return {
            "TimeoutSeconds": self.timeout_seconds,
            "HeartbeatTimeoutSeconds": self.heartbeat_timeout_seconds,
        }


@dataclass(frozen=True)
class ChainedInvokeOptions:
    function_name: str
    tenant_id: str | None = None
    x_amzn_trace_id: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChainedInvokeOptions:
        return cls(data["FunctionName"], data.get("TenantId"), data.get("XAmznTraceId"))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"FunctionName": self.function_name}
        _put(out, "TenantId", self.tenant_id)
        _put(out, "XAmznTraceId", self.x_amzn_trace_id)
        return out


@dataclass(frozen=True)
class ContextOptions:
    replay_children: ReplayChildren = False

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ContextOptions:
        return cls(bool(data.get("ReplayChildren", False)))

    def to_dict(self) -> dict[str, Any]:
        return {"ReplayChildren": self.replay_children}


_OPTIONS: dict[str, tuple[str, Any]] = {
    "context_options": ("ContextOptions", ContextOptions),
    "step_options": ("StepOptions", StepOptions),
    "wait_options": ("WaitOptions", WaitOptions),
    "callback_options": ("CallbackOptions", CallbackOptions),
    "chained_invoke_options": ("ChainedInvokeOptions", ChainedInvokeOptions),
}


# ---------------------------------------------------------------------------------------- updates


@dataclass(frozen=True)
class OperationUpdate:
    """One update of a CheckpointDurableExecution request (`to_dict()` gives the boto3 shape)."""

    operation_id: str
    operation_type: OperationType
    action: OperationAction
    parent_id: str | None = None
    name: str | None = None
    sub_type: str | None = None
    payload: str | None = None
    error: ErrorObject | None = None
    context_options: ContextOptions | None = None
    step_options: StepOptions | None = None
    wait_options: WaitOptions | None = None
    callback_options: CallbackOptions | None = None
    chained_invoke_options: ChainedInvokeOptions | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Id": self.operation_id,
            "Type": self.operation_type.value,
            "Action": self.action.value,
        }
        _put(out, "ParentId", self.parent_id)
        _put(out, "Name", self.name)
        _put(out, "SubType", self.sub_type)
        _put(out, "Payload", self.payload)
        if self.error is not None:
            out["Error"] = self.error.to_dict()
        for attr, (key, _) in _OPTIONS.items():
            options = getattr(self, attr)
            if options is not None:
                out[key] = options.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OperationUpdate:
        options = {attr: kind.from_dict(data[key]) for attr, (key, kind) in _OPTIONS.items() if key in data}
        return cls(
            operation_id=data["Id"],
            operation_type=OperationType(data["Type"]),
            action=OperationAction(data["Action"]),
            parent_id=data.get("ParentId"),
            name=data.get("Name"),
            sub_type=data.get("SubType"),
            payload=data.get("Payload"),
            error=_error(data),
            **options,
        )

    # factories, one per update the SDK sends
    @classmethod
    def _for(
        cls,
        identifier: OperationIdentifier,
        kind: OperationType,
        action: OperationAction,
        sub_type: str | None,
        **kw: Any,
    ) -> OperationUpdate:
        return cls(
            identifier.operation_id,
            kind,
            action,
            parent_id=identifier.parent_id,
            name=identifier.name,
            sub_type=sub_type,
            **kw,
        )

    @classmethod
    def create_callback(
        cls, identifier: OperationIdentifier, callback_options: CallbackOptions
    ) -> OperationUpdate:
        return cls._for(
            identifier,
            OperationType.CALLBACK,
            OperationAction.START,
            OperationSubType.CALLBACK.value,
            callback_options=callback_options,
        )

    @classmethod
    def create_context_start(
        cls, identifier: OperationIdentifier, sub_type: str = OperationSubType.RUN_IN_CHILD_CONTEXT.value
    ) -> OperationUpdate:
        return cls._for(identifier, OperationType.CONTEXT, OperationAction.START, sub_type)

    @classmethod
    def create_context_succeed(
        cls,
        identifier: OperationIdentifier,
        payload: str | None,
        sub_type: str = OperationSubType.RUN_IN_CHILD_CONTEXT.value,
        context_options: ContextOptions | None = None,
    ) -> OperationUpdate:
        return cls._for(
            identifier,
            OperationType.CONTEXT,
            OperationAction.SUCCEED,
            sub_type,
            payload=payload,
            context_options=context_options,
        )

    @classmethod
    def create_context_fail(
        cls,
        identifier: OperationIdentifier,
        error: ErrorObject,
        sub_type: str = OperationSubType.RUN_IN_CHILD_CONTEXT.value,
    ) -> OperationUpdate:
        return cls._for(identifier, OperationType.CONTEXT, OperationAction.FAIL, sub_type, error=error)

    @classmethod
    def create_execution_succeed(cls, payload: str) -> OperationUpdate:
        return cls("", OperationType.EXECUTION, OperationAction.SUCCEED, payload=payload)

    @classmethod
    def create_execution_fail(cls, error: ErrorObject) -> OperationUpdate:
        return cls("", OperationType.EXECUTION, OperationAction.FAIL, error=error)

    @classmethod
    def create_step_start(cls, identifier: OperationIdentifier) -> OperationUpdate:
        return cls._for(identifier, OperationType.STEP, OperationAction.START, OperationSubType.STEP.value)

    @classmethod
    def create_step_succeed(cls, identifier: OperationIdentifier, payload: str | None) -> OperationUpdate:
        return cls._for(
            identifier,
            OperationType.STEP,
            OperationAction.SUCCEED,
            OperationSubType.STEP.value,
            payload=payload,
        )

    @classmethod
    def create_step_fail(cls, identifier: OperationIdentifier, error: ErrorObject) -> OperationUpdate:
        return cls._for(
            identifier, OperationType.STEP, OperationAction.FAIL, OperationSubType.STEP.value, error=error
        )

    @classmethod
    def create_step_retry(
        cls, identifier: OperationIdentifier, error: ErrorObject, next_attempt_delay_seconds: int
    ) -> OperationUpdate:
        return cls._for(
            identifier,
            OperationType.STEP,
            OperationAction.RETRY,
            OperationSubType.STEP.value,
            error=error,
            step_options=StepOptions(next_attempt_delay_seconds),
        )

    @classmethod
    def create_invoke_start(
        cls, identifier: OperationIdentifier, payload: str, chained_invoke_options: ChainedInvokeOptions
    ) -> OperationUpdate:
        return cls._for(
            identifier,
            OperationType.CHAINED_INVOKE,
            OperationAction.START,
            OperationSubType.CHAINED_INVOKE.value,
            payload=payload,
            chained_invoke_options=chained_invoke_options,
        )

    @classmethod
    def create_wait_for_condition_start(cls, identifier: OperationIdentifier) -> OperationUpdate:
        return cls._for(
            identifier, OperationType.STEP, OperationAction.START, OperationSubType.WAIT_FOR_CONDITION.value
        )

    @classmethod
    def create_wait_for_condition_succeed(
        cls, identifier: OperationIdentifier, payload: str | None
    ) -> OperationUpdate:
        return cls._for(
            identifier,
            OperationType.STEP,
            OperationAction.SUCCEED,
            OperationSubType.WAIT_FOR_CONDITION.value,
            payload=payload,
        )

    @classmethod
    def create_wait_for_condition_retry(
        cls, identifier: OperationIdentifier, payload: str | None, next_attempt_delay_seconds: int
    ) -> OperationUpdate:
        return cls._for(
            identifier,
            OperationType.STEP,
            OperationAction.RETRY,
            OperationSubType.WAIT_FOR_CONDITION.value,
            payload=payload,
            step_options=StepOptions(next_attempt_delay_seconds),
        )

    @classmethod
    def create_wait_for_condition_fail(
        cls, identifier: OperationIdentifier, error: ErrorObject
    ) -> OperationUpdate:
        return cls._for(
            identifier,
            OperationType.STEP,
            OperationAction.FAIL,
            OperationSubType.WAIT_FOR_CONDITION.value,
            error=error,
        )

    @classmethod
    def create_wait_start(cls, identifier: OperationIdentifier, wait_options: WaitOptions) -> OperationUpdate:
        return cls._for(
            identifier,
            OperationType.WAIT,
            OperationAction.START,
            OperationSubType.WAIT.value,
            wait_options=wait_options,
        )


# ---------------------------------------------------------------------------------------- operations


_DETAILS: dict[str, tuple[str, Any]] = {
    "execution_details": ("ExecutionDetails", ExecutionDetails),
    "context_details": ("ContextDetails", ContextDetails),
    "step_details": ("StepDetails", StepDetails),
    "wait_details": ("WaitDetails", WaitDetails),
    "callback_details": ("CallbackDetails", CallbackDetails),
    "chained_invoke_details": ("ChainedInvokeDetails", ChainedInvokeDetails),
}
_DETAIL_KEYS: dict[str, tuple[str, Any]] = {key: (attr, kind) for attr, (key, kind) in _DETAILS.items()}
_TYPES = {member.value: member for member in OperationType}  # a dict lookup is faster than Enum(value)
_STATUSES = {member.value: member for member in OperationStatus}


def _details_dict(details: Any, *, millis: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for attr, value in vars(details).items():
        if value is None or (attr == "replay_children" and not value):
            continue
        key = "".join(part.capitalize() for part in attr.split("_"))
        if isinstance(value, ErrorObject):
            value = value.to_dict()
        elif isinstance(value, datetime.datetime) and millis:
            value = TimestampConverter.to_unix_millis(value)
        out[key] = value
    return out


@dataclass(frozen=True)
class Operation:
    """An operation of GetDurableExecutionState / CheckpointDurableExecution, typed."""

    operation_id: str
    operation_type: OperationType
    status: OperationStatus
    parent_id: str | None = None
    name: str | None = None
    start_timestamp: datetime.datetime | None = None
    end_timestamp: datetime.datetime | None = None
    sub_type: str | None = None
    execution_details: ExecutionDetails | None = None
    context_details: ContextDetails | None = None
    step_details: StepDetails | None = None
    wait_details: WaitDetails | None = None
    callback_details: CallbackDetails | None = None
    chained_invoke_details: ChainedInvokeDetails | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Operation:
        """From the boto3 shape; timestamps may be datetimes or epoch milliseconds."""
        details = {}
        for key in _DETAIL_KEYS.keys() & data.keys():  # an operation has one kind of details, if any
            if data[key]:
                attr, kind = _DETAIL_KEYS[key]
                details[attr] = kind.from_dict(data[key])
        return cls(
            operation_id=data["Id"],
            operation_type=_TYPES.get(data["Type"]) or OperationType(data["Type"]),
            status=_STATUSES.get(data["Status"]) or OperationStatus(data["Status"]),
            parent_id=data.get("ParentId"),
            name=data.get("Name"),
            start_timestamp=_timestamp(data.get("StartTimestamp")),
            end_timestamp=_timestamp(data.get("EndTimestamp")),
            sub_type=data.get("SubType") or None,
            **details,
        )

    def _to(self, *, millis: bool) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Id": self.operation_id,
            "Type": self.operation_type.value,
            "Status": self.status.value,
        }
        _put(out, "ParentId", self.parent_id)
        _put(out, "Name", self.name)
        for key, ts in (("StartTimestamp", self.start_timestamp), ("EndTimestamp", self.end_timestamp)):
            _put(out, key, TimestampConverter.to_unix_millis(ts) if millis else ts)
        _put(out, "SubType", self.sub_type)
        for attr, (key, _) in _DETAILS.items():
            details = getattr(self, attr)
            if details is not None:
                out[key] = _details_dict(details, millis=millis)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The boto3 shape (timestamps as datetimes)."""
        return self._to(millis=False)

    def to_json_dict(self) -> dict[str, Any]:
        """The JSON shape (timestamps as epoch milliseconds), as in the invocation event."""
        return self._to(millis=True)

    @classmethod
    def from_json_dict(cls, data: Mapping[str, Any]) -> Operation:
        return cls.from_dict(data)


def _operations(data: Mapping[str, Any]) -> list[Operation]:
    return [Operation.from_dict(op) for op in data.get("Operations") or []]


@dataclass(frozen=True)
class CheckpointUpdatedExecutionState:
    operations: list[Operation] = field(default_factory=list)
    next_marker: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckpointUpdatedExecutionState:
        return cls(_operations(data), data.get("NextMarker"))


@dataclass(frozen=True)
class CheckpointOutput:
    checkpoint_token: str | None
    new_execution_state: CheckpointUpdatedExecutionState

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckpointOutput:
        return cls(
            data.get("CheckpointToken"),
            CheckpointUpdatedExecutionState.from_dict(data.get("NewExecutionState") or {}),
        )


@dataclass(frozen=True)
class StateOutput:
    operations: list[Operation] = field(default_factory=list)
    next_marker: str | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StateOutput:
        return cls(_operations(data), data.get("NextMarker"))


# The boto3 client of the service (official name); boto3 itself is imported on first use only
LambdaClient = BotoServiceClient

__all__ = [
    "CallbackDetails",
    "CallbackOptions",
    "CallbackTimeoutType",
    "ChainedInvokeDetails",
    "ChainedInvokeOptions",
    "CheckpointOutput",
    "CheckpointUpdatedExecutionState",
    "ContextDetails",
    "ContextOptions",
    "DurableExecutionInvocationOutput",
    "DurableServiceClient",
    "ErrorObject",
    "ExecutionDetails",
    "InvocationStatus",
    "LambdaClient",
    "Operation",
    "OperationAction",
    "OperationPayload",
    "OperationStatus",
    "OperationSubType",
    "OperationType",
    "OperationUpdate",
    "StateOutput",
    "StepDetails",
    "StepOptions",
    "TimestampConverter",
    "WaitDetails",
    "WaitOptions",
    "__version__",
]
