"""History events in the service's format (GetDurableExecutionHistory), appended, never rewritten.

An event is `{EventType, SubType?, EventId, Id?, Name?, ParentId?, EventTimestamp, <EventType>Details}`;
the details key is always present. Payloads are wrapped as `{Payload, Truncated}`, errors as
`{Payload: ErrorObject, Truncated}`. Timestamps are epoch ms here; the facade converts them.
"""

from __future__ import annotations

from typing import Any

from durable_mp.local.executions import Execution


def wrap(payload: str | None) -> dict[str, Any]:
    return {"Truncated": False} if payload is None else {"Payload": payload, "Truncated": False}


def wrap_error(error: dict[str, Any] | None) -> dict[str, Any]:
    return {"Truncated": False} if error is None else {"Payload": error, "Truncated": False}


def append(
    ex: Execution, event_type: str, now: int, details: dict[str, Any], op: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Append one event for `op` (or an execution-level one) and return it."""
    event: dict[str, Any] = {"EventType": event_type}
    if op is not None:
        sub_type = op.get("SubType")
        if sub_type is not None:
            event["SubType"] = sub_type
        event["EventId"] = len(ex.events) + 1
        event["Id"] = op["Id"]
        name = op.get("Name")
        if name is not None:
            event["Name"] = name
        parent = op.get("ParentId")
        if parent is not None:
            event["ParentId"] = parent
    else:
        event["EventId"] = len(ex.events) + 1
    event["EventTimestamp"] = now
    event[event_type + "Details"] = details
    ex.events.append(event)
    return event


def execution_started(ex: Execution) -> None:
    event = {
        "EventType": "ExecutionStarted",
        "EventId": len(ex.events) + 1,
        "Id": ex.op_id,
        "Name": ex.name,
        "EventTimestamp": ex.start_ms,
        "ExecutionStartedDetails": {"Input": wrap(ex.input_payload), "ExecutionTimeout": ex.timeout_s},
    }
    ex.events.append(event)


def execution_ended(ex: Execution, now: int) -> None:
    """The terminal Execution event for `ex.status`."""
    status = ex.status
    if status == "SUCCEEDED":
        etype, details = "ExecutionSucceeded", {"Result": wrap(ex.result)}
    elif status == "FAILED":
        etype, details = "ExecutionFailed", {"Error": wrap_error(ex.error)}
    elif status == "TIMED_OUT":
        etype, details = "ExecutionTimedOut", {"Error": wrap_error(ex.error)}
    else:
        etype, details = "ExecutionStopped", {"Error": wrap_error(ex.error)}
    event = {
        "EventType": etype,
        "EventId": len(ex.events) + 1,
        "Id": ex.op_id,
        "Name": ex.name,
        "EventTimestamp": now,
        etype + "Details": details,
    }
    ex.events.append(event)


def invocation_completed(
    ex: Execution, start_ms: int, end_ms: int, request_id: str, error: dict[str, Any] | None
) -> None:
    details: dict[str, Any] = {"StartTimestamp": start_ms, "EndTimestamp": end_ms, "RequestId": request_id}
    if error is not None:
        details["Error"] = wrap_error(error)
    ex.events.append(
        {
            "EventType": "InvocationCompleted",
            "EventId": len(ex.events) + 1,
            "EventTimestamp": end_ms,
            "InvocationCompletedDetails": details,
        }
    )


def strip_data(event: dict[str, Any]) -> dict[str, Any]:
    """The event as returned without IncludeExecutionData: payloads and error objects left out."""
    for key, details in event.items():
        if key.endswith("Details") and isinstance(details, dict):
            changed = {
                k: ({"Truncated": True} if isinstance(v, dict) and "Truncated" in v else v)
                for k, v in details.items()
            }
            if changed != details:
                return {**event, key: changed}
    return event
