"""History format and order: steps, waits (both clocks), retries, wait_for_condition, crashes, timeouts."""

from __future__ import annotations

import time

import pytest

from durable_mp.local import LocalDurableService
from tests.local.conftest import history, run, types
from tests.local.rawhandlers import PENDING, Run, Script, ok, step


def wait_update(op_id: str, seconds: int) -> dict:
    return {
        "Id": op_id,
        "Type": "WAIT",
        "SubType": "Wait",
        "Action": "START",
        "WaitOptions": {"WaitSeconds": seconds},
    }


def step_then_wait(seconds: int):
    def body(r: Run) -> dict:
        if r.status("s1") is None:
            r.checkpoint(step("s1", "START", Name="first"))
            r.checkpoint(step("s1", "SUCCEED", Payload='"a"'))
        if r.status("w1") is None:
            r.checkpoint(wait_update("w1", seconds))
            return PENDING
        return ok('"done"') if r.status("w1") == "SUCCEEDED" else PENDING

    return Script(body)


def test_step_and_wait_history_in_skipped_time(svc: LocalDurableService) -> None:
    started = time.monotonic()
    out = run(svc, "fn", step_then_wait(3600), '"x"')
    assert time.monotonic() - started < 2
    assert out["Status"] == "SUCCEEDED" and out["Result"] == '"done"'
    events = history(svc, out["arn"])
    assert [(e["EventId"], e["EventType"]) for e in events] == [
        (1, "ExecutionStarted"),
        (2, "StepStarted"),
        (3, "StepSucceeded"),
        (4, "WaitStarted"),
        (5, "InvocationCompleted"),
        (6, "WaitSucceeded"),
        (7, "InvocationCompleted"),
        (8, "ExecutionSucceeded"),
    ]
    assert events[0]["ExecutionStartedDetails"]["Input"] == {"Payload": '"x"', "Truncated": False}
    assert (
        events[1]["Name"] == "first"
        and events[1]["SubType"] == "Step"
        and events[1]["StepStartedDetails"] == {}
    )
    assert events[2]["StepSucceededDetails"]["Result"] == {"Payload": '"a"', "Truncated": False}
    assert events[3]["WaitStartedDetails"]["Duration"] == 3600
    assert events[5]["WaitSucceededDetails"] == {"Duration": 3600}
    delta = events[5]["EventTimestamp"] - events[3]["EventTimestamp"]
    assert delta.total_seconds() >= 3600  # the clock jumped
    inv = events[4]["InvocationCompletedDetails"]
    assert set(inv) == {"StartTimestamp", "EndTimestamp", "RequestId"}
    assert events[7]["ExecutionSucceededDetails"]["Result"]["Payload"] == '"done"'


def test_wait_in_real_time_takes_real_time() -> None:
    service = LocalDurableService(skip_time=False)
    try:
        started = time.monotonic()
        out = run(service, "fn", step_then_wait(1))
        assert 0.9 <= time.monotonic() - started < 3
        assert types(service, out["arn"])[-3:] == [
            "WaitSucceeded",
            "InvocationCompleted",
            "ExecutionSucceeded",
        ]
    finally:
        service.close()


def test_history_without_execution_data_truncates_payloads(svc: LocalDurableService) -> None:
    out = run(svc, "fn", step_then_wait(1), '"secret"')
    events = svc.get_durable_execution_history(DurableExecutionArn=out["arn"])["Events"]
    assert events[0]["ExecutionStartedDetails"]["Input"] == {"Truncated": True}
    assert "secret" not in repr(events)


def test_history_paging_and_reverse(svc: LocalDurableService) -> None:
    out = run(svc, "fn", step_then_wait(1))
    first = svc.get_durable_execution_history(DurableExecutionArn=out["arn"], MaxItems=3)
    assert [e["EventId"] for e in first["Events"]] == [1, 2, 3]
    rest = svc.get_durable_execution_history(
        DurableExecutionArn=out["arn"], MaxItems=100, Marker=first["NextMarker"]
    )
    assert [e["EventId"] for e in rest["Events"]] == [4, 5, 6, 7, 8] and "NextMarker" not in rest
    reverse = svc.get_durable_execution_history(DurableExecutionArn=out["arn"], ReverseOrder=True)
    assert reverse["Events"][0]["EventType"] == "ExecutionSucceeded"


def test_step_retry_goes_pending_then_ready_and_counts_attempts(svc: LocalDurableService) -> None:
    seen: list[str | None] = []

    def body(r: Run) -> dict:
        seen.append(r.status("s1"))
        if r.status("s1") is None:
            r.checkpoint(step("s1", "START"))
            response = r.checkpoint(
                step(
                    "s1",
                    "RETRY",
                    Error={"ErrorType": "Boom", "ErrorMessage": "x"},
                    StepOptions={"NextAttemptDelaySeconds": 30},
                )
            )
            op = response["NewExecutionState"]["Operations"][0]
            assert op["Status"] == "PENDING" and op["StepDetails"]["Attempt"] == 1
            assert op["StepDetails"]["NextAttemptTimestamp"] - op["StartTimestamp"] >= 30_000
            return PENDING
        r.checkpoint(step("s1", "START"))
        r.checkpoint(step("s1", "SUCCEED", Payload="1"))
        return ok("1")

    out = run(svc, "fn", Script(body))
    assert seen == [None, "READY"]
    events = history(svc, out["arn"])
    assert [e["EventType"] for e in events] == [
        "ExecutionStarted",
        "StepStarted",
        "StepFailed",
        "InvocationCompleted",
        "StepStarted",
        "StepSucceeded",
        "InvocationCompleted",
        "ExecutionSucceeded",
    ]
    assert events[2]["StepFailedDetails"]["RetryDetails"] == {
        "CurrentAttempt": 1,
        "NextAttemptDelaySeconds": 30,
    }
    assert events[2]["StepFailedDetails"]["Error"]["Payload"]["ErrorType"] == "Boom"
    assert events[5]["StepSucceededDetails"]["RetryDetails"] == {"CurrentAttempt": 2}


def test_wait_for_condition_retry_with_payload_is_step_succeeded(svc: LocalDurableService) -> None:
    def body(r: Run) -> dict:
        op = r.ops.get("c1")
        state = int(op["StepDetails"]["Result"]) if op else 0
        r.checkpoint({"Id": "c1", "Type": "STEP", "SubType": "WaitForCondition", "Action": "START"})
        if state + 1 < 3:
            r.checkpoint(
                {
                    "Id": "c1",
                    "Type": "STEP",
                    "Action": "RETRY",
                    "Payload": str(state + 1),
                    "StepOptions": {"NextAttemptDelaySeconds": 5},
                }
            )
            return PENDING
        r.checkpoint({"Id": "c1", "Type": "STEP", "Action": "SUCCEED", "Payload": "3"})
        return ok("3")

    out = run(svc, "fn", Script(body))
    events = history(svc, out["arn"])
    succeeded = [e for e in events if e["EventType"] == "StepSucceeded"]
    assert [e["StepSucceededDetails"]["Result"]["Payload"] for e in succeeded] == ["1", "2", "3"]
    assert all(e["SubType"] == "WaitForCondition" for e in succeeded)
    assert succeeded[0]["StepSucceededDetails"]["RetryDetails"] == {
        "CurrentAttempt": 1,
        "NextAttemptDelaySeconds": 5,
    }
    assert [e["EventId"] for e in events if e["EventType"] == "InvocationCompleted"] == [4, 7, 10]
    assert events[-1]["EventId"] == 11 and events[-1]["EventType"] == "ExecutionSucceeded"


def test_crashed_invocation_is_recorded_and_retried(svc: LocalDurableService) -> None:
    def body(r: Run) -> dict:
        if r.status("s1") is None:
            r.checkpoint(step("s1", "START"))
            raise RuntimeError("process died")
        r.checkpoint(
            step("s1", "FAIL", Error={"ErrorType": "StepInterrupted", "ErrorMessage": "interrupted"})
        )
        return {"Status": "FAILED", "Error": {"ErrorType": "StepInterrupted", "ErrorMessage": "interrupted"}}

    out = run(svc, "fn", Script(body))
    assert out["Status"] == "FAILED" and out["Error"]["ErrorType"] == "StepInterrupted"
    events = history(svc, out["arn"])
    assert [e["EventType"] for e in events] == [
        "ExecutionStarted",
        "StepStarted",
        "InvocationCompleted",
        "StepFailed",
        "InvocationCompleted",
        "ExecutionFailed",
    ]
    crash = events[2]["InvocationCompletedDetails"]["Error"]["Payload"]
    assert crash["ErrorType"] == "Runtime.ExitError" and "process died" in crash["ErrorMessage"]
    assert "Error" not in events[4]["InvocationCompletedDetails"]
    assert events[3]["StepFailedDetails"]["RetryDetails"] == {"CurrentAttempt": 1}


def test_crash_retries_are_bounded() -> None:
    service = LocalDurableService(skip_time=True, retry_backoff=0.01, max_invocation_retries=2)
    try:

        def body(r: Run) -> dict:
            raise ValueError("always")

        out = run(service, "fn", Script(body))
        assert out["Status"] == "FAILED" and out["Error"]["ErrorType"] == "Runtime.ExitError"
        assert types(service, out["arn"]) == ["ExecutionStarted"] + ["InvocationCompleted"] * 3 + [
            "ExecutionFailed"
        ]
    finally:
        service.close()


def test_invalid_output_is_a_crash(svc: LocalDurableService) -> None:
    calls = []

    def body(r: Run) -> dict:
        calls.append(1)
        return {"Status": "DONE"} if len(calls) == 1 else ok()  # type: ignore[return-value]

    out = run(svc, "fn", Script(body))
    events = history(svc, out["arn"])
    assert events[1]["InvocationCompletedDetails"]["Error"]["Payload"]["ErrorType"] == "Runtime.MarshalError"
    assert out["Status"] == "SUCCEEDED"


def test_invocation_timeout_revokes_token_and_reinvokes() -> None:
    service = LocalDurableService(skip_time=True, invocation_timeout=0.3, retry_backoff=0.01)
    stale: list[Exception] = []
    remaining: list[int] = []

    def body(r: Run) -> dict:
        remaining.append(r.context.get_remaining_time_in_millis())
        if len(remaining) == 1:
            time.sleep(0.6)
            try:
                r.checkpoint(step("s1", "START"))
            except Exception as exc:  # noqa: BLE001
                stale.append(exc)
            return ok('"late"')
        return ok('"second"')

    try:
        out = run(service, "fn", Script(body))
        assert out["Result"] == '"second"'
        assert 0 < remaining[0] <= 300
        events = history(service, out["arn"])
        error = events[1]["InvocationCompletedDetails"]["Error"]["Payload"]
        assert (
            error["ErrorType"] == "Sandbox.Timedout"
            and "Task timed out after 0.30 seconds" in error["ErrorMessage"]
        )
        assert [e["EventType"] for e in events] == [
            "ExecutionStarted",
            "InvocationCompleted",
            "InvocationCompleted",
            "ExecutionSucceeded",
        ]
        deadline = time.monotonic() + 2
        while not stale and time.monotonic() < deadline:
            time.sleep(0.05)
        assert stale and getattr(stale[0], "code", None) == "InvalidParameterValueException"
    finally:
        service.close()


def test_execution_timeout() -> None:
    def body(r: Run) -> dict:
        if r.status("w1") is None:
            r.checkpoint(wait_update("w1", 3600))
        return PENDING

    service = LocalDurableService(skip_time=False)
    try:
        out = run(service, "fn", Script(body), execution_timeout=1)
        assert out["Status"] == "TIMED_OUT"
        events = history(service, out["arn"])
        assert [e["EventType"] for e in events][-2:] == ["InvocationCompleted", "ExecutionTimedOut"]
        assert "1 seconds" in events[-1]["ExecutionTimedOutDetails"]["Error"]["Payload"]["ErrorMessage"]
    finally:
        service.close()


def test_execution_timeout_counts_real_seconds_when_skipping(svc: LocalDurableService) -> None:
    def body(r: Run) -> dict:
        if r.status("w1") is None:
            r.checkpoint(wait_update("w1", 7200))
            return PENDING
        if r.status("w2") is None:
            time.sleep(1.1)
            r.checkpoint(wait_update("w2", 60))
        return PENDING

    out = run(svc, "fn", Script(body), execution_timeout=1)
    events = history(svc, out["arn"])
    assert out["Status"] == "TIMED_OUT"
    assert "WaitSucceeded" in [e["EventType"] for e in events]  # the 2 h jump did not time it out
    assert events[-1]["EventType"] == "ExecutionTimedOut"


@pytest.mark.parametrize("status", ["SUCCEEDED", "FAILED"])
def test_large_result_checkpointed_as_execution_update(svc: LocalDurableService, status: str) -> None:
    def body(r: Run) -> dict:
        if status == "SUCCEEDED":
            response = r.checkpoint(
                {"Id": "execution-result-1", "Type": "EXECUTION", "Action": "SUCCEED", "Payload": '"big"'}
            )
            assert "CheckpointToken" not in response
            return {"Status": "SUCCEEDED", "Result": ""}
        r.checkpoint(
            {
                "Id": "execution-result-1",
                "Type": "EXECUTION",
                "Action": "FAIL",
                "Error": {"ErrorType": "E", "ErrorMessage": "m"},
            }
        )
        return {"Status": "FAILED"}

    out = run(svc, "fn", Script(body))
    assert out["Status"] == status
    if status == "SUCCEEDED":
        assert out["Result"] == '"big"'
    else:
        assert out["Error"] == {"ErrorType": "E", "ErrorMessage": "m"}
