"""Helpers of the scale tests: what each execution of a local service holds."""

from __future__ import annotations

from typing import Any

from durable_mp.local import LocalDurableService


def _pages(call: Any, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    marker = None
    while True:
        page = call(**kwargs, **({"Marker": marker} if marker else {}))
        out.extend(page[key])
        marker = page.get("NextMarker")
        if not marker:
            return out


def history(service: LocalDurableService, arn: str) -> list[dict[str, Any]]:
    return _pages(service.get_durable_execution_history, "Events", DurableExecutionArn=arn, MaxItems=1000)


def operation_ids(service: LocalDurableService, arn: str) -> set[str]:
    """The operation ids an execution holds (the EXECUTION operation included), from its history."""
    return {e["Id"] for e in history(service, arn) if e.get("Id")}


def executions(service: LocalDurableService, function: str = "test-function") -> list[dict[str, Any]]:
    return _pages(service.list_durable_executions_by_function, "DurableExecutions", FunctionName=function)
