"""What the distribution installs: only `durable_mp` and `durable_mp_workers`, never a generic top-level name.

A user project with its own `workers` and `loadtests` packages must still run process maps.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_pyproject_lists_every_package_of_durable_mp_and_nothing_generic() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = set(config["packages"])
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "durable_mp").rglob("__init__.py")
    }
    assert on_disk <= packages, f"not installed: {sorted(on_disk - packages)}"
    assert config["package-dir"] == {"durable_mp_workers": "workers"}
    assert {name.split(".")[0] for name in packages} == {"durable_mp", "durable_mp_workers"}


def test_user_project_with_its_own_workers_and_loadtests_packages_runs_a_process_map(tmp_path: Path) -> None:
    for name in ("workers", "loadtests"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(f"WHO = 'the user project {name}'\n")
    (tmp_path / "flow.py").write_text(
        textwrap.dedent("""
        import workers, loadtests
        from durable_mp import durable_execution
        from durable_mp.config import MapConfig

        def square(ctx, item, index, items):
            return ctx.step(lambda _: item * item, name="square")

        @durable_execution
        def handler(event, context):
            batch = context.map(list(range(6)), square, config=MapConfig(executor="processes", workers=2))
            return {"squares": batch.get_results(), "mine": [workers.WHO, loadtests.WHO]}
    """)
    )
    done = subprocess.run(
        [sys.executable, "-m", "durable_mp.cli", "run", "flow.py:handler", "--store", "memory", "--quiet"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "squares": [0, 1, 4, 9, 16, 25],
        "mine": ["the user project workers", "the user project loadtests"],
    }
