"""Crash recovery: `durable-mp run` SIGKILLed at random points, then run again with the same name, resumes
from its last acknowledged checkpoint. No step acknowledged before a kill ever runs again."""

from __future__ import annotations

import collections
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from durable_mp.local.stores import SqliteStore
from tests.cli.conftest import target

ROOT = Path(__file__).resolve().parents[2]
STEPS = 120


def acknowledged_steps(store: Path, name: str) -> set[str]:
    db = SqliteStore(str(store))
    try:
        [ex] = [ex for ex in db.load_all() if ex.name == name]
        return {op["Name"] for op in ex.ops.values() if op["Type"] == "STEP" and op["Status"] == "SUCCEEDED"}
    finally:
        db.close()


def line_counts(log: Path) -> collections.Counter[str]:
    return collections.Counter(log.read_text().splitlines()) if log.exists() else collections.Counter()


@pytest.mark.slow
def test_sigkill_at_random_points_then_resume(tmp_path: Path) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    store, log = tmp_path / "store.db", tmp_path / "log.txt"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [
        sys.executable,
        "-m",
        "durable_mp.cli",
        "run",
        target("counting"),
        "--execution-name",
        "kr",
        "--store",
        str(store),
        "-q",
        "--input",
        json.dumps({"n": STEPS, "log": str(log), "pause": 0.008}),
    ]
    snapshots: list[tuple[set[str], collections.Counter[str]]] = []
    for _ in range(3):
        proc = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        kill_after = sum(line_counts(log).values()) + rng.randint(3, 30)  # lines written, then a random pause
        deadline = time.monotonic() + 20
        while (
            sum(line_counts(log).values()) < kill_after
            and proc.poll() is None
            and time.monotonic() < deadline
        ):
            time.sleep(0.003)
        time.sleep(rng.uniform(0, 0.01))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=10)
        if proc.returncode == 0:  # finished before the kill landed: nothing more to interrupt
            break
        assert proc.returncode == -signal.SIGKILL, f"seed {seed}"
        if store.exists():
            snapshots.append((acknowledged_steps(store, "kr"), line_counts(log)))
    final = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert final.returncode == 0, (seed, final.stderr)
    assert final.stdout == f"{sum(range(STEPS))}\n"
    counts = line_counts(log)
    assert set(counts) == {str(i) for i in range(STEPS)}, f"seed {seed}: a step never ran"
    assert any(acked for acked, _ in snapshots), f"seed {seed}: no kill landed mid-run"
    for acked, before in snapshots:
        for step in acked:
            index = step.removeprefix("line-")
            assert counts[index] == before[index], f"seed {seed}: {step} was acknowledged, yet ran again"
    assert acknowledged_steps(store, "kr") == {f"line-{i}" for i in range(STEPS)}
    from durable_mp_workers import shared  # the warm pool of this process (handlers start it early)
    from durable_mp_workers.process import template_pid

    pool = shared._pool
    warm = set() if pool is None or pool.closed else set(pool.pids())
    warm.add(template_pid() or 0)  # the process the workers are forked from lives on, as the pool
    assert [p for p in psutil.Process().children(recursive=True) if p.pid not in warm] == []
