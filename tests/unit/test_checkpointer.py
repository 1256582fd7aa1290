"""The checkpointer: batching per mode, token flow, revocation, retries of transient errors, payload limit."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from durable_mp.exceptions import CheckpointError, PayloadTooLargeError
from durable_mp.service.client import ServiceError
from durable_mp.state.checkpoint import Checkpointer, TokenRevoked
from durable_mp.state.replay import ReplayState
from durable_mp.wire import MAX_PAYLOAD_BYTES, OpRef

ARN = "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/e/i"


class FakeClient:
    def __init__(self, fail_first: int = 0, revoke: bool = False, permanent: bool = False) -> None:
        self.requests: list[tuple[str, list[dict[str, Any]]]] = []
        self.fail_first = fail_first
        self.revoke = revoke
        self.permanent = permanent
        self.n = 0
        self.lock = threading.Lock()

    def checkpoint(self, arn: str, token: str, updates: list[dict[str, Any]]) -> dict[str, Any]:
        with self.lock:
            if self.permanent:
                raise ServiceError("InvalidParameterValueException", "bad update", status=400)
            if self.fail_first:
                self.fail_first -= 1
                raise ServiceError("TooManyRequestsException", "slow down", status=429)
            self.requests.append((token, list(updates)))
            self.n += 1
            ops = [{"Id": u["Id"], "Type": u["Type"], "Status": "STARTED"} for u in updates]
            return {
                "CheckpointToken": None if self.revoke else f"t{self.n}",
                "NewExecutionState": {"Operations": ops},
            }

    def get_execution_state(self, *a: Any, **k: Any) -> dict[str, Any]:
        return {"Operations": []}


def step(n: int) -> OpRef:
    return OpRef(f"op{n}", "STEP", "Step", None, None)


def test_batched_mode_sends_async_updates_with_the_next_sync_one() -> None:
    client = FakeClient()
    cp = Checkpointer(client, ReplayState(ARN), "t0", mode="batched", window=10)
    cp.submit(step(1).update("START"))
    cp.submit(step(1).update("SUCCEED", payload="1"), sync=True)
    assert len(client.requests) == 1
    token, updates = client.requests[0]
    assert token == "t0"
    assert [u["Action"] for u in updates] == ["START", "SUCCEED"]
    assert cp.token == "t1"
    cp.close()


def test_tokens_are_used_once_each_in_sequence() -> None:
    client = FakeClient()
    cp = Checkpointer(client, ReplayState(ARN), "t0", mode="eager")
    for i in range(3):
        cp.submit(step(i).update("START"))
    assert [t for t, _ in client.requests] == ["t0", "t1", "t2"]
    assert all(len(u) == 1 for _, u in client.requests)


def test_background_flush_sends_async_updates_within_the_window() -> None:
    client = FakeClient()
    cp = Checkpointer(client, ReplayState(ARN), "t0", mode="batched", window=0.01)
    cp.submit(step(1).update("START"))
    deadline = time.monotonic() + 2
    while not client.requests and time.monotonic() < deadline:
        time.sleep(0.005)
    assert client.requests and client.requests[0][1][0]["Id"] == "op1"
    cp.close()


def test_optimistic_mode_waits_only_for_required_acknowledgements() -> None:
    client = FakeClient()
    cp = Checkpointer(client, ReplayState(ARN), "t0", mode="optimistic", window=10)
    cp.submit(step(1).update("SUCCEED", payload="1"), sync=True)
    assert client.requests == []
    cp.submit(step(2).update("START"), sync=True, required=True)
    assert len(client.requests) == 1 and len(client.requests[0][1]) == 2
    cp.close()


def test_responses_update_the_replay_state() -> None:
    replay = ReplayState(ARN)
    cp = Checkpointer(FakeClient(), replay, "t0")
    cp.submit(step(7).update("START"), sync=True)
    assert replay.get("op7") is not None and replay.get("op7").status == "STARTED"


def test_transient_errors_are_retried_in_process() -> None:
    client = FakeClient(fail_first=2)
    cp = Checkpointer(client, ReplayState(ARN), "t0")
    cp.submit(step(1).update("START"), sync=True)
    assert len(client.requests) == 1


def test_permanent_error_raises_checkpoint_error_and_sticks() -> None:
    cp = Checkpointer(FakeClient(permanent=True), ReplayState(ARN), "t0")
    with pytest.raises(CheckpointError) as info:
        cp.submit(step(1).update("START"), sync=True)
    assert not info.value.retriable
    with pytest.raises(CheckpointError):
        cp.flush()


def test_revoked_token_stops_the_invocation() -> None:
    cp = Checkpointer(FakeClient(revoke=True), ReplayState(ARN), "t0")
    with pytest.raises(TokenRevoked):
        cp.submit(step(1).update("START"), sync=True)
    assert cp.revoked


def test_oversized_payload_is_refused_before_sending() -> None:
    client = FakeClient()
    cp = Checkpointer(client, ReplayState(ARN), "t0")
    with pytest.raises(PayloadTooLargeError, match="262,144"):
        cp.submit(step(1).update("SUCCEED", payload="x" * (MAX_PAYLOAD_BYTES + 1)), sync=True)
    assert client.requests == []


def test_request_limits_split_large_batches() -> None:
    client = FakeClient()
    cp = Checkpointer(client, ReplayState(ARN), "t0", mode="batched", window=10)
    for i in range(600):
        cp.submit(step(i).update("START"))
    cp.flush()
    sizes = [len(u) for _, u in client.requests]
    assert sum(sizes) == 600 and max(sizes) <= 250
    cp.close()


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="checkpoint mode"):
        Checkpointer(FakeClient(), ReplayState(ARN), "t0", mode="lazy")


class SlowClient(FakeClient):
    """Each request takes 20 ms, as a checkpoint call on Lambda does."""

    def checkpoint(self, arn: str, token: str, updates: list[dict[str, Any]]) -> dict[str, Any]:
        time.sleep(0.02)
        return super().checkpoint(arn, token, updates)


def test_concurrent_sync_updates_share_requests_group_commit() -> None:
    """32 threads each wait for two updates in turn (a step, then its context): the waits of concurrent
    threads ride on the same requests instead of queueing one request each behind the send."""
    client = SlowClient()
    cp = Checkpointer(client, ReplayState(ARN), "t0", mode="batched", window=10)
    barrier = threading.Barrier(32)

    def branch(k: int) -> None:
        barrier.wait()
        cp.submit(step(k).update("SUCCEED", payload="1"), sync=True)
        cp.submit(step(1000 + k).update("SUCCEED", payload="1"), sync=True)

    threads = [threading.Thread(target=branch, args=(k,)) for k in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sent = [u["Id"] for _, updates in client.requests for u in updates]
    assert sorted(sent) == sorted([f"op{k}" for k in range(32)] + [f"op{1000 + k}" for k in range(32)])
    assert len(client.requests) <= 8, [len(updates) for _, updates in client.requests]
    assert [token for token, _ in client.requests] == [
        "t0",
        *(f"t{n}" for n in range(1, len(client.requests))),
    ]


def test_a_failed_send_reaches_every_thread_waiting_for_it() -> None:
    client = SlowClient(permanent=True)
    cp = Checkpointer(client, ReplayState(ARN), "t0", mode="batched", window=10)
    errors: list[BaseException] = []

    def branch(k: int) -> None:
        try:
            cp.submit(step(k).update("SUCCEED", payload="1"), sync=True)
        except CheckpointError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=branch, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert not any(t.is_alive() for t in threads) and len(errors) == 8
