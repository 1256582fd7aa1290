"""A stock boto3 `lambda` client against the HTTP emulator: every durable route, Invoke, and typed errors."""

from __future__ import annotations

import datetime
import json
import time
from typing import Any

import pytest

from durable_mp.local.server import DurableHttpServer
from tests.server.handlers import Gate


def start(client: Any, function: str, payload: dict[str, Any] | None = None, **kw: Any) -> str:
    reply = client.invoke(
        FunctionName=function, InvocationType="Event", Payload=json.dumps(payload or {}), **kw
    )
    assert reply["StatusCode"] == 202
    return reply["DurableExecutionArn"]


def wait_status(client: Any, arn: str, status: str = "SUCCEEDED", timeout: float = 5.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        described = client.get_durable_execution(DurableExecutionArn=arn)
        if described["Status"] == status or time.monotonic() > deadline:
            assert described["Status"] == status
            return described
        time.sleep(0.01)


def events_of(client: Any, arn: str, **kw: Any) -> list[dict[str, Any]]:
    return client.get_durable_execution_history(DurableExecutionArn=arn, **kw)["Events"]


def callback_id(client: Any, arn: str) -> str:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for event in events_of(client, arn):
            if event["EventType"] == "CallbackStarted":
                return event["CallbackStartedDetails"]["CallbackId"]
        time.sleep(0.01)
    raise AssertionError("no callback started")


def test_request_response_invoke_runs_the_execution_to_its_result(client: Any) -> None:
    reply = client.invoke(FunctionName="quick", Payload=b'{"x": 21}')
    assert reply["StatusCode"] == 200
    assert "FunctionError" not in reply
    assert json.loads(reply["Payload"].read()) == {"double": 42}
    arn = reply["DurableExecutionArn"]
    assert "/durable-execution/" in arn and arn.startswith("arn:aws:lambda:us-east-1:")
    described = client.get_durable_execution(DurableExecutionArn=arn)
    assert described["Status"] == "SUCCEEDED" and json.loads(described["Result"]) == {"double": 42}
    assert isinstance(described["StartTimestamp"], datetime.datetime)
    assert described["EndTimestamp"] >= described["StartTimestamp"]


def test_failed_execution_answers_with_function_error(client: Any) -> None:
    reply = client.invoke(FunctionName="failing", Payload=b"{}")
    assert reply["StatusCode"] == 200 and reply["FunctionError"] == "Unhandled"
    body = json.loads(reply["Payload"].read())
    assert body == {"errorType": "ValueError", "errorMessage": "bad order"}
    assert (
        client.get_durable_execution(DurableExecutionArn=reply["DurableExecutionArn"])["Status"] == "FAILED"
    )


def test_plain_function_invoke(client: Any) -> None:
    reply = client.invoke(FunctionName="echo", Payload=b'{"a": [1, 2]}')
    assert reply["StatusCode"] == 200
    assert json.loads(reply["Payload"].read()) == {"echo": {"a": [1, 2]}, "function": "echo"}
    assert "DurableExecutionArn" not in reply


def test_named_invoke_is_idempotent(client: Any) -> None:
    first = start(client, "quick", {"x": 1}, DurableExecutionName="order-7")
    again = start(client, "quick", {"x": 1}, DurableExecutionName="order-7")
    assert first == again and "/durable-execution/order-7/" in first


def test_history_with_and_without_data_paging_and_reverse(client: Any) -> None:
    arn = client.invoke(FunctionName="quick", Payload=b'{"x": 5}')["DurableExecutionArn"]
    full = events_of(client, arn, IncludeExecutionData=True)
    kinds = [e["EventType"] for e in full]
    assert kinds == [
        "ExecutionStarted",
        "StepStarted",
        "StepSucceeded",
        "InvocationCompleted",
        "ExecutionSucceeded",
    ]
    assert [e["EventId"] for e in full] == [1, 2, 3, 4, 5]
    assert full[2]["StepSucceededDetails"]["Result"]["Payload"] == "10"
    assert full[0]["ExecutionStartedDetails"]["Input"]["Payload"] == '{"x": 5}'
    assert all(isinstance(e["EventTimestamp"], datetime.datetime) for e in full)
    bare = events_of(client, arn)
    assert "Payload" not in bare[2]["StepSucceededDetails"].get("Result", {})
    page = client.get_durable_execution_history(DurableExecutionArn=arn, MaxItems=2)
    assert [e["EventId"] for e in page["Events"]] == [1, 2] and page["NextMarker"]
    rest = client.get_durable_execution_history(DurableExecutionArn=arn, Marker=page["NextMarker"])
    assert [e["EventId"] for e in rest["Events"]] == [3, 4, 5] and "NextMarker" not in rest
    assert [e["EventId"] for e in events_of(client, arn, ReverseOrder=True)] == [5, 4, 3, 2, 1]


def test_callback_success_resumes_the_execution(client: Any) -> None:
    arn = start(client, "approval")
    cid = callback_id(client, arn)
    client.send_durable_execution_callback_heartbeat(CallbackId=cid)
    client.send_durable_execution_callback_success(CallbackId=cid, Result=b'{"ok": true}')
    described = wait_status(client, arn)
    assert json.loads(described["Result"]) == {"answer": '{"ok": true}'}
    kinds = [e["EventType"] for e in events_of(client, arn)]
    assert kinds.index("CallbackSucceeded") > kinds.index("CallbackStarted")
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="already completed"):
        client.send_durable_execution_callback_success(CallbackId=cid, Result=b"1")


def test_callback_failure_fails_the_execution_with_the_sent_error(client: Any) -> None:
    arn = start(client, "approval")
    cid = callback_id(client, arn)
    client.send_durable_execution_callback_failure(
        CallbackId=cid, Error={"ErrorType": "Rejected", "ErrorMessage": "no budget"}
    )
    described = wait_status(client, arn, "FAILED")
    assert "no budget" in described["Error"]["ErrorMessage"]
    failed = [
        e for e in events_of(client, arn, IncludeExecutionData=True) if e["EventType"] == "CallbackFailed"
    ]
    assert failed[0]["CallbackFailedDetails"]["Error"]["Payload"] == {
        "ErrorType": "Rejected",
        "ErrorMessage": "no budget",
    }


def test_stop_with_and_without_error(client: Any) -> None:
    arn = start(client, "approval")
    callback_id(client, arn)
    before = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=5)
    stopped = client.stop_durable_execution(
        DurableExecutionArn=arn, Error={"ErrorMessage": "operator said so"}
    )
    assert stopped["StopTimestamp"] > before
    described = client.get_durable_execution(DurableExecutionArn=arn)
    assert described["Status"] == "STOPPED" and described["Error"]["ErrorMessage"] == "operator said so"
    other = start(client, "approval")
    callback_id(client, other)
    client.stop_durable_execution(DurableExecutionArn=other)
    assert client.get_durable_execution(DurableExecutionArn=other)["Status"] == "STOPPED"
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="already STOPPED"):
        client.stop_durable_execution(DurableExecutionArn=arn)


def test_list_executions_with_filters_and_paging(client: Any) -> None:
    done = [start(client, "quick", {"x": i}, DurableExecutionName=f"q{i}") for i in range(3)]
    for arn in done:
        wait_status(client, arn)
    running = start(client, "approval", DurableExecutionName="waiting")
    callback_id(client, running)
    listed = client.list_durable_executions_by_function(FunctionName="quick")["DurableExecutions"]
    assert [e["DurableExecutionName"] for e in listed] == ["q0", "q1", "q2"]
    assert (
        client.list_durable_executions_by_function(FunctionName="quick", ReverseOrder=True)[
            "DurableExecutions"
        ][0]["DurableExecutionName"]
        == "q2"
    )
    page = client.list_durable_executions_by_function(FunctionName="quick", MaxItems=2)
    assert len(page["DurableExecutions"]) == 2 and page["NextMarker"]
    by_name = client.list_durable_executions_by_function(FunctionName="quick", DurableExecutionName="q1")
    assert [e["DurableExecutionArn"] for e in by_name["DurableExecutions"]] == [done[1]]
    statuses = client.list_durable_executions_by_function(
        FunctionName="approval", Statuses=["RUNNING", "FAILED"]
    )
    assert [e["Status"] for e in statuses["DurableExecutions"]] == ["RUNNING"]
    assert (
        client.list_durable_executions_by_function(FunctionName="approval", Statuses=["SUCCEEDED"])[
            "DurableExecutions"
        ]
        == []
    )
    future = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=400)
    past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=400)
    assert (
        client.list_durable_executions_by_function(FunctionName="quick", StartedAfter=future)[
            "DurableExecutions"
        ]
        == []
    )
    assert (
        len(
            client.list_durable_executions_by_function(
                FunctionName="quick", StartedAfter=past, StartedBefore=future
            )["DurableExecutions"]
        )
        == 3
    )


def test_state_and_checkpoint_with_a_live_token(client: Any, gate: Gate) -> None:
    arn = start(client, "gate", {"n": 1})
    event = gate.invocations.get(timeout=5)
    token = event["CheckpointToken"]
    state = client.get_durable_execution_state(DurableExecutionArn=arn, CheckpointToken=token)
    [execution_op] = state["Operations"]
    assert (
        execution_op["Type"] == "EXECUTION" and execution_op["ExecutionDetails"]["InputPayload"] == '{"n": 1}'
    )
    assert isinstance(execution_op["StartTimestamp"], datetime.datetime)
    answer = client.checkpoint_durable_execution(
        DurableExecutionArn=arn,
        CheckpointToken=token,
        Updates=[
            {"Id": "s1", "Type": "STEP", "SubType": "Step", "Action": "START", "Name": "one"},
            {"Id": "s1", "Type": "STEP", "SubType": "Step", "Action": "SUCCEED", "Payload": '"done"'},
            {
                "Id": "w1",
                "Type": "WAIT",
                "SubType": "Wait",
                "Action": "START",
                "WaitOptions": {"WaitSeconds": 5},
            },
        ],
    )
    ops = {op["Id"]: op for op in answer["NewExecutionState"]["Operations"]}
    assert ops["s1"]["Status"] == "SUCCEEDED" and ops["s1"]["StepDetails"]["Result"] == '"done"'
    assert ops["w1"]["WaitDetails"]["ScheduledEndTimestamp"] > ops["w1"]["StartTimestamp"]
    assert answer["CheckpointToken"] and answer["CheckpointToken"] != token
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="already used"):
        client.checkpoint_durable_execution(
            DurableExecutionArn=arn,
            CheckpointToken=token,
            Updates=[{"Id": "s2", "Type": "STEP", "Action": "START"}],
        )
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="Type"):
        client.checkpoint_durable_execution(
            DurableExecutionArn=arn,
            CheckpointToken=answer["CheckpointToken"],
            Updates=[{"Id": "x", "Type": "NOPE", "Action": "START"}],
        )
    gate.verdicts.put({"Status": "SUCCEEDED", "Result": '"gate open"'})
    assert wait_status(client, arn)["Result"] == '"gate open"'
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="token"):
        client.get_durable_execution_state(DurableExecutionArn=arn, CheckpointToken=token)


def test_not_found_errors_are_typed(client: Any) -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:quick:$LATEST/durable-execution/none/x"
    with pytest.raises(client.exceptions.ResourceNotFoundException, match="does not exist"):
        client.get_durable_execution(DurableExecutionArn=arn)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_durable_execution_history(DurableExecutionArn=arn)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.stop_durable_execution(DurableExecutionArn=arn)
    with pytest.raises(client.exceptions.ResourceNotFoundException, match="callback nope does not exist"):
        client.send_durable_execution_callback_success(CallbackId="nope", Result=b"1")
    with pytest.raises(client.exceptions.ResourceNotFoundException, match="Function not found"):
        client.invoke(FunctionName="missing", Payload=b"{}")
    with pytest.raises(client.exceptions.ResourceNotFoundException, match="Function not found"):
        client.list_durable_executions_by_function(FunctionName="missing")


def test_invalid_parameters_are_typed(client: Any) -> None:
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="MaxItems"):
        client.list_durable_executions_by_function(FunctionName="quick", MaxItems=5000)
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="Statuses"):
        client.list_durable_executions_by_function(FunctionName="quick", Statuses=["SLEEPING"])
    with pytest.raises(client.exceptions.InvalidParameterValueException, match="DurableExecutionName"):
        client.invoke(
            FunctionName="quick", InvocationType="Event", Payload=b"{}", DurableExecutionName="bad name!"
        )
    with pytest.raises(client.exceptions.InvalidRequestContentException, match="json"):
        client.invoke(FunctionName="quick", Payload=b"{not json")


def test_many_executions_with_waits_all_finish(server: DurableHttpServer, client: Any) -> None:
    arns = [start(client, "napper", {"i": i}) for i in range(50)]
    results = [json.loads(wait_status(client, arn)["Result"]) for arn in arns]
    assert results == [f"rested {i}" for i in range(50)]
