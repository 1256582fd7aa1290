"""Every command and code block in README.md and docs/ runs as printed (see tests/docs/markdown.py)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.docs.markdown import OTHER_LANGS, RUN_LANGS, TAGS, Block, blocks, commands, without_install

ROOT = Path(__file__).resolve().parents[2]
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK_TIMEOUT = 240.0
SERVER_START_TIMEOUT = 30.0


def test_every_block_says_how_it_runs() -> None:
    problems = []
    for path in FILES:
        previous_lang = None
        for block in blocks(path):
            if block.lang not in RUN_LANGS + OTHER_LANGS:
                problems.append(
                    f"{block.where}: fence language {block.lang!r} (use one of {RUN_LANGS + OTHER_LANGS})"
                )
            if block.tag is not None:
                if block.tag not in TAGS:
                    problems.append(f"{block.where}: unknown tag {block.tag!r}")
                if len((block.reason or "").split()) < 3:
                    problems.append(
                        f"{block.where}: the {block.tag} tag needs a reason (three words or more)"
                    )
                if block.tag in ("background", "installed") and block.lang != "bash":
                    problems.append(f"{block.where}: {block.tag} goes on bash blocks")
                if block.tag == "continues" and (block.lang != "python" or previous_lang != "python"):
                    problems.append(f"{block.where}: continues needs a python block after a python block")
            if block.lang == "python":
                previous_lang = "python"
    assert problems == []


def test_no_doc_cites_a_file_outside_the_repository() -> None:
    """The docs stand on their own: no reference to the project's private notes."""
    assert [p.name for p in FILES if "FACTS.md" in p.read_text()] == []


def test_the_tag_parser_reads_reasons_and_statuses(tmp_path: Path) -> None:
    doc = tmp_path / "x.md"
    doc.write_text("<!-- not-run: needs an AWS account -->\n```bash\naws lambda list-functions\n```\n")
    [block] = blocks(doc)
    assert (block.tag, block.reason, block.lang) == ("not-run", "needs an AWS account", "bash")
    assert commands("a \\\n  b  # exit status 3: waits\n# note\nc\n") == [
        ("a    b  # exit status 3: waits", 3),
        ("c", 0),
    ]
    assert (
        without_install("pip install -e . && pip install x && durable-mp run f.py") == "durable-mp run f.py"
    )


def _bash_script(block: Block) -> str:
    lines = ["set -u"]
    for command, status in commands(block.code):
        if block.tag == "installed":
            command = without_install(command)
        lines.append(command)
        message = shlex.quote(f"{block.where}: expected exit status {status} from: {command}")
        lines.append(f's=$?; if [ "$s" -ne {status} ]; then echo {message} "(got $s)" >&2; exit 1; fi')
    return "\n".join(lines) + "\n"


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env.pop("COLUMNS", None)
    return env


def _start_background(block: Block, cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    [(command, _)] = commands(block.code)
    proc = subprocess.Popen(
        ["bash", "-c", f"exec {command}"],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    first: list[str] = []
    reader = threading.Thread(target=lambda: first.append(proc.stdout.readline() if proc.stdout else ""))
    reader.start()
    reader.join(SERVER_START_TIMEOUT)
    if not first or not first[0]:
        proc.kill()
        pytest.fail(f"{block.where}: the background command printed nothing: {command}")
    threading.Thread(target=lambda: proc.stdout.read() if proc.stdout else None, daemon=True).start()
    return proc


def _run(block: Block, cwd: Path, env: dict[str, str], code: str) -> None:
    if block.lang == "bash":
        argv = ["bash", "-c", _bash_script(block)]
    else:
        script = cwd / f"block_{block.line}.py"
        script.write_text(code)
        argv = [sys.executable, str(script)]
    done = subprocess.run(
        argv, check=False, cwd=cwd, env=env, capture_output=True, text=True, timeout=BLOCK_TIMEOUT
    )
    assert done.returncode == 0, (
        f"{block.where} failed:\n{code}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    )


def _runnable(path: Path) -> bool:
    return any(b.lang in RUN_LANGS and b.tag != "not-run" for b in blocks(path))


@pytest.mark.slow
@pytest.mark.parametrize("path", [p for p in FILES if _runnable(p)], ids=lambda p: p.name)
def test_the_blocks_run_as_printed(path: Path, tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    env = _environment()
    background: list[subprocess.Popen[str]] = []
    previous_python = ""
    try:
        for block in blocks(path):
            if block.lang not in RUN_LANGS or block.tag == "not-run":
                continue
            if block.tag == "background":
                background.append(_start_background(block, tmp_path, env))
                continue
            code = block.code
            if block.lang == "python":
                if block.tag == "continues":
                    code = previous_python + code
                previous_python += block.code
            _run(block, tmp_path, env, code)
    finally:
        for proc in background:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
