"""The code holds to its style and its type hints: ruff check, ruff format --check and mypy find nothing.

The tools are pinned exactly in the `test` extra (a new release's rules would otherwise break CI on their
own); the first test says so when the installed versions differ from the pins.
"""

from __future__ import annotations

import importlib.metadata
import re
import tomllib

import pytest

from tests.quality import tools


def _pins() -> dict[str, str]:
    extra = tomllib.loads((tools.ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    pins = {}
    for requirement in extra["test"]:
        exact = re.fullmatch(r"([A-Za-z0-9_.-]+)==([^;\s]+)", requirement.strip())
        if exact:
            pins[exact.group(1).lower()] = exact.group(2)
    return pins


def test_ruff_and_mypy_are_the_versions_pinned_in_the_test_extra() -> None:
    pins = _pins()
    assert {"ruff", "mypy"} <= pins.keys(), f"ruff and mypy must be pinned with == in the test extra: {pins}"
    installed = {name: importlib.metadata.version(name) for name in ("ruff", "mypy")}
    assert installed == {name: pins[name] for name in installed}, "pip install -e '.[test]' to get the pins"


def test_ruff_check_finds_nothing() -> None:
    found = tools.ruff_check()
    assert found.returncode == 0, found.summary()


def test_ruff_format_would_change_nothing() -> None:
    found = tools.ruff_format()
    assert found.returncode == 0, found.summary()


@pytest.mark.slow
def test_mypy_finds_no_errors_in_durable_mp_and_the_worker_package() -> None:
    found = tools.mypy()
    assert found.returncode == 0, found.summary()
    assert "checked" in found.output or "no issues" in found.output.lower(), found.output
