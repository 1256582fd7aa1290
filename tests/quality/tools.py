"""The lint and type checks CI runs, each one command on the repository, as `tox -e lint` / `tox -e types` run.

    python -m tests.quality.tools ruff-check | ruff-format | mypy

`mypy` checks `durable_mp` and the worker package as configured in pyproject.toml. The worker package is
installed as `durable_mp_workers` from the repository's `workers/` folder, a mapping mypy cannot read from
setuptools (nor from an editable install's import hook), so the check puts a `durable_mp_workers` link to
`workers/` in a folder under the temporary directory on MYPYPATH and reports the files under their real
`workers/` paths.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 300


@dataclass(frozen=True)
class Findings:
    """What one tool reported: its exit status, its output and the number of findings it counted."""

    tool: str
    returncode: int
    output: str
    count: int

    def summary(self) -> str:
        return f"{self.tool}: {self.count} finding(s), exit status {self.returncode}\n{self.output}"


def _run(tool: str, argv: list[str], count_pattern: str, env: dict[str, str] | None = None) -> Findings:
    done = subprocess.run(
        [sys.executable, "-m", *argv],
        cwd=ROOT,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    output = done.stdout + done.stderr
    found = re.search(count_pattern, output)
    count = int(found.group(1)) if found else (0 if done.returncode == 0 else -1)
    return Findings(tool, done.returncode, output, count)


def ruff_check() -> Findings:
    return _run("ruff check", ["ruff", "check", "--output-format", "concise", "."], r"Found (\d+) error")


def ruff_format() -> Findings:
    return _run(
        "ruff format --check", ["ruff", "format", "--check", "."], r"(\d+) files? would be reformatted"
    )


def _scratch() -> Path:
    """A folder of this checkout and interpreter under the temporary directory, the same on every run (mypy's
    cache remembers file paths, and what it found installed)."""
    digest = hashlib.sha256(f"{ROOT}\0{sys.prefix}".encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"durable-mp-mypy-{digest}"


def _worker_package_link(folder: Path) -> Path:
    """`folder/durable_mp_workers`, a link to the repository's `workers/`."""
    link = folder / "durable_mp_workers"
    folder.mkdir(parents=True, exist_ok=True)
    if not link.is_symlink() or link.resolve() != (ROOT / "workers").resolve():
        staged = folder / f".link-{os.getpid()}"
        staged.unlink(missing_ok=True)
        staged.symlink_to(ROOT / "workers", target_is_directory=True)
        staged.replace(link)  # atomic: a concurrent run sees the old link or the new one
    return link


def mypy() -> Findings:
    scratch = _scratch()
    link = _worker_package_link(scratch / "path")
    # Its own cache: one shared with other mypy runs could replay errors under their file paths.
    argv = ["mypy", "--cache-dir", str(scratch / "cache")]
    found = _run("mypy", argv, r"Found (\d+) errors? in", env={**os.environ, "MYPYPATH": str(link.parent)})
    # Report the worker package's files where they are: workers/..., not the link.
    output = found.output.replace(f"{link}{os.sep}", f"workers{os.sep}")
    return Findings(found.tool, found.returncode, output, found.count)


TOOLS = {"ruff-check": ruff_check, "ruff-format": ruff_format, "mypy": mypy}


def main(argv: list[str]) -> int:
    if not argv or any(name not in TOOLS for name in argv):
        print(f"usage: python -m tests.quality.tools {' | '.join(TOOLS)} ...", file=sys.stderr)
        return 2
    status = 0
    for name in argv:
        found = TOOLS[name]()
        print(found.output, end="")
        status = status or found.returncode
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
