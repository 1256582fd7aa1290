"""Resuming from a SQLite file: completed callbacks stay completed, time never runs backwards, and a
service starts without reading the executions that have ended (they are read when asked for)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from durable_mp.local import LocalDurableService, SqliteStore
from durable_mp.service.client import ServiceError
from tests.local.conftest import history
from tests.local.rawhandlers import PENDING, Run, Script, ok

ROOT = Path(__file__).resolve().parents[2]
CALLBACK_START = {
    "Id": "cb",
    "Type": "CALLBACK",
    "SubType": "Callback",
    "Action": "START",
    "Name": "approval",
}


def callback_then_result(r: Run) -> dict:
    """Opens callback `cb` and ends with its result."""
    if r.status("cb") is None:
        r.checkpoint(CALLBACK_START)
        return PENDING
    op = r.ops["cb"]
    return ok(json.dumps(op["CallbackDetails"]["Result"])) if op["Status"] == "SUCCEEDED" else PENDING


def wait_then_callback(r: Run) -> dict:
    """A half-hour wait (skipped), then callback `cb`."""
    if r.status("w") is None:
        r.checkpoint({"Id": "w", "Type": "WAIT", "Action": "START", "WaitOptions": {"WaitSeconds": 1800}})
        return PENDING
    return callback_then_result(r) if r.status("w") == "SUCCEEDED" else PENDING


def suspended(service: LocalDurableService, arn: str) -> str:
    """Wait until the execution waits for its callback; the callback id."""

    def waiting() -> bool:
        events = service.events(arn)
        return events[-1]["EventType"] == "InvocationCompleted" and any(
            e["EventType"] == "CallbackStarted" for e in events
        )

    assert service.wait_until(waiting, 5)
    started = next(e for e in service.events(arn) if e["EventType"] == "CallbackStarted")
    return started["CallbackStartedDetails"]["CallbackId"]


def refusal(service: LocalDurableService, cid: str, success: bool) -> ServiceError:
    with pytest.raises(ServiceError) as info:
        if success:
            service.send_durable_execution_callback_success(CallbackId=cid, Result=b'"again"')
        else:
            service.send_durable_execution_callback_failure(CallbackId=cid, Error={"ErrorMessage": "late"})
    return info.value


# ---------------------------------------------------------------------------------------- callbacks


def test_completed_callback_is_refused_by_a_reopened_service(tmp_path: Path) -> None:
    path = str(tmp_path / "cb.db")
    first = LocalDurableService(store=SqliteStore(path), skip_time=True)
    first.register_durable_function("fn", Script(callback_then_result))
    arn = first.start_execution("fn")
    cid = suspended(first, arn)
    first.close()
    # as `durable-mp callback succeed` does: a service with no handler registered
    second = LocalDurableService(store=SqliteStore(path))
    second.send_durable_execution_callback_success(CallbackId=cid, Result=b'"yes"')
    live = refusal(second, cid, success=True)
    second.close()
    third = LocalDurableService(store=SqliteStore(path), skip_time=True)
    try:
        for success in (True, False):
            error = refusal(third, cid, success)
            assert (error.code, error.message) == (live.code, live.message)
            assert error.code == "InvalidParameterValueException" and "already completed" in error.message
        third.register_durable_function("fn", Script(callback_then_result))
        assert third.wait_for_execution(arn, 5)["Result"] == '"\\"yes\\""'
        kinds = [e["EventType"] for e in history(third, arn)]
        assert kinds.count("CallbackSucceeded") == 1
    finally:
        third.close()


SENDS_DURING_INVOCATION = textwrap.dedent("""
    import sys, threading
    from durable_mp.local import LocalDurableService, SqliteStore
    from tests.local.rawhandlers import PENDING, Script
    from tests.local.test_resume import CALLBACK_START

    def body(r):
        r.checkpoint(CALLBACK_START)
        cid = r.ops["cb"]["CallbackDetails"]["CallbackId"]
        service.send_durable_execution_callback_success(CallbackId=cid, Result=b'"fast"')
        print(cid, flush=True)  # acknowledged while this invocation still runs
        threading.Event().wait()
        return PENDING

    service = LocalDurableService(store=SqliteStore(sys.argv[1]))
    service.register_durable_function("fn", Script(body))
    service.start_execution("fn", name="fast")
    sys.stdin.read()
""")


def test_callback_acknowledged_during_an_invocation_survives_a_kill(tmp_path: Path) -> None:
    path = str(tmp_path / "k.db")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", SENDS_DURING_INVOCATION, path],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    cid = child.stdout.readline().strip()
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert cid, "the child process ended early"
    service = LocalDurableService(store=SqliteStore(path), skip_time=True)
    try:
        error = refusal(service, cid, success=True)
        assert error.code == "InvalidParameterValueException" and "already completed" in error.message
        [arn] = service.resume()
        service.register_durable_function("fn", Script(callback_then_result))
        assert service.wait_for_execution(arn, 5)["Result"] == '"\\"fast\\""'
        events = history(service, arn)
        assert [e["EventType"] for e in events] == [
            "ExecutionStarted",
            "CallbackStarted",
            "InvocationCompleted",
            "CallbackSucceeded",
            "InvocationCompleted",
            "ExecutionSucceeded",
        ]
        crash = events[2]["InvocationCompletedDetails"]["Error"]["Payload"]
        assert crash["ErrorType"] == "Runtime.ExitError"
    finally:
        service.close()


CHILD_ENDS_DURING_INVOCATION = textwrap.dedent("""
    import sys, threading
    from durable_mp.local import LocalDurableService, SqliteStore
    from tests.local.rawhandlers import PENDING, Script, ok

    def parent(r):
        r.checkpoint({"Id": "i", "Type": "CHAINED_INVOKE", "SubType": "ChainedInvoke", "Action": "START",
                      "Payload": '"x"', "ChainedInvokeOptions": {"FunctionName": "child"}})
        [child] = service.list_durable_executions_by_function(FunctionName="child")["DurableExecutions"]
        service.wait_for_execution(child["DurableExecutionArn"], 5)
        print("child ended", flush=True)  # its result waits for this invocation to end
        threading.Event().wait()
        return PENDING

    service = LocalDurableService(store=SqliteStore(sys.argv[1]))
    service.register_durable_function("child", Script(lambda r: ok('"from child"')))
    service.register_durable_function("parent", Script(parent))
    service.start_execution("parent", name="parent")
    sys.stdin.read()
""")


def test_a_durable_child_that_ended_unreported_reports_on_resume(tmp_path: Path) -> None:
    path = str(tmp_path / "child.db")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD_ENDS_DURING_INVOCATION, path],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert line == "child ended\n"

    def parent(r: Run) -> dict:
        op = r.ops["i"]
        return ok(op["ChainedInvokeDetails"]["Result"]) if op["Status"] == "SUCCEEDED" else PENDING

    service = LocalDurableService(store=SqliteStore(path), skip_time=True)
    try:
        [arn] = service.resume()
        service.register_durable_function("parent", Script(parent))
        assert service.wait_for_execution(arn, 5)["Result"] == '"from child"'
        kinds = [e["EventType"] for e in history(service, arn)]
        assert kinds[kinds.index("InvocationCompleted") + 1] == "ChainedInvokeSucceeded"
    finally:
        service.close()


# ---------------------------------------------------------------------------------------- time


@pytest.mark.parametrize("skip_after", [True, False], ids=["then-skip-time", "then-real-time"])
def test_timestamps_never_go_backwards_across_a_resume(tmp_path: Path, skip_after: bool) -> None:
    path = str(tmp_path / "t.db")
    first = LocalDurableService(store=SqliteStore(path), skip_time=True)
    first.register_durable_function("fn", Script(wait_then_callback))
    arn = first.start_execution("fn", execution_timeout=60)  # counts real seconds: the skipped 1800 s don't
    cid = suspended(first, arn)
    first.close()
    second = LocalDurableService(store=SqliteStore(path), skip_time=skip_after)
    try:
        second.send_durable_execution_callback_success(CallbackId=cid, Result=b"1")
        second.register_durable_function("fn", Script(wait_then_callback))
        assert second.wait_for_execution(arn, 5)["Status"] == "SUCCEEDED"
        stamps = [e["EventTimestamp"] for e in history(second, arn)]
        assert stamps == sorted(stamps)
        assert (stamps[-1] - stamps[0]).total_seconds() >= 1800
        for op in second.operations(arn):
            assert op["StartTimestamp"] <= op.get("EndTimestamp", op["StartTimestamp"])
    finally:
        second.close()


# ---------------------------------------------------------------------------------------- lazy loading


def finished_and_waiting(path: str, finished: int) -> tuple[list[str], str, str]:
    """A store with `finished` ended executions of fn (named old-0, old-1, ...) and one waiting for a
    callback; (their ARNs, the waiting one's ARN, its callback id)."""
    service = LocalDurableService(store=SqliteStore(path), skip_time=True)
    service.register_durable_function("fn", Script(callback_then_result))
    service.register_durable_function("quick", Script(lambda r: ok(json.dumps(r.input))))
    arns = []
    for i in range(finished):
        arn = service.start_execution("quick", f'{{"i": {i}}}', name=f"old-{i}")
        assert service.wait_for_execution(arn, 5)["Status"] == "SUCCEEDED"
        arns.append(arn)
    waiting = service.start_execution("fn", name="waiting")
    cid = suspended(service, waiting)
    service.close()
    return arns, waiting, cid


def test_start_up_reads_no_event_of_an_ended_execution(tmp_path: Path) -> None:
    path = str(tmp_path / "lazy.db")
    old, waiting, cid = finished_and_waiting(path, 3)
    db = sqlite3.connect(path)
    db.execute("UPDATE events SET body = 'unreadable' WHERE arn != ?", (waiting,))
    db.execute("UPDATE operations SET body = 'unreadable' WHERE arn != ?", (waiting,))
    db.commit()
    db.close()
    service = LocalDurableService(store=SqliteStore(path), skip_time=True)
    try:
        assert service.resume() == [waiting]
        listed = service.list_durable_executions_by_function(FunctionName="quick")["DurableExecutions"]
        assert [(e["DurableExecutionArn"], e["Status"]) for e in listed] == [(a, "SUCCEEDED") for a in old]
        service.send_durable_execution_callback_success(CallbackId=cid, Result=b"2")
        service.register_durable_function("fn", Script(callback_then_result))
        assert service.wait_for_execution(waiting, 5)["Status"] == "SUCCEEDED"
        with pytest.raises(ValueError):  # read only now, when asked for
            service.get_durable_execution_history(DurableExecutionArn=old[0])
    finally:
        service.close()


def test_an_ended_execution_is_read_from_the_store_when_asked_for(tmp_path: Path) -> None:
    path = str(tmp_path / "lazy.db")
    live = LocalDurableService(store=SqliteStore(path), skip_time=True)
    live.register_durable_function("fn", Script(callback_then_result))
    done = live.start_execution("fn", name="done")
    cid = suspended(live, done)
    live.send_durable_execution_callback_success(CallbackId=cid, Result=b"3")
    assert live.wait_for_execution(done, 5)["Status"] == "SUCCEEDED"
    expected = {
        "describe": live.get_durable_execution(DurableExecutionArn=done),
        "history": history(live, done),
        "operations": live.operations(done),
        "list": live.list_durable_executions_by_function(FunctionName="fn", DurableExecutionName="done"),
        "callback": (refusal(live, cid, True).code, refusal(live, cid, True).message),
        "stop": None,
    }
    with pytest.raises(ServiceError) as info:
        live.stop_durable_execution(DurableExecutionArn=done)
    expected["stop"] = info.value.message
    live.close()

    handler = Script(callback_then_result)
    service = LocalDurableService(store=SqliteStore(path), skip_time=True)
    try:
        service.register_durable_function("fn", handler)
        assert (
            service.list_durable_executions_by_function(FunctionName="fn", DurableExecutionName="done")
            == expected["list"]
        )
        assert service.start_execution("fn", name="done") == done  # idempotent by name: nothing runs
        assert handler.invocations == []
        assert service.get_durable_execution(DurableExecutionArn=done) == expected["describe"]
        assert history(service, done) == expected["history"]
        assert service.operations(done) == expected["operations"]
        error = refusal(service, cid, True)
        assert (error.code, error.message) == expected["callback"]
        with pytest.raises(ServiceError) as info:
            service.stop_durable_execution(DurableExecutionArn=done)
        assert info.value.message == expected["stop"]
        with pytest.raises(ServiceError) as info:
            service.get_durable_execution(DurableExecutionArn=done + "x")
        assert info.value.code == "ResourceNotFoundException"
    finally:
        service.close()


def test_a_version_1_file_is_upgraded_when_opened(tmp_path: Path) -> None:
    path = str(tmp_path / "v1.db")
    old, waiting, cid = finished_and_waiting(path, 2)
    db = sqlite3.connect(path)  # back to version 1: executions(arn, body), no callbacks table
    db.executescript("""
        DROP TABLE callbacks; DROP INDEX executions_by_name; DROP INDEX executions_by_status;
        CREATE TABLE executions_v1 (arn TEXT PRIMARY KEY, body TEXT NOT NULL);
        INSERT INTO executions_v1 SELECT arn, body FROM executions ORDER BY rowid;
        DROP TABLE executions; ALTER TABLE executions_v1 RENAME TO executions;
        UPDATE meta SET value = '1' WHERE key = 'schema_version';
    """)
    db.close()
    service = LocalDurableService(store=SqliteStore(path), skip_time=True)
    try:
        assert service.resume() == [waiting]
        service.register_durable_function("quick", Script(lambda r: ok()))
        assert service.start_execution("quick", name="old-1") == old[1]
        service.send_durable_execution_callback_success(CallbackId=cid, Result=b"4")
        service.register_durable_function("fn", Script(callback_then_result))
        assert service.wait_for_execution(waiting, 5)["Status"] == "SUCCEEDED"
        assert "already completed" in refusal(service, cid, True).message
        assert refusal(service, "unknown", True).code == "ResourceNotFoundException"
        new = service.start_execution("quick", name="new")  # a row written into the upgraded table
        assert service.wait_for_execution(new, 5)["Status"] == "SUCCEEDED"
    finally:
        service.close()
    service = LocalDurableService(store=SqliteStore(path), skip_time=True)
    try:  # the callback is found through the upgraded file's callbacks table, not a resumed execution
        assert service.resume() == []
        assert "already completed" in refusal(service, cid, True).message
        listed = service.list_durable_executions_by_function(FunctionName="quick")["DurableExecutions"]
        assert [(e["DurableExecutionName"], e["Status"]) for e in listed] == [
            ("old-0", "SUCCEEDED"),
            ("old-1", "SUCCEEDED"),
            ("new", "SUCCEEDED"),
        ]
        assert service.get_durable_execution(DurableExecutionArn=new)["DurableExecutionName"] == "new"
    finally:
        service.close()
    db = sqlite3.connect(path)
    assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == "2"
    db.close()
