"""Every user-input error: exactly one line on stderr, exit status 2, no traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from durable_mp.cli import loading
from tests.cli.conftest import WORKFLOWS, Cli, target


def one_line_error(result: tuple[int, str, str], words: str) -> None:
    code, out, err = result
    assert code == 2, (out, err)
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert words in lines[0], lines[0]
    assert lines[0].startswith("durable-mp ") and "Traceback" not in err


def test_missing_file(cli: Cli) -> None:
    one_line_error(cli("run", "no/such/flow.py:handler"), "no such file: no/such/flow.py")


def test_missing_module(cli: Cli) -> None:
    one_line_error(cli("run", "no_such_module_xyz:handler"), "no module named 'no_such_module_xyz'")


def test_missing_attribute(cli: Cli) -> None:
    one_line_error(cli("run", target("nope")), "has no attribute 'nope'")


def test_not_a_durable_handler(cli: Cli) -> None:
    one_line_error(
        cli("run", target("not_durable")), "is not a durable handler (decorate it with @durable_execution)"
    )
    one_line_error(cli("run", "json:loads"), "json:loads is not a durable handler")


def test_spec_without_target(cli: Cli) -> None:
    one_line_error(cli("run", ":handler"), "is not FILE.py:ATTR or MODULE:ATTR")


def test_module_that_fails_to_import(cli: Cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken_flow.py"
    broken.write_text("raise RuntimeError('config missing')\n")
    one_line_error(cli("run", f"{broken}:handler"), "cannot import")
    one_line_error(cli("run", f"{broken}:handler"), "RuntimeError: config missing")
    bad_syntax = tmp_path / "bad_syntax.py"
    bad_syntax.write_text("def handler(:\n")
    one_line_error(cli("run", f"{bad_syntax}:handler"), "SyntaxError")


def test_invalid_json_input(cli: Cli) -> None:
    one_line_error(cli("run", target("greet"), "--input", "{name: 1}"), "--input is not valid JSON")


def test_invalid_execution_name(cli: Cli) -> None:
    one_line_error(cli("run", target("greet"), "--execution-name", "not ok!"), "DurableExecutionName")


def test_unknown_execution(cli: Cli) -> None:
    assert cli("run", target("greet"), "-q")[0] == 0
    one_line_error(cli("history", "arn:nothing"), "no execution arn:nothing in")


def test_no_store_yet(cli: Cli) -> None:
    one_line_error(cli("history", "x"), "no store at")
    one_line_error(cli("executions"), "no store at")


def test_memory_store_has_nothing_to_read(cli: Cli) -> None:
    one_line_error(cli("history", "x", "--store", "memory", store=False), "--store memory keeps nothing")
    one_line_error(
        cli("callback", "heartbeat", "x", "--store", "memory", store=False), "--store memory keeps nothing"
    )


def test_unknown_callback(cli: Cli) -> None:
    assert cli("run", target("greet"), "-q")[0] == 0
    one_line_error(cli("callback", "succeed", "abc", "--result", "1"), "callback abc does not exist")


def test_callback_argument_mistakes(cli: Cli) -> None:
    one_line_error(cli("callback", "succeed", "abc", "--result", "{oops"), "--result is not valid JSON")
    one_line_error(cli("callback", "fail", "abc", "--result", "1"), "--result goes with `callback succeed`")
    one_line_error(cli("callback", "heartbeat", "abc", "--error", "x"), "--error and --error-type go with")


def test_unknown_function_filter(cli: Cli) -> None:
    assert cli("run", target("greet"), "-q")[0] == 0
    one_line_error(cli("executions", "--function", "ghost"), "no executions of function 'ghost'")


def test_store_in_use_by_another_process(cli: Cli, tmp_path: Path) -> None:
    path = str(tmp_path / "locked.db")
    store = loading.open_store(path, create=True, lock=True)
    try:
        one_line_error(
            cli("run", target("greet"), "--store", path, store=False), "is in use by another durable-mp"
        )
    finally:
        store.close()
        loading.release_locks()


def test_endpoint_mistakes(cli: Cli) -> None:
    one_line_error(
        cli("executions", "--endpoint", "http://127.0.0.1:9", store=False), "--function is required"
    )
    one_line_error(cli("history", "x", "--endpoint", "ftp://host", store=False), "--endpoint must be an http")


def test_serve_mistakes(cli: Cli) -> None:
    one_line_error(cli("serve", store=False), "give at least one --function")
    one_line_error(cli("serve", "--function", "quick", store=False), "expected NAME=module:attr")
    one_line_error(
        cli("serve", "--function", f"bad name={WORKFLOWS}:greet", store=False), "not a valid function name"
    )
    one_line_error(
        cli("serve", "--function", f"f={WORKFLOWS}:missing", store=False), "has no attribute 'missing'"
    )


def test_argparse_errors_exit_2(cli: Cli, capsys: Any) -> None:
    with pytest.raises(SystemExit) as exc:
        cli("frobnicate", store=False)
    assert exc.value.code == 2
