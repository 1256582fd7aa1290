"""Operations rebuilt from history events (GetDurableExecutionHistory), for runners that only see history.

Events of one operation are merged in order: the type comes from the event name's prefix ("Step",
"ChainedInvoke", ...), the status from its suffix ("Started", "TimedOut", ...), and each event adds the
fields it carries (a result, an error, a callback id, the attempt count of its RetryDetails).
"""

from __future__ import annotations

from typing import Any

_TYPES = {
    "Execution": "EXECUTION",
    "Context": "CONTEXT",
    "Step": "STEP",
    "Wait": "WAIT",
    "Callback": "CALLBACK",
    "ChainedInvoke": "CHAINED_INVOKE",
}
_STATUSES = {
    "Started": "STARTED",
    "Succeeded": "SUCCEEDED",
    "Failed": "FAILED",
    "TimedOut": "TIMED_OUT",
    "Stopped": "STOPPED",
    "Cancelled": "CANCELLED",
}
_DETAILS_KEY = {
    "EXECUTION": "ExecutionDetails",
    "CONTEXT": "ContextDetails",
    "STEP": "StepDetails",
    "WAIT": "WaitDetails",
    "CALLBACK": "CallbackDetails",
    "CHAINED_INVOKE": "ChainedInvokeDetails",
}


def _split(event_type: str) -> tuple[str, str] | None:
    for suffix, status in _STATUSES.items():
        if event_type.endswith(suffix):
            kind = _TYPES.get(event_type[: -len(suffix)])
            return (kind, status) if kind else None
    return None


def _payload(wrapped: Any) -> Any:
    return wrapped.get("Payload") if isinstance(wrapped, dict) else None


def operations_from_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One boto3-shaped operation dict per operation id, in order of first appearance."""
    ops: dict[str, dict[str, Any]] = {}
    for event in events:
        parsed = _split(event.get("EventType", ""))
        op_id = event.get("Id")
        if parsed is None or op_id is None:
            continue  # InvocationCompleted and anything without an operation
        kind, status = parsed
        op = ops.get(op_id)
        if op is None:
            op = ops[op_id] = {"Id": op_id, "Type": kind, "StartTimestamp": event.get("EventTimestamp")}
        op["Status"] = status
        for key in ("Name", "ParentId", "SubType"):
            if event.get(key) is not None:
                op[key] = event[key]
        if status != "STARTED":
            op["EndTimestamp"] = event.get("EventTimestamp")
        found = event.get(event["EventType"] + "Details") or {}
        details = op.setdefault(_DETAILS_KEY[kind], {})
        if kind == "EXECUTION" and "Input" in found:
            details["InputPayload"] = _payload(found["Input"])
        if "CallbackId" in found:
            details["CallbackId"] = found["CallbackId"]
        if "ScheduledEndTimestamp" in found:
            details["ScheduledEndTimestamp"] = found["ScheduledEndTimestamp"]
        if _payload(found.get("Result")) is not None:
            details["Result"] = _payload(found["Result"])
        if _payload(found.get("Error")) is not None:
            details["Error"] = _payload(found["Error"])
        retry = found.get("RetryDetails")
        if kind == "STEP" and retry:
            details["Attempt"] = retry.get("CurrentAttempt", 0)
    return list(ops.values())
