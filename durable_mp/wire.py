"""The JSON shapes exchanged with the durable execution service (the Lambda durable execution API).

Operations arrive as dicts in the boto3 shape and are parsed once into `Operation` (flat, slotted).
Updates are built as plain dicts by `OpRef.update`, ready to send. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum, StrEnum
from typing import Any


class InvocationStatus(Enum):
    """The Status of an invocation's output (also importable from durable_mp.execution, as officially)."""

    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    PENDING = "PENDING"
    # The invocation failed and the service will retry it (official SDK: internal use only)
    RETRY = "RETRY"


class OperationType(Enum):
    """An operation's Type (public as `durable_mp.lambda_service.OperationType`)."""

    EXECUTION = "EXECUTION"
    CONTEXT = "CONTEXT"
    STEP = "STEP"
    WAIT = "WAIT"
    CALLBACK = "CALLBACK"
    CHAINED_INVOKE = "CHAINED_INVOKE"


class OperationStatus(Enum):
    """An operation's Status (public as `durable_mp.lambda_service.OperationStatus`)."""

    STARTED = "STARTED"
    PENDING = "PENDING"
    READY = "READY"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    TIMED_OUT = "TIMED_OUT"
    STOPPED = "STOPPED"


class OperationAction(Enum):
    """An OperationUpdate's Action (public as `durable_mp.lambda_service.OperationAction`)."""

    START = "START"
    SUCCEED = "SUCCEED"
    FAIL = "FAIL"
    RETRY = "RETRY"
    CANCEL = "CANCEL"


class OperationSubType(StrEnum):
    """The SubType values the SDK writes for its own operations (a caller may set any other string)."""

    STEP = "Step"
    WAIT = "Wait"
    CALLBACK = "Callback"
    RUN_IN_CHILD_CONTEXT = "RunInChildContext"
    MAP = "Map"
    MAP_ITERATION = "MapIteration"
    PARALLEL = "Parallel"
    PARALLEL_BRANCH = "ParallelBranch"
    WAIT_FOR_CALLBACK = "WaitForCallback"
    WAIT_FOR_CONDITION = "WaitForCondition"
    CHAINED_INVOKE = "ChainedInvoke"


# The same values as plain strings, for the hot paths that compare dict fields
# Operation types
EXECUTION = OperationType.EXECUTION.value
CONTEXT = OperationType.CONTEXT.value
STEP = OperationType.STEP.value
WAIT = OperationType.WAIT.value
CALLBACK = OperationType.CALLBACK.value
CHAINED_INVOKE = OperationType.CHAINED_INVOKE.value

# Statuses
STARTED = OperationStatus.STARTED.value
PENDING = OperationStatus.PENDING.value
READY = OperationStatus.READY.value
SUCCEEDED = OperationStatus.SUCCEEDED.value
FAILED = OperationStatus.FAILED.value
CANCELLED = OperationStatus.CANCELLED.value
TIMED_OUT = OperationStatus.TIMED_OUT.value
STOPPED = OperationStatus.STOPPED.value
TERMINAL_STATUSES = frozenset({SUCCEEDED, FAILED, CANCELLED, TIMED_OUT, STOPPED})

# Actions
START = OperationAction.START.value
SUCCEED = OperationAction.SUCCEED.value
FAIL = OperationAction.FAIL.value
RETRY = OperationAction.RETRY.value
CANCEL = OperationAction.CANCEL.value

# Limits of the durable execution service (Lambda quotas)
MAX_PAYLOAD_BYTES = 262_144
MAX_REQUEST_BYTES = 750 * 1024
MAX_REQUEST_UPDATES = 250
LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024 - 50

_DETAILS_KEY = {
    EXECUTION: "ExecutionDetails",
    CONTEXT: "ContextDetails",
    STEP: "StepDetails",
    WAIT: "WaitDetails",
    CALLBACK: "CallbackDetails",
    CHAINED_INVOKE: "ChainedInvokeDetails",
}


def to_epoch_ms(value: Any) -> int | None:
    """A timestamp as boto3 (datetime) or the invocation event / local service (epoch ms) gives it."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    return int(value)


@dataclass(slots=True)
class Operation:
    """One checkpointed operation, flattened from its type-specific details object."""

    id: str
    type: str
    status: str
    parent_id: str | None = None
    name: str | None = None
    sub_type: str | None = None
    start_ms: int | None = None
    end_ms: int | None = None
    result: str | None = None
    error: dict[str, Any] | None = None
    attempt: int = 0
    next_attempt_ms: int | None = None
    scheduled_end_ms: int | None = None
    callback_id: str | None = None
    replay_children: bool = False
    input_payload: str | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Operation:
        op_type = d["Type"]
        op = cls(
            d["Id"],
            op_type,
            d["Status"],
            d.get("ParentId"),
            d.get("Name"),
            d.get("SubType"),
            to_epoch_ms(d.get("StartTimestamp")),
            to_epoch_ms(d.get("EndTimestamp")),
        )
        details = d.get(_DETAILS_KEY.get(op_type, ""))
        if details:
            op.result = details.get("Result")
            op.error = details.get("Error")
            if op_type == STEP:
                op.attempt = details.get("Attempt") or 0
                op.next_attempt_ms = to_epoch_ms(details.get("NextAttemptTimestamp"))
            elif op_type == WAIT:
                op.scheduled_end_ms = to_epoch_ms(details.get("ScheduledEndTimestamp"))
            elif op_type == CALLBACK:
                op.callback_id = details.get("CallbackId")
            elif op_type == CONTEXT:
                op.replay_children = bool(details.get("ReplayChildren"))
            elif op_type == EXECUTION:
                op.input_payload = details.get("InputPayload")
        return op

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES


@dataclass(frozen=True, slots=True)
class OpRef:
    """The identity of an operation as the code asks for it: what replay validates and updates carry."""

    id: str
    type: str
    sub_type: str | None
    name: str | None
    parent_id: str | None

    def update(
        self,
        action: str,
        *,
        payload: str | None = None,
        error: dict[str, Any] | None = None,
        **options: Any,
    ) -> dict[str, Any]:
        """An OperationUpdate dict; `options` are extra top-level keys such as StepOptions={...}."""
        u: dict[str, Any] = {"Id": self.id, "Type": self.type, "Action": action}
        if self.parent_id is not None:
            u["ParentId"] = self.parent_id
        if self.name is not None:
            u["Name"] = self.name
        if self.sub_type is not None:
            u["SubType"] = self.sub_type
        if payload is not None:
            u["Payload"] = payload
        if error is not None:
            u["Error"] = error
        if options:
            u.update(options)
        return u

    def mismatch(self, op: Operation) -> str | None:
        """Describe how a recorded operation differs from this one, or None when they match."""
        diffs = []
        if op.type != self.type:
            diffs.append(f"type checkpoint={op.type!r} current={self.type!r}")
        if op.sub_type != self.sub_type:
            diffs.append(f"subtype checkpoint={op.sub_type!r} current={self.sub_type!r}")
        if (op.name or None) != (self.name or None):
            diffs.append(f"name checkpoint={op.name!r} current={self.name!r}")
        if (op.parent_id or None) != (self.parent_id or None):
            diffs.append(f"parent_id checkpoint={op.parent_id!r} current={self.parent_id!r}")
        return ", ".join(diffs) or None


def payload_size(payload: str | None) -> int:
    """Size in bytes of a payload as the service counts it (UTF-8)."""
    if payload is None:
        return 0
    if payload.isascii():
        return len(payload)
    return len(payload.encode("utf-8"))


def update_size(update: dict[str, Any]) -> int:
    """A cheap upper-bound estimate of an update's JSON size, for request batching."""
    size = 200 + payload_size(update.get("Payload"))
    err = update.get("Error")
    if err:
        size += sum(len(str(v)) for v in err.values())
    return size
