"""An ErrorObject for people: its type and message, then the frames of its StackTrace."""

from __future__ import annotations

from typing import Any


def error_lines(error: dict[str, Any], indent: str = "  ") -> list[str]:
    """["Type: message", "Stack trace (innermost last):", "  File ..., line N, in f: code", ...]."""
    head = f"{error.get('ErrorType') or 'Error'}: {error.get('ErrorMessage', '')}".strip()
    frames = error.get("StackTrace") or []
    if not frames:
        return [head]
    return [head, "Stack trace (innermost last):", *(indent + str(frame).rstrip() for frame in frames)]


def stack_traces(events: list[dict[str, Any]]) -> list[str]:
    """For each event carrying an error with a StackTrace: `#ID EVENT NAME: Type: message` and its frames."""
    out: list[str] = []
    for event in events:
        details = event.get(f"{event['EventType']}Details") or {}
        wrapper = details.get("Error") or {}
        error = wrapper.get("Payload") if isinstance(wrapper, dict) else None
        if not isinstance(error, dict) or not error.get("StackTrace"):
            continue
        lines = error_lines(error)
        name = f" {event['Name']}" if event.get("Name") else ""
        out.append(f"#{event['EventId']} {event['EventType']}{name}: {lines[0]}")
        out.extend(lines[2:])
    return out


_OPERATION_KINDS = {
    "Step": "step",
    "Context": "child context",
    "Wait": "wait",
    "Callback": "callback",
    "ChainedInvoke": "invoke",
}


def failing_operation(events: list[dict[str, Any]], error: dict[str, Any]) -> str | None:
    """`step 'lookup' (event #6)`: the operation whose failure (same message) failed the execution."""
    message = error.get("ErrorMessage")
    for event in reversed(events):
        etype = event["EventType"]
        kind = next((k for k in _OPERATION_KINDS if etype.startswith(k)), None)
        if kind is None or not etype.endswith(("Failed", "TimedOut")):
            continue
        details = event.get(f"{etype}Details") or {}
        payload = (details.get("Error") or {}).get("Payload")
        if isinstance(payload, dict) and payload.get("ErrorMessage") == message:
            name = f" {event['Name']!r}" if event.get("Name") else ""
            return f"{_OPERATION_KINDS[kind]}{name} (event #{event['EventId']})"
    return None
