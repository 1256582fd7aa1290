"""The crash back-off between invocation retries is real time, even on a skipping clock."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from durable_mp.local import LocalDurableService
from durable_mp.local.invocations import backoff_schedule
from tests.local.conftest import types
from tests.local.rawhandlers import PENDING, Run, Script, ok


def test_the_default_schedule_spans_a_minute_of_outage() -> None:
    assert backoff_schedule(1.0, 6) == [1, 2, 4, 8, 16, 32]
    assert sum(backoff_schedule(1.0, 6)) >= 60
    assert backoff_schedule(1.0, 8)[-2:] == [32, 32]  # capped
    assert backoff_schedule([0.1, 0.3], 4) == [0.1, 0.3, 0.3, 0.3]
    with pytest.raises(ValueError):
        backoff_schedule(0, 3)
    with LocalDurableService() as service:
        assert service._invocations.backoff == [1, 2, 4, 8, 16, 32]


def _crash(r: Run) -> dict[str, Any]:
    raise RuntimeError("checkpoint endpoint unreachable")


def test_back_off_is_real_time_under_skipped_time() -> None:
    sleeper = Script(lambda r: PENDING if r.ops else _wait_an_hour(r))
    with LocalDurableService(skip_time=True, retry_backoff=[0.15, 0.3], max_invocation_retries=2) as service:
        service.register_durable_function("sleeper", sleeper)
        service.register_durable_function("crasher", Script(_crash))
        service.start_execution("sleeper")  # its hour-long wait is skipped to, meanwhile
        started = time.monotonic()
        arn = service.start_execution("crasher")
        final = service.wait_for_execution(arn, timeout=10)
        took = time.monotonic() - started
        assert final["Status"] == "FAILED" and "unreachable" in final["Error"]["ErrorMessage"]
        assert types(service, arn).count("InvocationCompleted") == 3
        assert took >= 0.45 * 0.95, took


def _wait_an_hour(r: Run) -> dict[str, Any]:
    r.checkpoint({"Id": "w", "Type": "WAIT", "Action": "START", "WaitOptions": {"WaitSeconds": 3600}})
    return PENDING


def test_an_outage_shorter_than_the_schedule_is_survived() -> None:
    outage_ends = time.monotonic() + 0.4
    lock = threading.Lock()

    def body(r: Run) -> dict[str, Any]:
        with lock:
            if time.monotonic() < outage_ends:
                raise ConnectionError("service unavailable")
        return ok('"through"')

    with LocalDurableService(skip_time=True, retry_backoff=0.1, max_invocation_retries=4) as service:
        service.register_durable_function("fn", Script(body))
        arn = service.start_execution("fn")
        final = service.wait_for_execution(arn, timeout=10)
    assert final["Status"] == "SUCCEEDED" and final["Result"] == '"through"'  # 0.1 + 0.2 + 0.4 >= 0.4
