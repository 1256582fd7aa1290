"""`durable-mp run`: result and history, exit statuses, stores, resuming by name, callbacks, progress."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from durable_mp.cli import run as run_module
from durable_mp.cli.progress import Progress
from tests.cli.conftest import WORKFLOWS, Cli, target

BOOM_LINE = 23  # the raise in workflows.boom


def test_success_prints_the_result_on_stdout_and_the_rest_on_stderr(cli: Cli) -> None:
    code, out, err = cli("run", target("greet"), "--input", '{"name": "Ada"}', "--execution-name", "hello")
    assert code == 0, err
    assert out == '"Hello, Ada!"\n'  # `run ... > out.txt` keeps only the result
    lines = [
        line for line in err.splitlines() if not line.startswith("progress ")
    ]  # under load, progress shows
    assert lines[0] == "Execution hello of workflows (resume it with --execution-name hello)"
    assert lines[1].split() == ["#", "time", "event", "name", "detail"]
    kinds = [line.split()[2] for line in lines[1:] if line[:1].isdigit()]
    assert kinds == [
        "ExecutionStarted",
        "StepStarted",
        "StepSucceeded",
        "WaitStarted",
        "InvocationCompleted",
        "WaitSucceeded",
        "StepStarted",
        "StepSucceeded",
        "InvocationCompleted",
        "ExecutionSucceeded",
    ]
    assert "+7200." in err  # the two-hour wait was skipped, not slept
    assert "Execution hello SUCCEEDED" in lines[-2]
    assert lines[-1].startswith("Used 4 of 3,000 operations")


def test_failure_exits_1_with_the_error(cli: Cli) -> None:
    code, out, err = cli("run", target("boom"))
    assert code == 1 and out == ""
    lines = err.splitlines()
    at = lines.index("Error: ValueError: bad input: no widgets")
    assert lines[at + 1 :] == [
        "Stack trace (innermost last):",
        f'  File "{WORKFLOWS}", line {BOOM_LINE}, in boom: raise ValueError("bad input: no widgets")',
    ]
    assert cli("run", target("boom"), "-q")[2].strip() == "FAILED: ValueError: bad input: no widgets"


def test_quiet_prints_only_the_result(cli: Cli) -> None:
    code, out, err = cli("run", target("greet"), "-q", "--input", '{"name": "Bo"}')
    assert (code, out, err) == (0, '"Hello, Bo!"\n', "")


def test_long_history_is_cut_with_a_hint(cli: Cli, tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    code, out, err = cli(
        "run", target("counting"), "--input", json.dumps({"n": 40, "log": str(log)}), "--history-rows", "12"
    )
    assert code == 0
    assert "more events" in err and "All events: durable-mp history 'arn:aws:lambda:" in err
    assert sum(1 for line in err.splitlines() if line[:1].isdigit()) == 12
    assert out == f"{sum(range(40))}\n"


def test_default_store_is_under_dot_durable_mp(cli: Cli, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli("run", target("greet"), "-q", store=False)[0] == 0
    assert (tmp_path / ".durable-mp" / "executions.db").is_file()
    code, out, _ = cli("executions", store=False)
    assert code == 0 and "SUCCEEDED" in out


def test_memory_store_keeps_nothing(cli: Cli, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli("run", target("greet"), "--store", "memory", "-q", store=False)[0] == 0
    assert os.listdir(tmp_path) == []


def test_rerun_of_a_finished_name_shows_its_result_without_running_steps(cli: Cli, tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    payload = json.dumps({"n": 5, "log": str(log)})
    assert cli("run", target("counting"), "--input", payload, "--execution-name", "once", "-q")[1] == "10\n"
    assert cli("run", target("counting"), "--input", payload, "--execution-name", "once", "-q")[1] == "10\n"
    assert log.read_text().splitlines() == ["0", "1", "2", "3", "4"]
    assert cli("run", target("counting"), "--input", payload, "--execution-name", "twice", "-q")[1] == "10\n"
    assert len(log.read_text().splitlines()) == 10


def callback_ids(err: str) -> list[str]:
    return [line.split()[0] for line in err.splitlines() if line.endswith("(approve)")]


def test_callback_suspends_then_resumes_after_callback_succeed(cli: Cli) -> None:
    code, out, err = cli("run", target("approval"), "--execution-name", "ask")
    assert code == 3
    [cid] = callback_ids(err)
    assert out == f"{cid}\n"  # stdout: the callback ids, for scripts
    assert f"durable-mp callback succeed --result '<json>' --store {cli.store} -- {cid}" in err
    assert f"--execution-name ask --store {cli.store}" in err
    assert cli("callback", "heartbeat", cid) == (0, f"callback {cid}: heartbeat sent\n", "")
    assert cli("callback", "succeed", cid, "--result", '{"ok": true}')[0] == 0
    code, out, err = cli("run", target("approval"), "--execution-name", "ask")
    assert code == 0
    assert out == '{"answer": {"ok": true}}\n'
    assert "CallbackSucceeded" in err


def test_callback_fail_fails_the_execution(cli: Cli) -> None:
    code, _, err = cli("run", target("approval"), "--execution-name", "deny")
    [cid] = callback_ids(err)
    assert cli("callback", "fail", cid, "--error", "not approved", "--error-type", "Denied")[0] == 0
    code, _, err = cli("run", target("approval"), "--execution-name", "deny")
    assert code == 1
    assert "not approved" in next(line for line in err.splitlines() if line.startswith("Error: "))


def test_callback_with_memory_store_explains_why_nobody_can_answer(cli: Cli) -> None:
    code, _, err = cli("run", target("approval"), "--store", "memory", store=False)
    assert code == 3 and "With --store memory nothing is kept" in err


def test_history_and_executions_commands(cli: Cli) -> None:
    cli("run", target("greet"), "--execution-name", "first", "-q")
    cli("run", target("boom"), "--execution-name", "second", "-q")
    code, out, _ = cli("executions")
    rows = [line.split() for line in out.splitlines()[1:]]
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("first", "workflows", "SUCCEEDED"),
        ("second", "workflows", "FAILED"),
    ]
    arn = rows[0][-1]
    code, by_arn, _ = cli("history", arn)
    code2, by_name, _ = cli("history", "first")
    assert code == code2 == 0 and by_arn == by_name
    assert [line.split()[2] for line in by_arn.splitlines()[1:]][-1] == "ExecutionSucceeded"
    code, raw, _ = cli("history", "second", "--json")
    events = json.loads(raw)
    assert events[-1]["EventType"] == "ExecutionFailed" and [e["EventId"] for e in events] == list(
        range(1, 6)
    )
    assert cli("executions", "--function", "workflows")[1] == out


def test_plain_progress_lines_show_map_items(cli: Cli, monkeypatch: Any) -> None:
    monkeypatch.setattr(run_module, "_TICK_PLAIN", 0.02)
    monkeypatch.setattr(run_module, "_PLAIN_INTERVAL", 0.0)
    code, out, err = cli(
        "run", target("mapper"), "--input", '{"items": 8, "pause": 0.06}', "--store", "memory", store=False
    )
    assert code == 0
    announced = [line for line in err.splitlines() if line.startswith("batch squares: ")]
    assert announced and announced[0].startswith("batch squares: 8 items on inline x1 (executor='inline'")
    progress = [line for line in err.splitlines() if line.startswith("progress ")]
    assert any("squares (inline x1): " in line and "/8 items" in line for line in progress), progress
    assert out == "[0, 1, 4, 9, 16, 25, 36, 49]\n"


def test_progress_counts_operations_and_draws_a_bar_on_a_terminal(monkeypatch: Any) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    screen = io.StringIO()
    progress = Progress(screen, tty=True)
    progress.count(
        [
            {"EventType": "StepStarted"},
            {"EventType": "StepSucceeded"},
            {"EventType": "StepFailed"},
            {"EventType": "InvocationCompleted"},
            {"EventType": "ExecutionSucceeded"},
        ]
    )
    progress.on_batch(
        {"batch_id": "b", "name": "crunch", "started": 8, "succeeded": 5, "failed": 1, "total": 16}
    )
    progress.tick()
    line = screen.getvalue()
    assert line.startswith("\r") and "2 operations done (1 not succeeded)" in line
    assert "crunch: 6/16 items, 1 failed" in line and "[#######-------------]" in line
    progress.clear()
    assert screen.getvalue().endswith("\r")


def test_plain_progress_prints_only_changes() -> None:
    out = io.StringIO()
    progress = Progress(out, tty=False, plain_interval=0.0)
    progress.count([{"EventType": "WaitSucceeded"}])
    progress.tick()
    progress.tick()
    progress.count([{"EventType": "WaitSucceeded"}, {"EventType": "ContextSucceeded"}])
    progress.tick()
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and "1 operations done" in lines[0] and "2 operations done" in lines[1]


@pytest.mark.parametrize("status", ["SUCCEEDED", "FAILED"])
def test_exit_status_matches_the_execution(cli: Cli, status: str) -> None:
    code = cli("run", target("greet" if status == "SUCCEEDED" else "boom"), "-q")[0]
    assert code == (0 if status == "SUCCEEDED" else 1)


def test_a_failed_step_is_named_with_its_users_frames(cli: Cli) -> None:
    code, out, err = cli("run", target("bad_step"))
    assert (code, out) == (1, "")
    lines = err.splitlines()
    at = lines.index(
        "Error: aws_durable_execution_sdk_python.exceptions.StepError: 'no price for lamp'"
    )  # official spelling
    assert lines[at + 1].startswith("Raised in: step 'price' (event #")
    assert lines[at + 2] == "Stack trace (innermost last):"
    assert lines[-1].endswith('in _lookup: raise KeyError(f"no price for {key}")')
