"""Plain-text tables: history events and executions (timestamps in epoch ms or datetime), and `render_rows`,
the aligned-text renderer the load-test report uses too."""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from typing import Any

from durable_mp.cli.payloads import display

_WIDTH = 48


def _ms(value: Any) -> float:
    if isinstance(value, datetime.datetime):
        return value.timestamp() * 1000.0
    return float(value)


def _short(text: str, width: int = _WIDTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _payload(wrapper: dict[str, Any] | None, decode: bool = True) -> str:
    if not wrapper or "Payload" not in wrapper:
        return ""
    payload = wrapper["Payload"]
    if isinstance(payload, dict):  # an ErrorObject
        kind = payload.get("ErrorType") or "Error"
        return f"{kind}: {payload.get('ErrorMessage', '')}"
    return display(str(payload)) if decode else str(payload)


def event_detail(event: dict[str, Any], decode: bool = True) -> str:
    """A short description of what the event carries (result, error, duration, callback id ...)."""
    details = event.get(f"{event['EventType']}Details") or {}
    etype = event["EventType"]
    if etype == "InvocationCompleted":
        took = _ms(details.get("EndTimestamp", 0)) - _ms(details.get("StartTimestamp", 0))
        error = _payload(details.get("Error"))
        return f"{took:.0f} ms" + (f"  {error}" if error else "")
    if etype == "WaitStarted":
        return f"{details.get('Duration')} s"
    if etype == "CallbackStarted":
        return f"callback id {details.get('CallbackId')}"
    if etype == "ExecutionStarted":
        return _payload(details.get("Input"))
    parts = []
    if "Result" in details:
        parts.append(_payload(details["Result"], decode))
    if "Error" in details:
        parts.append(_payload(details["Error"]))
    retry = details.get("RetryDetails")
    if retry:
        parts.append(
            f"attempt {retry.get('CurrentAttempt')}"
            + (
                f", next in {retry['NextAttemptDelaySeconds']} s"
                if "NextAttemptDelaySeconds" in retry
                else ""
            )
        )
    return "  ".join(p for p in parts if p)


def history_table(
    events: list[dict[str, Any]],
    *,
    head: int | None = None,
    tail: int = 10,
    more_hint: str | None = None,
    decode: bool = True,
) -> str:
    """The events as aligned rows; with `head`, only the first `head` and last `tail` (then `more_hint`)."""
    if not events:
        return "(no events)"
    start = _ms(events[0]["EventTimestamp"])
    rows = [("#", "time", "event", "name", "detail")]
    chosen: list[dict[str, Any] | None] = list(events)
    if head is not None and len(events) > head + tail:
        chosen = [*events[:head], None, *events[-tail:]]
    for event in chosen:
        if event is None:
            # the None row is there only with a head, so head is an int here
            rows.append(("...", "", f"{len(events) - head - tail} more events", "", ""))  # type: ignore[operator]
            continue
        offset = (_ms(event["EventTimestamp"]) - start) / 1000.0
        kind = event["EventType"] + (
            f" ({event['SubType']})"
            if event.get("SubType") and event["SubType"] not in event["EventType"]
            else ""
        )
        rows.append(
            (
                str(event["EventId"]),
                f"+{offset:.3f}s",
                kind,
                _short(event.get("Name") or "", 28),
                _short(event_detail(event, decode)),
            )
        )
    table = _align(rows)
    if more_hint and len(chosen) < len(events):
        table += "\n" + more_hint
    return table


def executions_table(items: list[dict[str, Any]]) -> str:
    """Executions (GetDurableExecution-like dicts) as rows: name, function, status, start, duration, ARN."""
    if not items:
        return "(no executions)"
    rows = [("name", "function", "status", "started", "took", "arn")]
    for item in items:
        start = _ms(item["StartTimestamp"])
        end = item.get("EndTimestamp")
        took = f"{(_ms(end) - start) / 1000.0:.2f}s" if end is not None else "-"
        started = datetime.datetime.fromtimestamp(start / 1000.0).strftime("%Y-%m-%d %H:%M:%S")
        function = item["FunctionArn"].split(":function:", 1)[-1].split(":", 1)[0]
        rows.append(
            (
                item["DurableExecutionName"],
                function,
                item["Status"],
                started,
                took,
                item["DurableExecutionArn"],
            )
        )
    return _align(rows)


def render_rows(
    rows: Sequence[Sequence[str]], *, right_from: int | None = None, header_rule: bool = False
) -> str:
    """Rows of cells as aligned text, two spaces apart: the one table renderer of the command line (history,
    executions, the load-test report). Columns from `right_from` on are right-aligned (numbers); with
    `header_rule`, a line of dashes follows the first row."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]

    def line(row: Sequence[str]) -> str:
        cells = [
            cell.rjust(widths[i]) if right_from is not None and i >= right_from else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        return "  ".join(cells).rstrip()

    lines = [line(row) for row in rows]
    if header_rule:
        lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _align(rows: Sequence[Sequence[str]]) -> str:
    return render_rows(rows)


def result_text(result: str | None) -> str:
    """The execution result (a JSON string) as compact JSON, or `null`."""
    if result is None or result == "":
        return "null"
    try:
        return json.dumps(json.loads(result), ensure_ascii=False)
    except ValueError:
        return result
