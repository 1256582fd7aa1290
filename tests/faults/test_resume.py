"""Kill the parent process mid-map and resume the execution from its SQLite store (issue 4)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.effects import effects

from .conftest import Processes, gone

ROOT = Path(__file__).resolve().parents[2]
ITEMS = 10


def start(db: Path, name: str, payload: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.faults.resume_main", str(db), name, payload],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_acknowledged(db: Path, count: int, proc: subprocess.Popen[str], timeout: float = 30) -> None:
    """Wait until the store holds at least `count` acknowledged items (read while the run writes: WAL)."""
    deadline = time.monotonic() + timeout
    while not db.exists() or len(acknowledged_items(db)) < count:
        assert proc.poll() is None, f"the run ended early: {proc.communicate()}"
        assert time.monotonic() < deadline, f"fewer than {count} items acknowledged after {timeout} s"
        time.sleep(0.02)


def kill_mid_map(proc: subprocess.Popen[str]) -> list[int]:
    """SIGKILL the parent; return its worker processes' pids, after checking they all died with it."""
    workers = [p.pid for p in psutil.Process(proc.pid).children(recursive=True)]
    assert workers, "the map should be running on worker processes"
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate()
    deadline = time.monotonic() + 5
    while not all(gone(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.02)
    orphans = [pid for pid in workers if not gone(pid)]
    assert not orphans, f"worker processes survived their parent: {orphans}"
    return workers


def acknowledged_items(db: Path) -> set[int]:
    """Indices of the items whose step the store had acknowledged as SUCCEEDED."""
    conn = sqlite3.connect(db)
    try:
        ops = [json.loads(body) for (body,) in conn.execute("SELECT body FROM operations")]
    except sqlite3.OperationalError:  # the run has not created its schema yet
        return set()
    finally:
        conn.close()
    names = {op["Id"]: op.get("Name") for op in ops if op.get("SubType") == "MapIteration"}
    return {
        int(names[op["ParentId"]].rsplit("-", 1)[1])
        for op in ops
        if op["Type"] == "STEP" and op["Status"] == "SUCCEEDED" and op.get("ParentId") in names
    }


@pytest.mark.slow
def test_parent_killed_mid_map_resumes_from_sqlite(tmp_path: Path, procs: Processes) -> None:
    db = tmp_path / "store.db"
    items: list[dict[str, Any]] = [{"dir": str(tmp_path), "seconds": 0.3} for _ in range(ITEMS)]
    payload = json.dumps({"func": "cpu_item", "items": items, "workers": 2})

    snapshots: list[tuple[set[int], dict[int, int]]] = []  # at each kill: items acknowledged, runs so far
    for acknowledged_before_kill in (2, 5):
        proc = start(db, "resume-me", payload)
        wait_for_acknowledged(db, acknowledged_before_kill, proc)
        kill_mid_map(proc)
        snapshots.append((acknowledged_items(db), runs(tmp_path)))
    assert len(snapshots[1][0]) < ITEMS, "the second kill came before the map finished"

    proc = start(db, "resume-me", payload)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    final = json.loads(out)
    assert final["Status"] == "SUCCEEDED", final
    result = json.loads(final["Result"])
    assert [(i["status"], i["result"]) for i in result["all"]] == [("SUCCEEDED", i * i) for i in range(ITEMS)]
    crashed = [e for e in final["InvocationErrors"] if e]
    assert len(crashed) == 2, crashed  # the two killed invocations, recorded when the store was reopened
    assert all(e["Payload"]["ErrorType"] == "Runtime.ExitError" for e in crashed), crashed

    final_runs = runs(tmp_path)
    assert all(final_runs[i] >= 1 for i in range(ITEMS)), final_runs
    for acknowledged, runs_then in snapshots:
        assert {i: final_runs[i] for i in acknowledged} == {i: runs_then[i] for i in acknowledged}, (
            "an item acknowledged before a kill ran again after it"
        )
    procs.assert_clean()


def runs(directory: Path) -> dict[int, int]:
    """How many times each item's work has run so far."""
    tags = effects(str(directory))
    return {i: tags.count(str(i)) for i in range(ITEMS)}
