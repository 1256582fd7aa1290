"""`import durable_mp` is lazy, every public name still imports, and a worker's imports stay lean."""

from __future__ import annotations

import subprocess
import sys

import pytest

_CHECKS = {
    "package": (
        "import sys, durable_mp\n"
        "assert 'durable_mp.execution' not in sys.modules and 'durable_mp.context' not in sys.modules\n"
        "ns = {}\n"
        "exec('from durable_mp import *', ns)\n"
        "assert set(durable_mp.__all__) <= set(ns), set(durable_mp.__all__) - set(ns)\n"
        "try:\n"
        "    durable_mp.no_such_name\n"
        "except AttributeError as exc:\n"
        "    assert 'no_such_name' in str(exc)\n"
        "else:\n"
        "    raise SystemExit('no AttributeError')\n"
    ),
    "worker": (
        "import sys, durable_mp.concurrency.worker_entry\n"
        "heavy = {'durable_mp.execution', 'durable_mp.operations.batch', 'durable_mp.concurrency.coordinator',"
        " 'durable_mp.concurrency.executors', 'durable_mp.testing', 'durable_mp.local'}\n"
        "assert not heavy & set(sys.modules), heavy & set(sys.modules)\n"
    ),
}


@pytest.mark.parametrize("check", sorted(_CHECKS))
def test_imports(check: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", _CHECKS[check]], check=False, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
