"""The Lambda glue: input validation, state paging, output shapes (SUCCEEDED / FAILED / PENDING), limits.

These tests call the handler directly with raw invocation events and a fake DurableServiceClient.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from durable_mp import DurableContext, ExecutionError, durable_execution
from durable_mp.config import Duration
from durable_mp.service.client import ServiceError

from .conftest import root_id

ARN = "arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST/durable-execution/name/exec-id"
LIMIT = 6 * 1024 * 1024 - 50


class FakeClient:
    """A DurableServiceClient: records calls, serves state pages, acknowledges checkpoints."""

    def __init__(
        self,
        pages: dict[str, dict[str, Any]] | None = None,
        checkpoint_errors: list[ServiceError] | None = None,
        revoke: bool = False,
    ) -> None:
        self.pages = pages or {}
        self.state_calls: list[tuple[str, str, str | None, int]] = []
        self.requests: list[tuple[str, list[dict[str, Any]]]] = []
        self.checkpoint_errors = list(checkpoint_errors or [])
        self.revoke = revoke
        self.n = 0

    def checkpoint(
        self, execution_arn: str, checkpoint_token: str, updates: list[dict[str, Any]]
    ) -> dict[str, Any]:
        if self.checkpoint_errors:
            raise self.checkpoint_errors.pop(0)
        self.requests.append((checkpoint_token, updates))
        self.n += 1
        token = None if self.revoke else f"token-{self.n}"
        return {"CheckpointToken": token, "NewExecutionState": {"Operations": [], "NextMarker": None}}

    def get_execution_state(
        self, execution_arn: str, checkpoint_token: str, marker: str | None = None, max_items: int = 1000
    ) -> dict[str, Any]:
        self.state_calls.append((execution_arn, checkpoint_token, marker, max_items))
        page = self.pages[marker or ""]
        if isinstance(page, Exception):
            raise page
        return page

    @property
    def updates(self) -> list[dict[str, Any]]:
        return [u for _, batch in self.requests for u in batch]


class Ctx:
    aws_request_id = "req"
    function_name = "fn"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


def execution_op(payload: str | None = '{"k": 1}') -> dict[str, Any]:
    details = {} if payload is None else {"InputPayload": payload}
    return {
        "Id": "exec-id",
        "Type": "EXECUTION",
        "Status": "STARTED",
        "StartTimestamp": 1_700_000_000_000,
        "ExecutionDetails": details,
    }


def step_op(n: int, result: str) -> dict[str, Any]:
    return {
        "Id": root_id(n),
        "Type": "STEP",
        "SubType": "Step",
        "Name": f"s{n}",
        "Status": "SUCCEEDED",
        "StartTimestamp": 1_700_000_000_000,
        "EndTimestamp": 1_700_000_000_001,
        "StepDetails": {"Attempt": 1, "Result": result},
    }


def event(ops: list[dict[str, Any]], marker: str | None = None) -> dict[str, Any]:
    return {
        "DurableExecutionArn": ARN,
        "CheckpointToken": "token-0",
        "InitialExecutionState": {"Operations": ops, "NextMarker": marker or ""},
    }


@durable_execution
def echo(event: Any, context: DurableContext) -> Any:
    return event


# ------------------------------------------------------------------------------------ input


@pytest.mark.parametrize("missing", ["DurableExecutionArn", "CheckpointToken"])
def test_missing_key_raises_execution_error_naming_it(missing: str) -> None:
    bad = event([execution_op()])
    del bad[missing]
    with pytest.raises(ExecutionError, match=missing):
        echo.durable_invoke(bad, Ctx(), FakeClient())


@pytest.mark.parametrize("missing", ["DurableExecutionArn", "CheckpointToken"])
def test_lambda_entry_point_validates_the_event_before_anything_else(
    missing: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plain Lambda entry (`handler(event, context)`) must name the missing key too, whatever the
    environment: no boto3 client (which needs a region) should be built for an event that is refused."""
    for var in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(var, raising=False)
    bad = event([execution_op()])
    del bad[missing]
    with pytest.raises(ExecutionError, match=missing):
        echo(bad, Ctx())


@pytest.mark.parametrize("bad", [None, "text", ["list"], 5])
def test_non_object_event_raises_execution_error(bad: Any) -> None:
    with pytest.raises(ExecutionError, match="DurableExecutionArn"):
        echo.durable_invoke(bad, Ctx(), FakeClient())


def test_input_payload_becomes_the_event_and_empty_means_empty_dict() -> None:
    assert echo.durable_invoke(event([execution_op('{"k": 1}')]), Ctx(), FakeClient()) == {
        "Status": "SUCCEEDED",
        "Result": '{"k": 1}',
    }
    for payload in (None, "", "  "):
        assert echo.durable_invoke(event([execution_op(payload)]), Ctx(), FakeClient()) == {
            "Status": "SUCCEEDED",
            "Result": "{}",
        }


def test_missing_initial_execution_state_is_allowed() -> None:
    out = echo.durable_invoke({"DurableExecutionArn": ARN, "CheckpointToken": "t"}, Ctx(), FakeClient())
    assert out == {"Status": "SUCCEEDED", "Result": "{}"}


# ------------------------------------------------------------------------------------ paging


def test_state_is_paged_with_next_marker_and_replayed() -> None:
    calls: list[int] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return [context.step(lambda _, i=i: calls.append(i) or i, name=f"s{i}") for i in (1, 2, 3)]

    client = FakeClient(
        pages={
            "m1": {"Operations": [step_op(2, "20")], "NextMarker": "m2"},
            "m2": {"Operations": [step_op(3, "30")], "NextMarker": None},
        }
    )
    out = handler.durable_invoke(event([execution_op(), step_op(1, "10")], marker="m1"), Ctx(), client)
    assert out == {"Status": "SUCCEEDED", "Result": "[10, 20, 30]"}
    assert calls == []
    assert [(c[1], c[2]) for c in client.state_calls] == [("token-0", "m1"), ("token-0", "m2")]
    assert all(c[0] == ARN and 1 <= c[3] <= 1000 for c in client.state_calls)
    assert client.requests == []


def test_permanent_state_error_fails_and_retriable_one_is_raised() -> None:
    permanent = FakeClient(pages={"m1": ServiceError("InvalidParameterValueException", "bad marker")})  # type: ignore[dict-item]
    out = echo.durable_invoke(event([execution_op()], marker="m1"), Ctx(), permanent)
    assert out["Status"] == "FAILED"
    assert "bad marker" in out["Error"]["ErrorMessage"]
    transient = FakeClient(pages={"m1": ServiceError("ServiceException", "try later", status=500)})  # type: ignore[dict-item]
    started = time.monotonic()
    with pytest.raises(Exception, match="try later"):  # retried while the invocation has time, then raised
        echo.durable_invoke(event([execution_op()], marker="m1"), ShortCtx(), transient)
    assert time.monotonic() - started < 10
    assert len(transient.state_calls) > 1  # it was retried before giving up


class ShortCtx(Ctx):
    """An invocation with 1.5 s left: transient errors are retried only that long."""

    def get_remaining_time_in_millis(self) -> int:
        return 1_500


# ------------------------------------------------------------------------------------ output


class OrderRejected(Exception):
    pass


def test_user_exception_gives_failed_output_with_error_object_shape() -> None:
    @durable_execution
    def builtin(event: Any, context: DurableContext) -> Any:
        raise ValueError("bad value")

    @durable_execution
    def custom(event: Any, context: DurableContext) -> Any:
        raise OrderRejected("order 7 rejected")

    out = builtin.durable_invoke(event([execution_op()]), Ctx(), FakeClient())
    trace = out["Error"].pop("StackTrace")  # the user's frames (tests/unit/test_stack_trace.py)
    assert out == {"Status": "FAILED", "Error": {"ErrorMessage": "bad value", "ErrorType": "ValueError"}}
    assert trace[-1].endswith('in builtin: raise ValueError("bad value")')
    out = custom.durable_invoke(event([execution_op()]), Ctx(), FakeClient())
    out["Error"].pop("StackTrace")
    assert out == {
        "Status": "FAILED",
        "Error": {"ErrorMessage": "order 7 rejected", "ErrorType": f"{__name__}.OrderRejected"},
    }


def test_suspension_gives_pending_output_after_flushing() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        context.step(lambda _: 1, name="s")
        context.wait(Duration.from_seconds(10), name="w")

    client = FakeClient()
    out = handler.durable_invoke(event([execution_op()]), Ctx(), client)
    assert out == {"Status": "PENDING"}
    assert [(u["Type"], u["Action"]) for u in client.updates] == [
        ("STEP", "START"),
        ("STEP", "SUCCEED"),
        ("WAIT", "START"),
    ]
    assert client.updates[2]["WaitOptions"] == {"WaitSeconds": 10}
    # each request used the token returned by the previous one
    assert [t for t, _ in client.requests] == [f"token-{i}" for i in range(len(client.requests))]


def test_result_at_the_limit_is_returned_inline() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return "x" * (LIMIT - 2)  # json adds two quotes

    client = FakeClient()
    out = handler.durable_invoke(event([execution_op()]), Ctx(), client)
    assert out["Status"] == "SUCCEEDED" and len(out["Result"]) == LIMIT
    assert client.requests == []


def test_result_over_6mb_is_checkpointed_and_returned_empty() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return "x" * (LIMIT - 1)

    client = FakeClient()
    out = handler.durable_invoke(event([execution_op()]), Ctx(), client)
    assert out == {"Status": "SUCCEEDED", "Result": ""}
    (update,) = client.updates
    assert update["Type"] == "EXECUTION" and update["Action"] == "SUCCEED"
    assert update["Id"].startswith("execution-result-") and update["Id"][len("execution-result-") :].isdigit()
    assert update["Payload"] == json.dumps("x" * (LIMIT - 1))


def test_result_over_6mb_through_the_local_runner(run: Any) -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return "y" * LIMIT

    r = run(handler)
    assert r.status == "SUCCEEDED", r.result.error
    assert r.value == "y" * LIMIT


def test_unserializable_result_fails_the_execution() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return {1, 2}

    out = handler.durable_invoke(event([execution_op()]), Ctx(), FakeClient())
    assert out["Status"] == "FAILED"
    assert out["Error"]["ErrorType"] == "TypeError"


# ------------------------------------------------------------------------------------ checkpoint errors


def test_transient_checkpoint_errors_are_retried_in_process() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.step(lambda _: 5, name="s")

    client = FakeClient(checkpoint_errors=[ServiceError("TooManyRequestsException", "slow down", status=429)])
    out = handler.durable_invoke(event([execution_op()]), Ctx(), client)
    assert out == {"Status": "SUCCEEDED", "Result": "5"}
    assert [u["Action"] for u in client.updates] == ["START", "SUCCEED"]


def test_permanent_checkpoint_error_fails_the_execution() -> None:
    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        return context.step(lambda _: 5, name="s")

    client = FakeClient(checkpoint_errors=[ServiceError("InvalidParameterValueException", "invalid token")])
    out = handler.durable_invoke(event([execution_op()]), Ctx(), client)
    assert out["Status"] == "FAILED"
    assert "invalid token" in out["Error"]["ErrorMessage"]


def test_revoked_token_stops_the_invocation_with_pending() -> None:
    ran: list[str] = []

    @durable_execution
    def handler(event: Any, context: DurableContext) -> Any:
        context.step(lambda _: ran.append("a"), name="a")
        context.step(lambda _: ran.append("b"), name="b")
        return "done"

    out = handler.durable_invoke(event([execution_op()]), Ctx(), FakeClient(revoke=True))
    assert out == {"Status": "PENDING"}
    assert ran == ["a"]
