"""Transient checkpoint errors are retried for as long as the invocation has time, then end it cleanly.

An injected clock makes a 60 s outage take no real time: the checkpointer sleeps through it (back-off
doubling to 2 s) and the update is acknowledged once the service is back. When the outage outlasts the
invocation's time, the send gives up with a retriable CheckpointError, which every later flush raises
again (nothing is dropped): the invocation ends with an error and the service re-invokes it.
"""

from __future__ import annotations

from typing import Any

import pytest

from durable_mp.exceptions import CheckpointError, GetExecutionStateError
from durable_mp.execution import _Settings, run_invocation
from durable_mp.service.client import ServiceError
from durable_mp.state.checkpoint import Checkpointer
from durable_mp.state.replay import ReplayState
from durable_mp.wire import OpRef

ARN = "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/e/i"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class OutageClient:
    """Answers 503 until `until` (fake seconds), then acknowledges."""

    def __init__(self, clock: FakeClock, until: float) -> None:
        self.clock, self.until = clock, until
        self.failures = 0
        self.sent: list[list[dict[str, Any]]] = []

    def checkpoint(self, arn: str, token: str, updates: list[dict[str, Any]]) -> dict[str, Any]:
        if self.clock.now < self.until:
            self.failures += 1
            raise ServiceError("ServiceUnavailableException", "down", status=503)
        self.sent.append(list(updates))
        return {"CheckpointToken": f"t{len(self.sent)}", "NewExecutionState": {"Operations": []}}

    def get_execution_state(self, *a: Any, **k: Any) -> dict[str, Any]:
        raise ServiceError("ServiceUnavailableException", "down", status=503)


def checkpointer(client: OutageClient, clock: FakeClock, invocation_seconds: float) -> Checkpointer:
    return Checkpointer(
        client,  # type: ignore[arg-type]
        ReplayState(ARN),
        "t0",
        mode="eager",
        time_left=lambda: invocation_seconds - clock.now,
        sleep=clock.sleep,
        clock=clock,
    )


UPDATE = OpRef("op1", "STEP", "Step", "s", None).update("START")


def test_a_60_second_outage_is_survived_within_a_15_minute_invocation() -> None:
    clock = FakeClock()
    client = OutageClient(clock, until=60.0)
    cp = checkpointer(client, clock, invocation_seconds=900)
    cp.submit(UPDATE, sync=True)
    assert client.sent == [[UPDATE]]
    assert 60 <= clock.now < 63
    assert max(clock.sleeps) == 2.0 and client.failures > 25


def test_an_outage_longer_than_the_invocation_ends_it_retriably_and_loses_nothing() -> None:
    clock = FakeClock()
    client = OutageClient(clock, until=1e9)
    cp = checkpointer(client, clock, invocation_seconds=30)
    with pytest.raises(CheckpointError) as caught:
        cp.submit(UPDATE, sync=True)
    assert caught.value.retriable, "the service must re-invoke"
    assert 28 <= clock.now <= 30, "retried until the invocation's time was spent, not beyond"
    with pytest.raises(CheckpointError):  # the unacknowledged update is never silently forgotten
        cp.flush()


def test_a_permanent_error_is_not_retried() -> None:
    clock = FakeClock()

    class Bad(OutageClient):
        def checkpoint(self, arn: str, token: str, updates: list[dict[str, Any]]) -> dict[str, Any]:
            self.failures += 1
            raise ServiceError("InvalidParameterValueException", "bad", status=400)

    client = Bad(clock, 0)
    cp = checkpointer(client, clock, invocation_seconds=900)
    with pytest.raises(CheckpointError) as caught:
        cp.submit(UPDATE, sync=True)
    assert not caught.value.retriable
    assert client.failures == 1 and clock.sleeps == []


class Ctx:
    def __init__(self, ms: int) -> None:
        self.ms = ms

    def get_remaining_time_in_millis(self) -> int:
        return self.ms


SETTINGS = _Settings("batched", "inline", None, None, False, None)


@pytest.mark.parametrize(
    ("raised", "retriable"),
    [
        (RuntimeError("client bug"), True),
        (KeyError("Operations"), True),
        (ServiceError("ThrottlingException", "slow", status=429), True),
        (ServiceError("ResourceNotFoundException", "gone", status=404), False),
    ],
)
def test_a_failure_while_paging_the_state_ends_the_invocation_before_the_handler_runs(
    raised: Exception, retriable: bool
) -> None:
    ran = []

    class Paging:
        def get_execution_state(self, *a: Any, **k: Any) -> dict[str, Any]:
            raise raised

        def checkpoint(self, *a: Any, **k: Any) -> dict[str, Any]:
            raise AssertionError("nothing may be checkpointed from a partial state")

    event = {
        "DurableExecutionArn": ARN,
        "CheckpointToken": "t0",
        "InitialExecutionState": {"Operations": [], "NextMarker": "1000"},
    }
    handler = lambda e, c: ran.append(1)
    if retriable:
        with pytest.raises(GetExecutionStateError) as caught:
            run_invocation(handler, event, Ctx(1500), Paging(), SETTINGS)  # type: ignore[arg-type]
        assert caught.value.retriable
    else:
        out = run_invocation(handler, event, Ctx(1500), Paging(), SETTINGS)  # type: ignore[arg-type]
        assert out["Status"] == "FAILED"
        assert "ResourceNotFoundException" in out["Error"]["ErrorMessage"]
    assert ran == []
