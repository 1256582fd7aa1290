"""What a plugin sees: the hook info types, the plugin base class and the factory protocol.

The shapes and field names are those of the official SDK 3.0.0 (`aws_durable_execution_sdk_python.plugin`),
so a plugin written for it runs unchanged. Everything here is a frozen dataclass or an enum, so an info
built inside a worker process can be pickled to the parent, whose plugins receive it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from durable_mp.exceptions import ErrorObject
from durable_mp.wire import CALLBACK, CHAINED_INVOKE, CONTEXT, STEP, Operation, OperationStatus

# As officially, plugins get their own OperationType and InvocationStatus enums, while OperationStatus is
# the one of `durable_mp.lambda_service` (the same class).


class InvocationStatus(Enum):
    """Invocation outcomes exposed to instrumentation plugins."""

    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    PENDING = "PENDING"
    RETRY = "RETRY"


class OperationType(Enum):
    """Durable operation categories exposed to instrumentation plugins."""

    EXECUTION = "EXECUTION"
    CONTEXT = "CONTEXT"
    STEP = "STEP"
    WAIT = "WAIT"
    CALLBACK = "CALLBACK"
    CHAINED_INVOKE = "CHAINED_INVOKE"


TERMINAL = frozenset(
    {
        OperationStatus.SUCCEEDED,
        OperationStatus.FAILED,
        OperationStatus.CANCELLED,
        OperationStatus.TIMED_OUT,
        OperationStatus.STOPPED,
    }
)
_WITH_RESULT = frozenset({STEP, CALLBACK, CHAINED_INVOKE, CONTEXT})


def _time(ms: int | None) -> datetime.datetime | None:
    return None if ms is None else datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC)


@dataclass(frozen=True)
class OperationInfo:
    operation_id: str
    operation_type: OperationType
    sub_type: str | None
    name: str | None
    parent_id: str | None
    start_time: datetime.datetime | None
    is_replayed: bool
    status: OperationStatus
    end_time: datetime.datetime | None = field(default=None, kw_only=True)
    result: str | None = field(default=None, kw_only=True)
    error: ErrorObject | None = field(default=None, kw_only=True)
    attempt: int | None = field(default=None, kw_only=True)

    @staticmethod
    def from_operation(operation: Operation, *, is_replayed: bool = False) -> OperationInfo:
        return OperationInfo(**operation_fields(operation), is_replayed=is_replayed)


def operation_fields(op: Operation) -> dict[str, Any]:
    """The OperationInfo fields of a checkpointed operation (is_replayed aside)."""
    has_result = op.type in _WITH_RESULT
    return {
        "operation_id": op.id,
        "operation_type": OperationType(op.type),
        "sub_type": op.sub_type,
        "name": op.name,
        "parent_id": op.parent_id,
        "start_time": _time(op.start_ms),
        "end_time": _time(op.end_ms),
        "status": OperationStatus(op.status),
        "result": op.result if has_result else None,
        "error": ErrorObject.from_dict(op.error) if has_result and op.error else None,
        "attempt": op.attempt if op.type == STEP else None,
    }


@dataclass(frozen=True)
class OperationStartInfo(OperationInfo):
    pass


@dataclass(frozen=True)
class OperationEndInfo(OperationInfo):
    pass


@dataclass(frozen=True)
class OperationChangeInfo:
    execution_arn: str | None
    updated_operations: dict[str, OperationInfo]
    operations: dict[str, OperationInfo]


class UserFunctionOutcome(Enum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    INCOMPLETE = "INCOMPLETE"

    @classmethod
    def from_error(cls, error: ErrorObject | None) -> UserFunctionOutcome:
        return cls.SUCCEEDED if error is None else cls.FAILED


@dataclass(frozen=True)
class UserFunctionStartInfo(OperationInfo):
    is_replay_children: bool = False  # the function runs again to replay the children of a large map/parallel


@dataclass(frozen=True)
class UserFunctionEndInfo(OperationInfo):
    is_replay_children: bool
    outcome: UserFunctionOutcome

    @classmethod
    def from_start_info(
        cls,
        start_info: UserFunctionStartInfo,
        error: ErrorObject | None,
        *,
        outcome: UserFunctionOutcome | None = None,
    ) -> UserFunctionEndInfo:
        return UserFunctionEndInfo(
            operation_id=start_info.operation_id,
            operation_type=start_info.operation_type,
            sub_type=start_info.sub_type,
            name=start_info.name,
            parent_id=start_info.parent_id,
            start_time=start_info.start_time,
            is_replayed=start_info.is_replayed,
            status=start_info.status,
            is_replay_children=start_info.is_replay_children,
            attempt=start_info.attempt,
            outcome=outcome if outcome is not None else UserFunctionOutcome.from_error(error),
            end_time=datetime.datetime.now(datetime.UTC),
            error=error,
        )


@dataclass(frozen=True)
class InvocationInfo:
    request_id: str | None
    execution_arn: str | None
    is_first_invocation: bool
    execution_start_time: datetime.datetime | None = None
    execution_input: Any = field(default=None, kw_only=True, repr=False, compare=False, hash=False)
    operations: dict[str, OperationInfo] = field(
        default_factory=dict, kw_only=True, repr=False, compare=False, hash=False
    )


@dataclass(frozen=True)
class InvocationStartInfo(InvocationInfo):
    updated_operations: dict[str, OperationInfo] = field(
        default_factory=dict, kw_only=True, repr=False, compare=False, hash=False
    )


@dataclass(frozen=True)
class InvocationEndInfo(InvocationInfo):
    status: InvocationStatus = field(kw_only=True)
    error: ErrorObject | None = field(default=None)
    execution_result: str | None = field(default=None, kw_only=True, repr=False, compare=False, hash=False)


@dataclass(frozen=True)
class PropagationInput:
    """The identity of a new chained-invoke START, given to `provide_propagation_metadata`."""

    execution_arn: str
    operation_id: str
    target_function_name: str
    parent_operation_id: str | None = None


@dataclass(frozen=True)
class PropagationMetadata:
    """What plugins contribute to a chained invoke (its trace header)."""

    x_amzn_trace_id: str | None = None


class DurableInstrumentationPlugin:
    """Base class for plugins: override the hooks you need.

    Every hook is a synchronous call on the thread that runs the operation (the handler thread for the
    invocation hooks, a dedicated thread for `on_operation_change`); for map/parallel items running in a
    worker process, the parent's coordinator thread, in the order the worker produced them. A hook that
    raises is logged and ignored (KeyboardInterrupt, SystemExit and GeneratorExit propagate).
    """

    def provide_propagation_metadata(self, info: PropagationInput) -> PropagationMetadata | None:
        """Metadata for a new chained invoke, collected before its START is checkpointed."""
        return None

    def on_invocation_start(self, info: InvocationStartInfo) -> None:
        """Before the handler runs."""

    def on_invocation_end(self, info: InvocationEndInfo) -> None:
        """After the invocation's outcome is final and every other hook has returned."""

    def on_operation_start(self, info: OperationStartInfo) -> None:
        """Before an operation's START is queued, or when a non-terminal operation is replayed."""

    def on_operation_end(self, info: OperationEndInfo) -> None:
        """When an operation reaches a terminal status, before it returns to user code."""

    def on_operation_change(self, info: OperationChangeInfo) -> None:
        """After checkpoint responses changed operations (may merge several responses)."""

    def on_user_function_start(self, info: UserFunctionStartInfo) -> None:
        """Before an attempt of user code (a step function, a child body, a condition check) runs."""

    def on_user_function_end(self, info: UserFunctionEndInfo) -> None:
        """After that attempt returned, raised, or stopped incomplete."""


class DurableInstrumentationPluginFactory(Protocol):
    """Builds one plugin instance per invocation: register the factory, never a plugin."""

    def create_plugin(self, info: InvocationStartInfo, /) -> DurableInstrumentationPlugin: ...
