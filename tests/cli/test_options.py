"""`durable-mp` options: input from files and stdin, more functions, invocation deadline, log level,
version, callback ids starting with '-', history payload decoding, a different input on resume."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from durable_mp import __version__
from durable_mp.cli import build_parser
from durable_mp.cli.commands import callback_argv
from tests.cli.conftest import Cli, target


def test_input_from_a_file_and_from_stdin(cli: Cli, tmp_path: Path, monkeypatch: Any) -> None:
    data = tmp_path / "in.json"
    data.write_text('{"name": "File"}\n')
    assert cli("run", target("greet"), "-q", "--input", f"@{data}")[1] == '"Hello, File!"\n'
    monkeypatch.setattr("sys.stdin", io.StringIO('{"name": "Pipe"}'))
    assert cli("run", target("greet"), "-q", "--input", "-")[1] == '"Hello, Pipe!"\n'
    code, _, err = cli("run", target("greet"), "--input", f"@{tmp_path / 'missing.json'}")
    assert code == 2 and "--input @" in err and "cannot read the file" in err
    data.write_text("{not json")
    code, _, err = cli("run", target("greet"), "--input", f"@{data}")
    assert code == 2 and f"--input @{data} is not valid JSON" in err


def test_more_functions_for_invoke(cli: Cli) -> None:
    code, out, err = cli("run", target("invoker"), "-q", "--function", f"doubler={target('doubler')}")
    assert (code, out) == (0, "42\n"), err
    code, _, err = cli("run", target("invoker"), "--function", "doubler")
    assert code == 2 and "expected NAME=module:attr" in err


@pytest.mark.slow
def test_a_short_invocation_timeout_spreads_the_work_over_invocations(cli: Cli) -> None:
    code, out, err = cli(
        "run", target("slow_steps"), "--input", '{"steps": 6, "pause": 0.25}', "--invocation-timeout", "1"
    )
    assert (code, out) == (0, "15\n"), err
    invocations = [line for line in err.splitlines() if "InvocationCompleted" in line]
    assert len(invocations) >= 2, err
    for bad in ("0", "901"):
        code, _, err = cli("run", target("greet"), "--invocation-timeout", bad)
        assert code == 2 and "--invocation-timeout must be more than 0 and at most 900 s" in err


def test_log_level_shows_the_handlers_logger(cli: Cli) -> None:
    code, out, err = cli("run", target("chatty"), "-q", "--log-level", "INFO")
    assert (code, out) == (0, '"done"\n')
    assert "INFO hello from the handler order=o-9" in err
    assert "hello from the handler" not in cli("run", target("chatty"), "-q")[2]
    code, _, err = cli("run", target("chatty"), "--log-level", "LOUD")
    assert code == 2 and "--log-level must be one of DEBUG, INFO" in err


def test_version(capsys: Any) -> None:
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out == f"durable-mp {__version__}\n"


def test_callback_ids_that_start_with_a_dash(cli: Cli) -> None:
    assert callback_argv(["callback", "succeed", "-Ab_1", "--result", "1"]) == [
        "callback",
        "succeed",
        "--id=-Ab_1",
        "--result",
        "1",
    ]
    assert callback_argv(["callback", "succeed", "--result", "1", "X"]) == [
        "callback",
        "succeed",
        "--result",
        "1",
        "X",
    ]
    args = build_parser().parse_args(callback_argv(["callback", "fail", "-x", "--error", "no"]))
    assert (args.callback_id_option, args.error) == ("-x", "no")
    cli("run", target("greet"), "-q")  # a store to look in
    for argv in (["-Ab_1"], ["--", "-Ab_1"], ["--id=-Ab_1"]):
        code, _, err = cli("callback", "succeed", *argv, "--result", '"ok"')
        assert code == 2 and "-Ab_1" in err and "usage:" not in err, (
            err
        )  # the service's answer, not argparse's


def test_history_shows_values_and_raw_keeps_the_wire_form(cli: Cli) -> None:
    assert cli("run", target("record"), "--execution-name", "rec", "-q")[0] == 0
    table = cli("history", "rec")[1]
    assert '{"id": 7, "tags": ["a", "b"]}' in table and '"t":"m"' not in table
    assert '{"t":"m"' in cli("history", "rec", "--raw")[1]
    events = json.loads(cli("history", "rec", "--json")[1])
    [done] = [e for e in events if e["EventType"] == "StepSucceeded"]
    assert done["StepSucceededDetails"]["Result"]["Payload"] == {"id": 7, "tags": ["a", "b"]}
    raw = json.loads(cli("history", "rec", "--json", "--raw")[1])
    [done] = [e for e in raw if e["EventType"] == "StepSucceeded"]
    assert json.loads(done["StepSucceededDetails"]["Result"]["Payload"])["t"] == "m"


def test_history_shows_stack_traces(cli: Cli) -> None:
    cli("run", target("boom"), "--execution-name", "b", "-q")
    out = cli("history", "b")[1]
    assert "Stack traces:" in out and 'in boom: raise ValueError("bad input: no widgets")' in out


def test_a_different_input_on_resume_is_an_error(cli: Cli) -> None:
    assert cli("run", target("greet"), "-q", "--execution-name", "n", "--input", '{"name": "A"}')[0] == 0
    code, out, err = cli("run", target("greet"), "-q", "--execution-name", "n", "--input", '{"name": "B"}')
    assert (code, out) == (2, "")
    assert 'execution n already exists with input {"name": "A"}; --input {"name": "B"} differs' in err
    same = cli("run", target("greet"), "-q", "--execution-name", "n", "--input", '{ "name":"A" }')
    assert same[:2] == (0, '"Hello, A!"\n')
    assert cli("run", target("greet"), "-q", "--execution-name", "n")[:2] == (0, '"Hello, A!"\n')


@pytest.mark.parametrize("command", ["run", "serve", "history", "executions", "callback", "loadtest"])
def test_every_command_has_help(command: str, capsys: Any) -> None:
    from durable_mp.cli import main

    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0 and "usage: durable-mp" in capsys.readouterr().out


@pytest.mark.slow
def test_log_level_reaches_the_worker_processes(tmp_path: Path) -> None:
    """A fresh process, so that its worker pool starts with the level (workers keep the environment they
    started with)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    env.pop("DURABLE_MP_LOG_LEVEL", None)
    argv = [sys.executable, "-m", "durable_mp.cli", "run", target("chatty_map"), "--store", "memory", "-q"]
    done = subprocess.run(
        [*argv, "--log-level", "INFO"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "[0, 1]\n"), done.stderr
    assert "INFO item 0 from a worker" in done.stderr.splitlines()
    quiet = subprocess.run(
        argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert quiet.returncode == 0 and "from a worker" not in quiet.stderr
