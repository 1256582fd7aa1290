"""Fixtures for the local service tests: a skip-time service and history helpers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from durable_mp.local import LocalDurableService


@pytest.fixture
def svc() -> Iterator[LocalDurableService]:
    service = LocalDurableService(skip_time=True, retry_backoff=0.01)
    yield service
    service.close()
    assert service.timer_errors == []


def history(svc: LocalDurableService, arn: str) -> list[dict[str, Any]]:
    return svc.get_durable_execution_history(DurableExecutionArn=arn, IncludeExecutionData=True)["Events"]


def types(svc: LocalDurableService, arn: str) -> list[str]:
    return [e["EventType"] for e in history(svc, arn)]


def run(
    svc: LocalDurableService, name: str, handler: Any, payload: str | None = None, **kw: Any
) -> dict[str, Any]:
    svc.register_durable_function(name, handler)
    arn = svc.start_execution(name, payload, **kw)
    out = svc.wait_for_execution(arn, timeout=10)
    out["arn"] = arn
    return out
