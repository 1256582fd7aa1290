"""Every Python snippet of docs/steps_and_sagas.md runs as printed and prints what its comment says."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "steps_and_sagas.md"
SNIPPETS = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.DOTALL)
EXPECTED = [
    ["SUCCEEDED", "done on attempt 2"],
    ['{"page": "fetched", "parse": "ValueError"}'],
    ["cancel hotel\ncancel flight\n", '"cancelled": ["compensate-hotel", "compensate-flight"], "failed": []'],
]


def test_the_doc_has_the_snippets_this_test_checks() -> None:
    assert len(SNIPPETS) == len(EXPECTED)


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(EXPECTED)))
def test_snippet_runs_as_printed(tmp_path: Path, index: int) -> None:
    script = tmp_path / "snippet.py"
    script.write_text(SNIPPETS[index])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, str(script)],
        check=False,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    for text in EXPECTED[index]:
        assert text in out.stdout, out.stdout
