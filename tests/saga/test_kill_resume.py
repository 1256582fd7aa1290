"""A saga whose handler process is SIGKILLed between two compensations resumes (`durable-mp run` again,
same execution name, SQLite store) and runs every compensation exactly once, in reverse order."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from durable_mp.local.stores import SqliteStore

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = str(Path(__file__).with_name("workflows.py"))


@pytest.mark.slow
def test_saga_killed_between_two_compensations_resumes_and_compensates_exactly_once(tmp_path: Path) -> None:
    store, log, marker = tmp_path / "store.db", tmp_path / "log.txt", tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable,
        "-m",
        "durable_mp.cli",
        "run",
        f"{WORKFLOWS}:booking",
        "--execution-name",
        "saga",
        "--store",
        str(store),
        "-q",
        "--input",
        json.dumps({"log": str(log), "marker": str(marker)}),
    ]
    first = subprocess.run(
        command, check=False, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert first.returncode == -signal.SIGKILL, first.stderr
    assert marker.exists()
    assert log.read_text().splitlines() == ["reserve flight", "reserve hotel", "reserve car", "cancel hotel"]

    final = subprocess.run(
        command, check=False, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert final.returncode == 0, final.stderr
    assert json.loads(final.stdout) == ["compensate-hotel", "compensate-flight"]
    assert log.read_text().splitlines() == [
        "reserve flight",
        "reserve hotel",
        "reserve car",
        "cancel hotel",
        "cancel flight",
    ]
    db = SqliteStore(str(store))
    try:
        [ex] = [ex for ex in db.load_all() if ex.name == "saga"]
        steps = {op["Name"]: op["Status"] for op in ex.ops.values() if op["Type"] == "STEP"}
        started = [e["Name"] for e in ex.events if e["EventType"] == "StepStarted"]
    finally:
        db.close()
    assert steps == {"flight": "SUCCEEDED", "hotel": "SUCCEEDED", "car": "FAILED"} | {
        "compensate-hotel": "SUCCEEDED",
        "compensate-flight": "SUCCEEDED",
    }
    assert started.count("compensate-hotel") == 1  # acknowledged before the kill: never started again


def test_the_booking_example_runs_as_printed_in_its_docstring(tmp_path: Path) -> None:
    """`durable-mp run examples/booking_saga.py:handler` (the command in the example and the docs), run in a
    copy of the examples folder so that its default store (./.durable-mp/) lands in a temporary folder."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    result = subprocess.run(
        ["durable-mp", "run", "examples/booking_saga.py:handler"],
        check=False,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert (
        '{"trip": "T-1", "status": "cancelled", "reason": "no car available for trip T-1", '
        '"compensated": ["compensate-hotel", "compensate-flight"], "compensations_failed": []}'
    ) in result.stdout
    assert "compensate-hotel" in result.stdout.split("compensate-flight")[0]  # hotel first, then flight
    booked = subprocess.run(
        ["durable-mp", "run", "examples/booking_saga.py:handler", "--input", '{"cars": 1}'],
        check=False,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert booked.returncode == 0, booked.stderr
    assert '"status": "booked"' in booked.stdout
