"""The package as users get it: sdist and wheel built and checked, the wheel installed in a fresh virtual
environment (not editable, no source tree on the path), and the `durable-mp` command run there.

One test, so the dists are built once whichever pytest-xdist worker runs it (a module-scoped fixture would
build them once per worker). The build is isolated (`python -m build`, as a user or a CI job builds: the
test's own environment may hold a setuptools older than the 77 that pyproject.toml's SPDX license needs),
and pip's cache serves the build requirements and the dependencies (about 35 s in all on 2 busy cores).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest

from durable_mp.__about__ import __version__

ROOT = Path(__file__).resolve().parents[2]
OURS = ["durable_mp", "durable_mp_workers"]
TIMEOUT = 240

pytestmark = pytest.mark.slow

# Not part of a build: caches, outputs, virtual environments, the worktree's link to workers/.
_ANYWHERE = shutil.ignore_patterns(".git", ".tox", ".venv", ".*_cache", "__pycache__", "*.egg-info", "*.db")
_AT_ROOT = {"build", "dist", ".durable-mp", ".benchmarks", "durable_mp_workers"}


def _not_sources(folder: str, names: list[str]) -> set[str]:
    ignored = set(_ANYWHERE(folder, names))
    if Path(folder) == ROOT:
        ignored |= _AT_ROOT & set(names)
    if Path(folder) == ROOT / "loadtests":
        ignored |= {"out"} & set(names)
    return ignored


# Nothing of the source tree on any command's path (the suite runs with PYTHONPATH at the checkout).
_ENV = {key: value for key, value in os.environ.items() if key not in {"PYTHONPATH", "PYTHONHOME"}}


def _run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    env = _ENV if env is None else env
    done = subprocess.run(
        argv, cwd=cwd, env=env, check=False, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert done.returncode == 0, f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _build(tmp: Path) -> tuple[Path, Path]:
    source = tmp / "source"
    shutil.copytree(ROOT, source, ignore=_not_sources, symlinks=True)
    dist = tmp / "dist"
    _run([sys.executable, "-m", "build", "--outdir", str(dist), str(source)], cwd=tmp)
    (sdist,) = dist.glob("*.tar.gz")
    (wheel,) = dist.glob("*.whl")
    return sdist, wheel


def _check_wheel(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        info = f"durable_mp-{__version__}.dist-info"
        top_level = archive.read(f"{info}/top_level.txt").decode().split()
        record = {line.split(",")[0] for line in archive.read(f"{info}/RECORD").decode().splitlines()}
        metadata = archive.read(f"{info}/METADATA").decode()
        entry_points = archive.read(f"{info}/entry_points.txt").decode()
    assert f"{info}/licenses/LICENSE" in names
    assert {"durable_mp/py.typed", "durable_mp_workers/py.typed"} <= set(names)
    assert sorted({name.split("/")[0] for name in names} - {info}) == OURS, names
    assert sorted(top_level) == OURS
    assert record == set(names)
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    assert "durable_mp_workers/worker.py" in names and "durable_mp/loadtest/__init__.py" in names
    assert f"Version: {__version__}\n" in metadata
    assert "License-Expression: Apache-2.0\n" in metadata and "Requires-Python: >=3.11\n" in metadata
    assert "durable-mp = durable_mp.cli:main" in entry_points


def _check_sdist(sdist: Path) -> None:
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"LICENSE", "README.md", "pyproject.toml", "durable_mp/py.typed", "workers/py.typed"} <= names


def _venv(tmp: Path, wheel: Path) -> tuple[Path, dict[str, str]]:
    """A fresh virtual environment (no system site-packages, which hold an editable durable-mp) with the
    wheel installed by this interpreter's pip, and an environment with no path into the source tree."""
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp)
    python = venv / "bin" / "python"
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", str(wheel)], cwd=tmp)
    env = dict(_ENV)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    return venv, env


def _expected_cpu_map_checksum(items: int) -> int:
    spec = importlib.util.spec_from_file_location("cpu_map_example", ROOT / "examples" / "cpu_map.py")
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    return int(sum(example.crunch(seed) for seed in range(items)) % 1_000_007)


_WHERE = textwrap.dedent("""
    import os, sys
    import durable_mp, durable_mp_workers
    from durable_mp import durable_execution
    from durable_mp.config import MapConfig

    def where(context, item, index, items):
        def look(_):
            return {"pid": os.getpid(), "modules": [durable_mp.__file__, durable_mp_workers.__file__]}
        return context.step(look, name=f"where-{index}")

    @durable_execution
    def handler(event, context):
        batch = context.map(list(range(4)), where, config=MapConfig(executor="processes", workers=2))
        return {"pid": os.getpid(), "items": batch.get_results(), "path": sys.path, "prefix": sys.prefix}
""")

_TOP_LEVEL = textwrap.dedent("""
    import importlib.metadata, json
    dist = importlib.metadata.distribution("durable-mp")
    files = {f.parts[0] for f in dist.files if f.parts[0] != ".." and not f.parts[0].endswith(".dist-info")}
    print(json.dumps({"record": sorted(files), "top_level": sorted(dist.read_text("top_level.txt").split())}))
""")


def test_sdist_and_wheel_build_check_install_and_run_in_a_fresh_virtual_environment(tmp_path: Path) -> None:
    sdist, wheel = _build(tmp_path)
    _run([sys.executable, "-m", "twine", "check", "--strict", str(sdist), str(wheel)], cwd=tmp_path)
    _check_wheel(wheel)
    _check_sdist(sdist)

    venv, env = _venv(tmp_path, wheel)
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(ROOT / "examples" / "cpu_map.py", work / "cpu_map.py")
    (work / "where.py").write_text(_WHERE)
    durable_mp = str(venv / "bin" / "durable-mp")

    assert _run([durable_mp, "--version"], cwd=work, env=env) == f"durable-mp {__version__}\n"

    # The main job: the example's CPU map on the worker process pool, on the memory store.
    argv = [
        durable_mp,
        "run",
        "cpu_map.py:handler",
        "--input",
        '{"items": 4}',
        "--store",
        "memory",
        "--quiet",
    ]
    result = json.loads(_run(argv, cwd=work, env=env))
    assert result == {"items": 4, "succeeded": 4, "checksum": _expected_cpu_map_checksum(4)}

    # A process map whose items report where they ran and what they imported: worker processes, from the
    # virtual environment's site-packages, with nothing of the source tree on the path.
    argv = [durable_mp, "run", "where.py:handler", "--store", "memory", "--quiet"]
    seen = json.loads(_run(argv, cwd=work, env=env))
    site = Path(seen["prefix"]).resolve()
    assert site == venv.resolve()
    assert len(seen["items"]) == 4 and all(item["pid"] != seen["pid"] for item in seen["items"])
    for item in seen["items"]:
        assert all(Path(module).resolve().is_relative_to(site) for module in item["modules"]), item
    assert not [entry for entry in seen["path"] if entry and Path(entry).resolve().is_relative_to(ROOT)]

    # What the distribution installed: only our two packages (its RECORD and top_level.txt).
    installed = json.loads(_run([str(venv / "bin" / "python"), "-c", _TOP_LEVEL], cwd=work, env=env))
    assert installed == {"record": OURS, "top_level": OURS}
