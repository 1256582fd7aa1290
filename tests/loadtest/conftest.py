"""One tiny load-test run shared by the report and end-to-end tests (a few items, one worker)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from durable_mp.loadtest import outputs
from durable_mp.loadtest.cli import main

TINY = [
    "--items",
    "12",
    "--cost",
    "cpu:0.001",
    "--fail-rate",
    "0.25",
    "--fail-pattern",
    "every",
    "--policy",
    "first_successful,all_completed,all_successful,custom",
    "--workers",
    "1",
    "--max-concurrency",
    "1",
    "--seed",
    "3",
]


def run_tool(out: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    code = main([*TINY, "--out", str(out), *extra])
    return code, json.loads((out / "report.json").read_text())


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, Path, dict[str, Any], str]:
    out = tmp_path_factory.mktemp("loadtest-out")
    mp = pytest.MonkeyPatch()
    mp.setattr(outputs, "matplotlib_available", lambda: False)
    try:
        code, report = run_tool(out)
    finally:
        mp.undo()
    return code, out, report, (out / "report.txt").read_text()
