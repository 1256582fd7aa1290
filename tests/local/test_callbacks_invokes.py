"""Callbacks (success, failure, timeouts, heartbeats), chained invokes, stop and list."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from durable_mp.local import LocalDurableService
from durable_mp.service.client import ServiceError
from tests.local.conftest import history, run, types
from tests.local.rawhandlers import PENDING, Run, Script, ok, step


def callback_handler(options: dict[str, Any] | None = None, extra_wait: int = 0) -> Script:
    def body(r: Run) -> dict:
        if r.status("cb") is None:
            update: dict[str, Any] = {
                "Id": "cb",
                "Type": "CALLBACK",
                "SubType": "Callback",
                "Action": "START",
                "Name": "approval",
            }
            if options is not None:
                update["CallbackOptions"] = options
            r.checkpoint(update)
            if extra_wait:
                r.checkpoint(
                    {"Id": "w", "Type": "WAIT", "Action": "START", "WaitOptions": {"WaitSeconds": extra_wait}}
                )
            return PENDING
        op = r.ops["cb"]
        if op["Status"] == "STARTED":
            return PENDING
        if op["Status"] == "SUCCEEDED":
            return ok(json.dumps(op["CallbackDetails"].get("Result")))
        return {"Status": "FAILED", "Error": op["CallbackDetails"]["Error"]}

    return Script(body)


def start(svc: LocalDurableService, handler: Script, name: str = "fn") -> tuple[str, str]:
    svc.register_durable_function(name, handler)
    arn = svc.start_execution(name)
    assert svc.wait_until(lambda: any(e["EventType"] == "InvocationCompleted" for e in svc.events(arn)), 5)
    cid = next(e for e in svc.events(arn) if e["EventType"] == "CallbackStarted")["CallbackStartedDetails"][
        "CallbackId"
    ]
    return arn, cid


def test_callback_success_keeps_result_byte_for_byte(svc: LocalDurableService) -> None:
    arn, cid = start(svc, callback_handler({"TimeoutSeconds": 0, "HeartbeatTimeoutSeconds": 0}))
    raw = '{"b": 1,  "a":"é\\u00e9"}'.encode()
    assert svc.send_durable_execution_callback_success(CallbackId=cid, Result=raw) == {}
    out = svc.wait_for_execution(arn, 5)
    assert json.loads(out["Result"]) == raw.decode()
    events = history(svc, arn)
    assert [e["EventType"] for e in events] == [
        "ExecutionStarted",
        "CallbackStarted",
        "InvocationCompleted",
        "CallbackSucceeded",
        "InvocationCompleted",
        "ExecutionSucceeded",
    ]
    assert events[1]["CallbackStartedDetails"] == {"CallbackId": cid, "Timeout": 0, "HeartbeatTimeout": 0}
    assert events[3]["CallbackSucceededDetails"]["Result"]["Payload"] == raw.decode()
    assert events[3]["Name"] == "approval"
    with pytest.raises(ServiceError) as info:
        svc.send_durable_execution_callback_success(CallbackId=cid, Result=b"again")
    assert info.value.code == "InvalidParameterValueException"


def test_callback_failure(svc: LocalDurableService) -> None:
    arn, cid = start(svc, callback_handler())
    svc.send_durable_execution_callback_failure(
        CallbackId=cid, Error={"ErrorType": "Rejected", "ErrorMessage": "no"}
    )
    out = svc.wait_for_execution(arn, 5)
    assert out["Status"] == "FAILED" and out["Error"]["ErrorType"] == "Rejected"
    failed = next(e for e in history(svc, arn) if e["EventType"] == "CallbackFailed")
    assert failed["CallbackFailedDetails"]["Error"]["Payload"] == {
        "ErrorType": "Rejected",
        "ErrorMessage": "no",
    }


def test_unknown_callback_id(svc: LocalDurableService) -> None:
    with pytest.raises(ServiceError) as info:
        svc.send_durable_execution_callback_success(CallbackId="nope", Result=b"1")
    assert info.value.code == "ResourceNotFoundException"


def test_callback_timeout_is_real_time_even_when_skipping(svc: LocalDurableService) -> None:
    started = time.monotonic()
    arn, cid = start(svc, callback_handler({"TimeoutSeconds": 1}))
    out = svc.wait_for_execution(arn, 5)
    assert time.monotonic() - started >= 0.9
    assert out["Status"] == "FAILED"
    timed_out = next(e for e in history(svc, arn) if e["EventType"] == "CallbackTimedOut")
    assert timed_out["EventId"] == 4
    assert timed_out["CallbackTimedOutDetails"]["Error"]["Payload"]["ErrorType"] == "Callback.Timeout"
    with pytest.raises(ServiceError) as info:
        svc.send_durable_execution_callback_success(CallbackId=cid, Result=b"late")
    assert info.value.code == "CallbackTimeoutException"


def test_heartbeats_extend_the_heartbeat_timeout(svc: LocalDurableService) -> None:
    arn, cid = start(svc, callback_handler({"HeartbeatTimeoutSeconds": 1}))
    for _ in range(3):
        time.sleep(0.5)
        svc.send_durable_execution_callback_heartbeat(CallbackId=cid)
    assert svc.get_durable_execution(DurableExecutionArn=arn)["Status"] == "RUNNING"
    out = svc.wait_for_execution(arn, 5)
    assert out["Status"] == "FAILED"
    timed_out = next(e for e in history(svc, arn) if e["EventType"] == "CallbackTimedOut")
    assert timed_out["CallbackTimedOutDetails"]["Error"]["Payload"]["ErrorType"] == "Callback.Heartbeat"


def test_skipping_never_passes_a_moment_a_callback_may_arrive(svc: LocalDurableService) -> None:
    arn, cid = start(svc, callback_handler(extra_wait=3600))
    time.sleep(0.3)
    assert "WaitSucceeded" not in types(svc, arn)  # an open callback keeps this execution on real time
    svc.send_durable_execution_callback_success(CallbackId=cid, Result=b'"ok"')
    assert svc.wait_for_execution(arn, 5)["Status"] == "SUCCEEDED"


def invoker_handler(target: str, payload: str | None = '{"n": 2}') -> Script:
    def body(r: Run) -> dict:
        if r.status("i") is None:
            update = {
                "Id": "i",
                "Type": "CHAINED_INVOKE",
                "SubType": "ChainedInvoke",
                "Action": "START",
                "ChainedInvokeOptions": {"FunctionName": target},
            }
            if payload is not None:
                update["Payload"] = payload
            r.checkpoint(update)
        op = r.ops["i"]
        if op["Status"] == "STARTED":
            return PENDING
        if op["Status"] == "SUCCEEDED":
            return ok(op["ChainedInvokeDetails"].get("Result"))
        return {"Status": "FAILED", "Error": op["ChainedInvokeDetails"]["Error"]}

    return Script(body)


def test_chained_invoke_of_a_durable_target_runs_a_child_execution(svc: LocalDurableService) -> None:
    def child(r: Run) -> dict:
        if r.status("w") is None:
            r.checkpoint({"Id": "w", "Type": "WAIT", "Action": "START", "WaitOptions": {"WaitSeconds": 60}})
            return PENDING
        return ok(json.dumps(json.loads(r.input)["n"] * 10))

    svc.register_durable_function("child", Script(child))
    out = run(svc, "parent", invoker_handler("child"))
    assert out["Status"] == "SUCCEEDED" and out["Result"] == "20"
    events = history(svc, out["arn"])
    assert [e["EventType"] for e in events] == [
        "ExecutionStarted",
        "ChainedInvokeStarted",
        "InvocationCompleted",
        "ChainedInvokeSucceeded",
        "InvocationCompleted",
        "ExecutionSucceeded",
    ]
    details = events[1]["ChainedInvokeStartedDetails"]
    assert details["FunctionName"] == "child" and details["Input"]["Payload"] == '{"n": 2}'
    assert details["ExecutedVersion"] == "$LATEST"
    child_arn = details["DurableExecutionArn"]
    assert ":function:child:$LATEST/durable-execution/" in child_arn
    assert types(svc, child_arn) == [
        "ExecutionStarted",
        "WaitStarted",
        "InvocationCompleted",
        "WaitSucceeded",
        "InvocationCompleted",
        "ExecutionSucceeded",
    ]
    assert events[3]["ChainedInvokeSucceededDetails"]["Result"]["Payload"] == "20"


def test_chained_invoke_of_a_plain_function_and_its_failure(svc: LocalDurableService) -> None:
    calls: list[Any] = []

    def plain(event: Any, context: Any) -> Any:
        calls.append(event)
        if event.get("fail"):
            raise KeyError("bad")
        return {"got": event["n"], "fn": context.function_name}

    svc.register_function("plain", plain)
    out = run(svc, "parent", invoker_handler("plain"))
    assert json.loads(out["Result"]) == {"got": 2, "fn": "plain"}
    out = run(svc, "parent2", invoker_handler("plain", '{"fail": true}'))
    assert out["Status"] == "FAILED" and out["Error"]["ErrorType"] == "KeyError"
    assert types(svc, out["arn"])[3] == "ChainedInvokeFailed"
    assert len(calls) == 2


def test_chained_invoke_of_an_unknown_target_fails(svc: LocalDurableService) -> None:
    out = run(svc, "parent", invoker_handler("nobody"))
    assert out["Status"] == "FAILED"
    assert out["Error"]["ErrorType"] == "ResourceNotFoundException"
    assert "Function not found" in out["Error"]["ErrorMessage"]
    assert types(svc, out["arn"])[1:5] == [
        "ChainedInvokeStarted",
        "InvocationCompleted",
        "ChainedInvokeFailed",
        "InvocationCompleted",
    ]


def test_stop_execution(svc: LocalDurableService) -> None:
    arn, _ = start(svc, callback_handler())
    response = svc.stop_durable_execution(
        DurableExecutionArn=arn, Error={"ErrorType": "Stop", "ErrorMessage": "bye"}
    )
    assert "StopTimestamp" in response
    described = svc.get_durable_execution(DurableExecutionArn=arn)
    assert described["Status"] == "STOPPED" and "EndTimestamp" in described
    events = history(svc, arn)
    assert events[-1]["EventType"] == "ExecutionStopped"
    assert events[-1]["ExecutionStoppedDetails"]["Error"]["Payload"]["ErrorMessage"] == "bye"
    with pytest.raises(ServiceError):
        svc.stop_durable_execution(DurableExecutionArn=arn)


def test_stop_during_an_invocation_revokes_its_token(svc: LocalDurableService) -> None:
    import threading

    release, attempted = threading.Event(), threading.Event()
    errors: list[ServiceError] = []

    def body(r: Run) -> dict:
        release.wait(5)
        try:
            r.checkpoint(step("s", "START"))
        except ServiceError as exc:
            errors.append(exc)
        attempted.set()
        return ok()

    svc.register_durable_function("fn", Script(body))
    arn = svc.start_execution("fn")
    svc.stop_durable_execution(DurableExecutionArn=arn)
    release.set()
    assert attempted.wait(5)
    assert errors[0].code == "InvalidParameterValueException" and "STOPPED" in errors[0].message
    assert types(svc, arn) == ["ExecutionStarted", "InvocationCompleted", "ExecutionStopped"]


def test_list_executions_by_function(svc: LocalDurableService) -> None:
    svc.register_durable_function("fn", Script(lambda r: ok()))
    svc.register_durable_function("other", Script(lambda r: ok()))
    arns = [svc.start_execution("fn", name=f"run-{i}") for i in range(3)]
    svc.start_execution("other")
    for arn in arns:
        svc.wait_for_execution(arn, 5)
    listed = svc.list_durable_executions_by_function(FunctionName="fn")["DurableExecutions"]
    assert [e["DurableExecutionArn"] for e in listed] == arns
    assert {e["Status"] for e in listed} == {"SUCCEEDED"}
    assert set(listed[0]) == {
        "DurableExecutionArn",
        "DurableExecutionName",
        "FunctionArn",
        "Status",
        "StartTimestamp",
        "EndTimestamp",
    }
    page = svc.list_durable_executions_by_function(FunctionName="fn", MaxItems=2, ReverseOrder=True)
    assert [e["DurableExecutionName"] for e in page["DurableExecutions"]] == ["run-2", "run-1"]
    assert (
        svc.list_durable_executions_by_function(FunctionName="fn", Statuses=["RUNNING"])["DurableExecutions"]
        == []
    )
    by_name = svc.list_durable_executions_by_function(FunctionName="fn", DurableExecutionName="run-1")
    assert [e["DurableExecutionArn"] for e in by_name["DurableExecutions"]] == [arns[1]]
    assert svc.start_execution("fn", name="run-1") == arns[1]  # idempotent by name
    with pytest.raises(ServiceError) as info:
        svc.list_durable_executions_by_function(FunctionName="missing")
    assert info.value.code == "ResourceNotFoundException"


def test_invoke_request_response_and_event(svc: LocalDurableService) -> None:
    svc.register_durable_function("fn", Script(lambda r: ok(r.input)))
    response = svc.invoke(FunctionName="fn", Payload=b'{"a": 1}')
    assert response["StatusCode"] == 200 and response["Payload"] == b'{"a": 1}'
    response = svc.invoke(FunctionName="fn", Payload=b"{}", InvocationType="Event")
    assert response["StatusCode"] == 202
    assert svc.wait_for_execution(response["DurableExecutionArn"], 5)["Status"] == "SUCCEEDED"
    with pytest.raises(ServiceError) as info:
        svc.invoke(FunctionName="nope")
    assert info.value.code == "ResourceNotFoundException"
