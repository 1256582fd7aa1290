"""SQLite store: durable before acknowledged (survives kill -9), reopen, resume unfinished executions."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from durable_mp.local import LocalDurableService, SqliteStore
from tests.local.conftest import history
from tests.local.rawhandlers import PENDING, Run, Script, ok, step

ROOT = Path(__file__).resolve().parents[2]


def steps_then_wait(r: Run) -> dict:
    for i in range(3):
        if r.status(f"s{i}") is None:
            r.checkpoint(step(f"s{i}", "START"), step(f"s{i}", "SUCCEED", Payload=str(i)))
    if r.status("w") is None:
        r.checkpoint({"Id": "w", "Type": "WAIT", "Action": "START", "WaitOptions": {"WaitSeconds": 3600}})
        return PENDING
    return ok('"done"') if r.status("w") == "SUCCEEDED" else PENDING


def test_schema_is_versioned_and_wal(tmp_path: Path) -> None:
    store = SqliteStore(str(tmp_path / "x.db"))
    store.close()
    db = sqlite3.connect(tmp_path / "x.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == "2"
    db.execute("UPDATE meta SET value='99'")
    db.commit()
    with pytest.raises(RuntimeError, match="schema version 99"):
        SqliteStore(str(tmp_path / "x.db"))


def test_reopen_keeps_finished_executions_identical(tmp_path: Path) -> None:
    path = str(tmp_path / "d.db")
    first = LocalDurableService(store=SqliteStore(path), skip_time=True)
    first.register_durable_function("fn", Script(steps_then_wait))
    arn = first.start_execution("fn", '{"k": 1}')
    assert first.wait_for_execution(arn, 5)["Status"] == "SUCCEEDED"
    before = history(first, arn)
    ops_before = first.operations(arn)
    first.close()
    second = LocalDurableService(store=SqliteStore(path), skip_time=True)
    try:
        assert history(second, arn) == before
        assert second.operations(arn) == ops_before
        assert second.get_durable_execution(DurableExecutionArn=arn)["Result"] == '"done"'
    finally:
        second.close()


def test_unfinished_execution_resumes_in_a_new_service(tmp_path: Path) -> None:
    path = str(tmp_path / "r.db")
    first = LocalDurableService(store=SqliteStore(path), skip_time=False)
    first.register_durable_function("fn", Script(steps_then_wait))
    arn = first.start_execution("fn")
    assert first.wait_until(lambda: "InvocationCompleted" in [e["EventType"] for e in first.events(arn)], 5)
    first.close()
    second = LocalDurableService(store=SqliteStore(path), skip_time=True)
    try:
        assert second.resume() == [arn]
        second.register_durable_function("fn", Script(steps_then_wait))
        assert second.wait_for_execution(arn, 5)["Status"] == "SUCCEEDED"
        kinds = [e["EventType"] for e in history(second, arn)]
        assert kinds.count("StepStarted") == 3 and kinds[-1] == "ExecutionSucceeded"
        assert kinds.index("WaitSucceeded") > kinds.index("WaitStarted")
    finally:
        second.close()


CHILD = textwrap.dedent("""
    import sys
    from durable_mp.local import LocalDurableService, SqliteStore
    from tests.local.rawhandlers import Script, step

    def body(r):
        i = 0
        while True:
            r.checkpoint(step(f"s{i}", "START"), step(f"s{i}", "SUCCEED", Payload=str(i)))
            print(i, flush=True)
            i += 1

    service = LocalDurableService(store=SqliteStore(sys.argv[1]))
    service.register_durable_function("fn", Script(body))
    service.start_execution("fn", name="crashy")
    sys.stdin.read()
""")


def test_killed_process_loses_no_acknowledged_checkpoint(tmp_path: Path) -> None:
    path = str(tmp_path / "k.db")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, path],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    acked = -1
    while acked < 200:
        line = child.stdout.readline()
        assert line, "the child process ended early"
        acked = int(line)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()

    def finish(r: Run) -> dict:
        return ok(
            str(sum(1 for op in r.ops.values() if op["Type"] == "STEP" and op["Status"] == "SUCCEEDED"))
        )

    service = LocalDurableService(store=SqliteStore(path), skip_time=True)
    try:
        arn = service.list_durable_executions_by_function(FunctionName="fn")["DurableExecutions"][0][
            "DurableExecutionArn"
        ]
        done = [op["Id"] for op in service.operations(arn) if op["Type"] == "STEP"]
        assert all(f"s{i}" in done for i in range(acked + 1))
        service.register_durable_function("fn", Script(finish))
        out = service.wait_for_execution(arn, 5)
        assert out["Status"] == "SUCCEEDED" and int(out["Result"]) >= acked + 1
        events = history(service, arn)
        crash = next(e for e in events if e["EventType"] == "InvocationCompleted")
        assert crash["InvocationCompletedDetails"]["Error"]["Payload"]["ErrorType"] == "Runtime.ExitError"
        assert [e["EventId"] for e in events] == list(range(1, len(events) + 1))
    finally:
        service.close()
