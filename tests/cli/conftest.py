"""Helpers for CLI tests: run `durable-mp` in-process (exit status, stdout, stderr)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from durable_mp.cli import main

WORKFLOWS = str(Path(__file__).with_name("workflows.py"))


class Cli:
    def __init__(self, capsys: Any, store: str) -> None:
        self._capsys = capsys
        self.store = store

    def __call__(self, *argv: str, store: bool = True) -> tuple[int, str, str]:
        args = list(argv) + (["--store", self.store] if store else [])
        self._capsys.readouterr()
        code = main(args)
        out, err = self._capsys.readouterr()
        return code, out, err


@pytest.fixture
def cli(capsys: Any, tmp_path: Path) -> Cli:
    return Cli(capsys, str(tmp_path / "store.db"))


def target(name: str) -> str:
    return f"{WORKFLOWS}:{name}"
