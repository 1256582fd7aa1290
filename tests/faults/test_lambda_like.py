"""The pool and a full map work where POSIX semaphores do not (AWS Lambda has no /dev/shm)."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.effects import effects

from .conftest import Processes

ROOT = Path(__file__).resolve().parents[2]
NO_SEMLOCK = textwrap.dedent("""
    import _multiprocessing
    import errno


    class _NoSemLock:
        SEM_VALUE_MAX = 2**31 - 1

        def __init__(self, *args, **kwargs):
            raise OSError(errno.ENOSYS, "Function not implemented")


    _multiprocessing.SemLock = _NoSemLock
""")


def check_run(out: str, directory: Path, expected_errno: int) -> None:
    """The map succeeded, on workers that could not make semaphores either, and left no process behind."""
    report: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    assert report["parent_errno"] == expected_errno
    assert report["status"] == "SUCCEEDED", report["error"]
    items = report["result"]["all"]
    assert [(i["status"], i["result"]["value"]) for i in items] == [
        ("SUCCEEDED", 0),
        ("SUCCEEDED", 11),
        ("SUCCEEDED", 22),
        ("SUCCEEDED", 33),
    ]
    assert {i["result"]["errno"] for i in items} == {expected_errno}
    assert (directory / "crashed-1").exists(), "item 1 did kill its worker once"
    assert sorted(effects(str(directory))) == sorted(f"{i}:{s}" for i in range(4) for s in "ab")
    deadline = time.monotonic() + 5
    while any(psutil.pid_exists(pid) for pid in report["workers"]) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not [pid for pid in report["workers"] if psutil.pid_exists(pid)], "workers outlived their parent"


def test_map_works_when_semlock_raises_enosys(tmp_path: Path, procs: Processes) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(NO_SEMLOCK)  # every interpreter, workers included
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, "-m", "tests.faults.lambda_main", str(tmp_path)],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    check_run(done.stdout, tmp_path, errno.ENOSYS)
    procs.assert_clean()


def test_map_works_with_a_read_only_dev_shm(tmp_path: Path, procs: Processes) -> None:
    command = (
        f"mount -t tmpfs -o ro,size=1k none /dev/shm && "
        f"{sys.executable} -m tests.faults.lambda_main {tmp_path}"
    )
    try:
        done = subprocess.run(
            ["unshare", "-m", "sh", "-c", command],
            check=False,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except FileNotFoundError:
        pytest.skip("the unshare command is not installed")
    if done.returncode != 0 and (
        "Operation not permitted" in done.stderr or "permission denied" in done.stderr.lower()
    ):
        pytest.skip(f"unshare -m / mount is not permitted here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    check_run(done.stdout, tmp_path, errno.EROFS)
    procs.assert_clean()
