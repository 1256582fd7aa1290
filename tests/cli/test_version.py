"""`durable-mp --version` prints the version from its one source, `durable_mp.__version__`."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

import durable_mp
from durable_mp.__about__ import __version__
from durable_mp.cli import main


def test_version_is_the_one_source() -> None:
    assert durable_mp.__version__ == __version__
    assert __version__.count(".") == 2 and all(part.isdigit() for part in __version__.split("."))


def test_version_flag_prints_the_name_and_version_and_exits_zero(capsys: Any) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"durable-mp {__version__}\n"


def test_python_dash_m_durable_mp_cli_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "durable_mp.cli", "--version"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"durable-mp {__version__}\n"
