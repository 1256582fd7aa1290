"""Checkpoint rules: single-use tokens, idempotent repeats, actions and transitions, parents, limits, paging."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from durable_mp.local import LocalDurableService
from durable_mp.service.client import ServiceError
from tests.local.conftest import history, run
from tests.local.rawhandlers import Run, Script, ok, step


def probe(svc: LocalDurableService, check: Any) -> list[BaseException]:
    """Run `check(run)` inside one invocation and return what it raised (assertions included)."""
    failures: list[BaseException] = []

    def body(r: Run) -> dict:
        try:
            check(r)
        except BaseException as exc:  # noqa: BLE001
            failures.append(exc)
        return ok()

    out = run(svc, "probe", Script(body))
    assert out["Status"] == "SUCCEEDED"
    return failures


def rejects(r: Run, *updates: dict[str, Any], match: str) -> None:
    token = r.token
    with pytest.raises(ServiceError) as info:
        r.checkpoint(*updates)
    assert info.value.code == "InvalidParameterValueException"
    assert match in info.value.message, info.value.message
    r.token = token  # a rejected request does not consume the token


def test_tokens_are_single_use_and_repeats_are_idempotent(svc: LocalDurableService) -> None:
    def check(r: Run) -> None:
        first = r.token
        updates = [step("s1", "START")]
        response = r.client.checkpoint(r.arn, first, updates)
        second = response["CheckpointToken"]
        assert second and second != first
        assert r.client.checkpoint(r.arn, first, updates) is response  # same request again: same answer
        with pytest.raises(ServiceError, match="already used or has been revoked"):
            r.client.checkpoint(r.arn, first, [step("s1", "SUCCEED")])
        third = r.client.checkpoint(r.arn, second, [step("s1", "SUCCEED", Payload="1")])["CheckpointToken"]
        assert third not in (first, second)

    assert probe(svc, check) == []


def test_response_carries_changed_operations_only(svc: LocalDurableService) -> None:
    def check(r: Run) -> None:
        r.checkpoint(step("a", "START"), step("a", "SUCCEED", Payload="1"))
        response = r.checkpoint(step("b", "START"))
        ops = response["NewExecutionState"]["Operations"]
        assert [op["Id"] for op in ops] == ["b"] and ops[0]["Status"] == "STARTED"
        assert r.ops["a"]["Status"] == "SUCCEEDED" and r.ops["a"]["StepDetails"]["Result"] == "1"

    assert probe(svc, check) == []


def test_transition_and_shape_rules(svc: LocalDurableService) -> None:
    def check(r: Run) -> None:
        r.checkpoint(
            step("s", "START"),
            step("s", "SUCCEED", Payload="1"),
            {"Id": "w", "Type": "WAIT", "Action": "START", "WaitOptions": {"WaitSeconds": 5}},
            {"Id": "c", "Type": "CONTEXT", "SubType": "RunInChildContext", "Action": "START"},
        )
        rejects(r, step("s", "SUCCEED"), match="cannot SUCCEED STEP operation s in status SUCCEEDED")
        rejects(r, step("s", "START"), match="cannot START STEP")
        rejects(
            r,
            {"Id": "w", "Type": "WAIT", "Action": "START", "WaitOptions": {"WaitSeconds": 5}},
            match="already exists",
        )
        rejects(r, {"Id": "x", "Type": "WAIT", "Action": "SUCCEED"}, match="not valid for a WAIT")
        rejects(r, {"Id": "x", "Type": "CALLBACK", "Action": "SUCCEED"}, match="not valid for a CALLBACK")
        rejects(r, {"Id": "x", "Type": "NOPE", "Action": "START"}, match="unknown Type")
        rejects(
            r,
            {"Id": "x", "Type": "WAIT", "Action": "START", "WaitOptions": {"WaitSeconds": 0}},
            match="WaitSeconds",
        )
        rejects(r, {"Id": "x", "Type": "WAIT", "Action": "START"}, match="requires WaitOptions")
        rejects(r, step("x", "START", ParentId="missing"), match="ParentId missing")
        rejects(r, step("s", "START", Name="renamed"), match="cannot change it")
        rejects(r, step("y", "START"), step("y", "START"), match="more than once")
        rejects(r, step("z", "RETRY"), match="requires StepOptions")
        rejects(
            r,
            step("z", "START"),
            {"Id": "e", "Type": "EXECUTION", "Action": "SUCCEED"},
            step("q", "START"),
            match="must be the last",
        )
        # a rejected batch changes nothing, not even its valid first half
        rejects(r, step("n1", "START"), step("n2", "START", ParentId="nope"), match="ParentId nope")
        r.checkpoint(step("n1", "START", ParentId="c"), step("n1", "SUCCEED"))
        r.checkpoint({"Id": "c2", "Type": "CONTEXT", "Action": "START"}, step("n3", "START", ParentId="c2"))
        r.checkpoint({"Id": "w", "Type": "WAIT", "Action": "CANCEL"})
        rejects(r, {"Id": "w", "Type": "WAIT", "Action": "CANCEL"}, match="cannot CANCEL WAIT")

    assert probe(svc, check) == []
    arn = svc.list_durable_executions_by_function(FunctionName="probe")["DurableExecutions"][0][
        "DurableExecutionArn"
    ]
    events = history(svc, arn)
    assert [e["Id"] for e in events if e["EventType"] == "StepStarted"] == ["s", "n1", "n3"]
    assert "WaitCancelled" in [e["EventType"] for e in events]
    assert not any(e.get("Id") == "n2" for e in events)


def test_payload_and_request_limits(svc: LocalDurableService) -> None:
    def check(r: Run) -> None:
        r.checkpoint(step("ok", "START"), step("ok", "SUCCEED", Payload="x" * 262_144))
        rejects(
            r,
            step("big", "START"),
            step("big", "SUCCEED", Payload="x" * 262_145),
            match="262,145 bytes; the limit is 262,144 bytes",
        )
        rejects(r, step("wide", "SUCCEED", Payload="é" * 131_073), match="262,146 bytes")
        rejects(r, *[step(f"m{i}", "START") for i in range(251)], match="at most 250 updates")
        rejects(
            r, *[step(f"p{i}", "SUCCEED", Payload="x" * 200_000) for i in range(4)], match="exceed 768,000"
        )

    assert probe(svc, check) == []


def test_callback_start_assigns_a_random_base64_id(svc: LocalDurableService) -> None:
    ids: list[str] = []

    def check(r: Run) -> None:
        for i in range(2):
            response = r.checkpoint({"Id": f"cb{i}", "Type": "CALLBACK", "Action": "START"})
            ids.append(response["NewExecutionState"]["Operations"][0]["CallbackDetails"]["CallbackId"])

    assert probe(svc, check) == []
    assert ids[0] != ids[1]
    for cid in ids:
        assert len(cid) == 32 and all(c.isascii() and (c.isalnum() or c in "+/") for c in cid)


def test_get_execution_state_pages_and_event_carries_next_marker(svc: LocalDurableService) -> None:
    seen: dict[str, Any] = {}

    def body(r: Run) -> dict:
        if "first" not in seen:
            seen["first"] = True
            for chunk in range(5):
                r.checkpoint(*[step(f"s{chunk}-{i}", "START") for i in range(250)])
            r.checkpoint({"Id": "w", "Type": "WAIT", "Action": "START", "WaitOptions": {"WaitSeconds": 1}})
            return {"Status": "PENDING"}
        state = r.event["InitialExecutionState"]
        seen["page1"] = len(state["Operations"])
        seen["marker"] = state["NextMarker"]
        page2 = r.client.get_execution_state(r.arn, r.token, state["NextMarker"], 1000)
        seen["page2"] = len(page2["Operations"])
        seen["end"] = page2["NextMarker"]
        return ok()

    out = run(svc, "fn", Script(body))
    assert out["Status"] == "SUCCEEDED"
    assert seen["page1"] == 1000 and seen["marker"] and seen["page2"] == 252 and seen["end"] is None


def test_unknown_execution_and_foreign_token(svc: LocalDurableService) -> None:
    with pytest.raises(ServiceError) as info:
        svc.checkpoint_durable_execution(DurableExecutionArn="arn:nope", CheckpointToken="t", Updates=[])
    assert info.value.code == "ResourceNotFoundException"

    def check(r: Run) -> None:
        with pytest.raises(ServiceError, match="does not belong"):
            r.client.get_execution_state(r.arn, "forged.1")

    assert probe(svc, check) == []


def test_checkpoints_from_parallel_threads_keep_one_token_chain(svc: LocalDurableService) -> None:
    def check(r: Run) -> None:
        lock = threading.Lock()

        def worker(k: int) -> None:
            for i in range(50):
                with lock:
                    r.checkpoint(step(f"t{k}-{i}", "START"), step(f"t{k}-{i}", "SUCCEED", Payload="1"))

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    assert probe(svc, check) == []
    arn = svc.list_durable_executions_by_function(FunctionName="probe")["DurableExecutions"][0][
        "DurableExecutionArn"
    ]
    events = history(svc, arn)
    assert [e["EventId"] for e in events] == list(range(1, len(events) + 1))
    assert len(events) == 1 + 400 + 2
