"""pause_execution / resume_execution: a paused execution is not invoked until it is resumed."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from durable_mp.local import LocalDurableService
from durable_mp.service.client import ServiceError
from tests.local.conftest import types
from tests.local.rawhandlers import PENDING, Run, Script, ok, step


class Gated:
    """Invocation 1 runs `first(run)` in two halves around a gate; later invocations succeed."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.release = threading.Event()
        self.script = Script(self.body)
        self.notes: dict[str, Any] = {}

    def body(self, r: Run) -> dict[str, Any]:
        if len(self.script.invocations) > 1:
            return ok('"resumed"')
        r.checkpoint(step("a", "START"))
        self.reached.set()
        assert self.release.wait(10)
        response = r.client.checkpoint(r.arn, r.token, [step("a", "SUCCEED", Payload='"1"')])
        self.notes["token"] = response.get("CheckpointToken")
        try:
            r.client.checkpoint(r.arn, r.token, [step("b", "START")])
        except ServiceError as exc:
            self.notes["after"] = exc.code
        return PENDING


def _start(service: LocalDurableService, gated: Gated) -> str:
    service.register_durable_function("fn", gated.script)
    arn = service.start_execution("fn")
    assert gated.reached.wait(10)
    return arn


def test_pausing_a_running_invocation_ends_it_at_its_next_checkpoint() -> None:
    gated = Gated()
    with LocalDurableService(skip_time=True) as service:
        arn = _start(service, gated)
        pauser = threading.Thread(target=service.pause_execution, args=(arn,))
        pauser.start()
        time.sleep(0.05)
        gated.release.set()
        pauser.join(10)
        assert not pauser.is_alive()
        assert gated.notes == {"token": None, "after": "InvalidParameterValueException"}
        [op_a] = [op for op in service.operations(arn) if op["Id"] == "a"]
        assert op_a["Status"] == "SUCCEEDED"  # the accepted checkpoint is kept
        time.sleep(0.2)
        assert len(gated.script.invocations) == 1 and service.status(arn) == "RUNNING"
        service.resume_execution(arn)
        final = service.wait_for_execution(arn, timeout=10)
    assert final["Status"] == "SUCCEEDED" and final["Result"] == '"resumed"'
    assert len(gated.script.invocations) == 2


def test_an_invocation_that_comes_due_while_paused_is_held_back() -> None:
    def body(r: Run) -> dict[str, Any]:
        if "w" not in r.ops:
            r.checkpoint({"Id": "w", "Type": "WAIT", "Action": "START", "WaitOptions": {"WaitSeconds": 60}})
            return PENDING
        return ok()

    script = Script(body)
    with LocalDurableService(skip_time=False) as service:
        service.register_durable_function("fn", script)
        arn = service.start_execution("fn")
        assert service.wait_until(
            lambda: "InvocationCompleted" in [e["EventType"] for e in service.events(arn)], 10
        )
        service.pause_execution(arn)
        service.pause_execution(arn)  # again: unchanged
        with service._lock:  # make the wait come due now (the clock is real)
            service._core.clock.advance_to(service.now_ms() + 61_000)
            service._core.timers.kick()
        deadline = time.monotonic() + 10
        while "WaitSucceeded" not in types(service, arn) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert "WaitSucceeded" in types(service, arn)
        time.sleep(0.2)
        assert len(script.invocations) == 1
        service.resume_execution(arn)
        service.resume_execution(arn)  # again: unchanged
        assert service.wait_for_execution(arn, timeout=10)["Status"] == "SUCCEEDED"
        assert types(service, arn).count("InvocationCompleted") == 2


def test_pause_arguments_and_finished_executions() -> None:
    gated = Gated()
    with LocalDurableService(skip_time=True) as service:
        arn = _start(service, gated)
        with pytest.raises(ValueError, match="finite and positive"):
            service.pause_execution(arn, timeout=0)
        with pytest.raises(TimeoutError, match="it stays paused"):
            service.pause_execution(arn, timeout=0.1)
        gated.release.set()
        service.pause_execution(arn)  # the invocation ends at its next checkpoint
        assert gated.notes["token"] is None
        service.resume_execution(arn)
        assert service.wait_for_execution(arn, timeout=10)["Status"] == "SUCCEEDED"
        service.pause_execution(arn)  # finished: left as it is
        service.resume_execution(arn)
        with pytest.raises(ServiceError) as info:
            service.pause_execution("")
        assert info.value.code == "InvalidParameterValueException"
