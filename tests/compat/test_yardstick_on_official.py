"""The yardstick cuts both ways: the compat example tests, with their imports swapped back to the official
packages, pass on the official SDK and its testing SDK too (so they test official behaviour, not ours)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SWAPS = [
    (re.compile(r"\bdurable_mp\.testing\b"), "aws_durable_execution_sdk_python_testing"),
    (re.compile(r"\bdurable_mp\b"), "aws_durable_execution_sdk_python"),
    (re.compile(r"\btests\.compat\."), "official_copy."),
]


@pytest.mark.slow
def test_the_example_tests_pass_on_the_official_sdk(tmp_path: Path) -> None:
    pytest.importorskip("aws_durable_execution_sdk_python_testing")
    package = tmp_path / "official_copy"
    (package / "examples").mkdir(parents=True)
    sources = [*HERE.glob("examples/*.py"), HERE / "conftest.py", *HERE.glob("test_examples_*.py")]
    for source in sources:
        text = source.read_text()
        for pattern, replacement in SWAPS:
            text = pattern.sub(replacement, text)
        (package / source.relative_to(HERE)).write_text(text)
    (package / "__init__.py").write_text("")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "-k",
            "not processes",
        ],
        check=False,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    passed = re.search(r"\b(\d+) passed", proc.stdout)
    expected = sum(source.read_text().count("\ndef test_") for source in HERE.glob("test_examples_*.py"))
    assert passed is not None and int(passed.group(1)) == expected, proc.stdout[-1000:]
