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

from .conftest import Processes
from .handlers import effects

ROOT = Path(__file__).resolve().parents[2]
ITEMS = 10


def start(db: Path, name: str, payload: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "tests.faults.resume_main", str(db), name, payload],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_effects(directory: Path, count: int, proc: subprocess.Popen[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while len(effects(str(directory))) < count:
        assert proc.poll() is None, f"the run ended early: {proc.communicate()}"
        assert time.monotonic() < deadline, f"fewer than {count} items done after {timeout} s"
        time.sleep(0.02)


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


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
    with sqlite3.connect(db) as conn:
        ops = [json.loads(body) for (body,) in conn.execute("SELECT body FROM operations")]
    names = {op["Id"]: op.get("Name") for op in ops if op.get("SubType") == "MapIteration"}
    return {int(names[op["ParentId"]].rsplit("-", 1)[1]) for op in ops
            if op["Type"] == "STEP" and op["Status"] == "SUCCEEDED" and op.get("ParentId") in names}


@pytest.mark.slow
def test_parent_killed_mid_map_resumes_from_sqlite(tmp_path: Path, procs: Processes) -> None:
    db = tmp_path / "store.db"
    items: list[dict[str, Any]] = [{"dir": str(tmp_path), "seconds": 0.3} for _ in range(ITEMS)]
    payload = json.dumps({"func": "cpu_item", "items": items, "workers": 2})

    acknowledged: set[int] = set()
    for done_before_kill in (2, 6):
        proc = start(db, "resume-me", payload)
        wait_for_effects(tmp_path, done_before_kill, proc)
        kill_mid_map(proc)
        acknowledged |= acknowledged_items(db)
    assert acknowledged, "some items were acknowledged before the kills"

    proc = start(db, "resume-me", payload)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    final = json.loads(out)
    assert final["Status"] == "SUCCEEDED", final
    result = json.loads(final["Result"])
    assert [(i["status"], i["result"]) for i in result["all"]] == [("SUCCEEDED", i * i) for i in range(ITEMS)]
    crashed = [e for e in final["InvocationErrors"] if e]
    assert len(crashed) == 2 and all(e["Payload"]["ErrorType"] == "Runtime.ExitError" for e in crashed), crashed

    counts = {tag: effects(str(tmp_path)).count(tag) for tag in map(str, range(ITEMS))}
    assert all(n >= 1 for n in counts.values()), counts
    assert {i: counts[str(i)] for i in acknowledged} == {i: 1 for i in acknowledged}, \
        "an item acknowledged before the kill ran again"
    procs.assert_clean()
